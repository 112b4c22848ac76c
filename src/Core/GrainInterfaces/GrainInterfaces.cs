using Orleans.Concurrency;
using FedSim.Scenario;
using FedSim.Rounds;
using FedSim.Strategies;

namespace FedSim.GrainInterfaces;

/// <summary>
/// A simulated device: owns its private data shard and device profile, trains locally on its silo's
/// compute pool when assigned a round, and reports only a <see cref="DeviceUpdate"/> back to the
/// experiment. Keyed by "experimentId/deviceIndex". No method returns raw samples.
/// </summary>
public interface IDeviceGrain : IGrainWithStringKey
{
    /// <summary>
    /// Accepts a round's assignment and returns at once; the update (or a failure) is delivered to the
    /// experiment grain when local training finishes, so no call spans a whole training job.
    /// </summary>
    Task BeginTrainingAsync(RoundAssignment assignment);

    /// <summary>The device's generated profile (for results and straggler simulation).</summary>
    Task<DeviceProfile> GetProfileAsync(ScenarioSpec scenario);

    /// <summary>Number of local training samples (metadata only, never the samples themselves).</summary>
    Task<int> GetExampleCountAsync(ScenarioSpec scenario);

    /// <summary>
    /// The personal model the device keeps (Ditto) as it stood after round <paramref name="round"/>, for its
    /// personalized evaluation; null when it has never trained one. It answers from its stored state at once.
    /// </summary>
    Task<float[]?> GetPersonalModelAsync(int round);

    // Secure aggregation (Bonawitz et al. 2017), driven by the coordinator, which relays every message between
    // devices as the paper's server does. Each answers the device's next protocol message, or null when the device
    // has gone silent (it vanished, lost its round, or refused because too few share holders were left).

    /// <summary>Stage 1: the device's neighbours' public keys in; its encrypted shares out.</summary>
    Task<Privacy.SecureAggregation.SecAggShareBundle?> ShareKeysAsync(int round, Privacy.SecureAggregation.SecAggKeyRoster roster);

    /// <summary>Stage 2: the shares addressed to it in; its masked update out.</summary>
    Task<Privacy.SecureAggregation.SecAggMaskedInput?> MaskInputAsync(int round, Privacy.SecureAggregation.SecAggShareDelivery delivery);

    /// <summary>Stage 3: who survived in; the shares that unmask the sum out. Ends the device's part in the round.</summary>
    Task<Privacy.SecureAggregation.SecAggUnmaskResponse?> UnmaskAsync(int round, Privacy.SecureAggregation.SecAggUnmaskRequest request);
}

/// <summary>Receives round reports pushed by an experiment (best effort; poll <see cref="IExperimentGrain.GetStatusAsync"/> to be sure).</summary>
public interface IExperimentObserver : IGrainObserver
{
    void OnRoundCompleted(RoundReport report);

    void OnExperimentFinished(ExperimentStatus status);
}

/// <summary>
/// Runs one experiment: samples cohorts, broadcasts the global model, collects updates, aggregates
/// with the configured strategy, evaluates, checkpoints after every round and publishes reports.
/// Rounds advance on timers and device callbacks, so no call waits on a whole round.
/// </summary>
public interface IExperimentGrain : IGrainWithStringKey
{
    /// <summary>Starts the experiment, or resumes it from its last checkpoint; returns at once.</summary>
    Task StartAsync(ScenarioSpec scenario);

    /// <summary>
    /// Stops this activation where it is, without recording anything: the round in flight is abandoned (late answers
    /// and failures are ignored) and the checkpoint keeps the last finished round, from which a later activation (a
    /// resumed run) replays. Called before a silo shuts down on purpose, so a shutdown never completes a round
    /// with devices that failed only because the compute pool stopped.
    /// </summary>
    Task SuspendAsync();

    /// <summary>
    /// Ends the experiment for good (<c>fedsim cancel</c>): the round in flight is abandoned, the checkpoint records the
    /// cancellation with <paramref name="reason"/>, and the status says Finished and Cancelled.
    /// </summary>
    Task CancelAsync(string reason);

    /// <summary>A device's update for the current round.</summary>
    Task SubmitUpdateAsync(DeviceUpdate update);

    /// <summary>A device that could not train this round.</summary>
    Task ReportFailureAsync(DeviceFailure failure);

    /// <summary>
    /// Under secure aggregation, a device that trained: its statistics (the delta left empty: the update stays on the
    /// device until it is masked) and its public keys, stage 0 of the protocol, for the protocol session
    /// <paramref name="sessionId"/> (<see cref="Privacy.SecureAggregation.SecAggParameters.SessionId"/>): keys sent for
    /// an earlier attempt at the round, before the coordinator was revived, are ignored.
    /// </summary>
    Task SubmitKeysAsync(DeviceUpdate statistics, Privacy.SecureAggregation.SecAggKeyAdvertisement keys, string sessionId);

    /// <summary>Progress and the reports of all finished rounds; answered even while a round completes.</summary>
    [AlwaysInterleave]
    Task<ExperimentStatus> GetStatusAsync();

    /// <summary>
    /// Progress with only the reports after the first <paramref name="reportsSeen"/> (a follower that polls over the
    /// network receives each report once, not the whole history every time); answered even while a round completes.
    /// </summary>
    [AlwaysInterleave]
    Task<ExperimentStatus> GetStatusSinceAsync(int reportsSeen);

    /// <summary>The current global model (the released model); answered even while a round completes.</summary>
    [AlwaysInterleave]
    Task<GlobalModel> GetGlobalModelAsync();

    Task SubscribeAsync(IExperimentObserver observer);

    Task UnsubscribeAsync(IExperimentObserver observer);
}

/// <summary>
/// The malicious devices of one round acting together (keyed "experimentId/round"): colluding attacks such as
/// ALIE and IPM need every member's honest update to craft theirs. Members contribute and return at once; when
/// the last member has contributed (or withdrawn), the coalition crafts the updates and submits them to the
/// experiment in the members' names. The only place colluders share anything: no static state.
/// </summary>
public interface ICoalitionGrain : IGrainWithStringKey
{
    /// <summary>A member's honest update, with the round's role (how many members to wait for).</summary>
    Task ContributeAsync(DeviceUpdate honest, ByzantineRole role, ScenarioSpec scenario);

    /// <summary>A member that failed to train: the coalition stops waiting for it.</summary>
    Task WithdrawAsync(long device, ByzantineRole role, ScenarioSpec scenario);
}

/// <summary>
/// The cluster's list of experiments (a single grain, key 0), so <c>fedsim status</c> can show what was submitted. Each
/// coordinator adds itself when it starts; the list survives silo restarts with the rest of the grain state.
/// </summary>
public interface IExperimentRegistryGrain : IGrainWithIntegerKey
{
    Task AddAsync(ExperimentEntry entry);

    Task<IReadOnlyList<ExperimentEntry>> ListAsync();
}
