using FedSim.Attacks.Poisoning;
using FedSim.Compute;
using FedSim.Scenario;
using FedSim.GrainInterfaces;
using FedSim.Coordination;
using FedSim.Data;
using FedSim.Privacy;
using FedSim.Strategies;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Orleans.Storage;
using FedSim.Composition;
using FedSim.Telemetry;
using FedSim.Persistence;
using FedSim.Rounds;

namespace FedSim.Devices;

/// <summary>
/// A simulated device. Its shard is derived from the scenario on whichever silo it activates; its
/// training runs on that silo's compute pool; only the weight delta, statistics and its objective's extras
/// leave it. Devices deactivate after each round, so a million registered devices cost nothing until sampled;
/// a device whose algorithm keeps state (SCAFFOLD's c_i) loads it only when it trains.
/// Placement is random so a cohort's training spreads over every silo's compute pool (the default
/// would favour the coordinator's silo).
/// </summary>
[Orleans.Placement.RandomPlacement]
public sealed partial class DeviceGrain(IComputePool pool, ExperimentDataCache data, SiloMetrics metrics,
    ILogger<DeviceGrain> logger)
    : Grain, IDeviceGrain
{
    /// <summary>How long a device keeps trying to hand its update to a coordinator that is moving to another silo.</summary>
    private static readonly TimeSpan DeliveryPatience = TimeSpan.FromMinutes(5);

    private DeviceKey _key;
    private IDeviceStateStore? _stateStore;
    /// <summary>The round this activation is training or delivering; a repeated assignment for it is ignored.</summary>
    private int? _busyWith;
    /// <summary>
    /// The coordinator's latest repetition of the assignment this activation is busy with (see <see cref="AnswerAsync"/>);
    /// under secure aggregation it may name a new protocol session. Null: not asked again.
    /// </summary>
    private RoundAssignment? _repeated;

    /// <summary>Trainings running in this activation: a round's tail can still run when the next round starts here.</summary>
    private int _inFlight;

    private long DeviceIndex => _key.Device;

    private string ExperimentId => _key.ExperimentId;

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        _key = DeviceKey.Parse(this.GetPrimaryKeyString()); // once per activation, not per call
        metrics.DeviceActivated();
        return Task.CompletedTask;
    }

    public Task BeginTrainingAsync(RoundAssignment assignment)
    {
        // The coordinator repeats assignments after a silo died; this activation's own attempt will deliver.
        if (_busyWith == assignment.Round)
        {
            _repeated = assignment;
            return Task.CompletedTask;
        }
        _busyWith = assignment.Round;
        _repeated = null;
        // Fire and forget on the grain's own scheduler: the result goes back as a separate call.
        _ = TrainAndReportAsync(assignment);
        return Task.CompletedTask;
    }

    public Task<DeviceProfile> GetProfileAsync(ScenarioSpec scenario)
        => Task.FromResult(ScenarioComposition.Profiles(scenario).Profile(DeviceIndex));

    public Task<int> GetExampleCountAsync(ScenarioSpec scenario)
        => Task.FromResult(data.Get(scenario).Shard(DeviceIndex).Count);

    public async Task<float[]?> GetPersonalModelAsync(int round)
    {
        var state = await OpenStateStore().ReadBeforeAsync(round + 1);
        // Asked only to be evaluated: release the activation as after a round, unless a round is still running here.
        if (_inFlight == 0 && _secureRound is null) DeactivateOnIdle();
        return state?.Vectors.GetValueOrDefault(Rounds.Personalization.DittoOptions.PersonalModelVector);
    }

    private async Task TrainAndReportAsync(RoundAssignment a)
    {
        _inFlight++;
        var experiment = GrainFactory.GetGrain<IExperimentGrain>(ExperimentId);
        try
        {
            var outcome = await new DeviceRoundPipeline(pool, data.Get(a.Scenario), DeviceIndex).RunAsync(a, OpenStateStore, metrics.DeviceTrained);
            await DeliverOutcomeAsync(a, outcome, experiment);
        }
        catch (ObjectDisposedException stopping)
        {
            // This silo is shutting down and its compute pool stopped: not the device's failure. The coordinator sends
            // the assignment again once the silo has left the cluster (or replays the round).
            LogUndeliverable(logger, stopping, DeviceIndex, a.Round);
        }
        catch (StorageFailedException ex)
        {
            await ReportStorageFailureAsync(a, ex, experiment);
        }
        catch (Exception ex) when (!IsUndeliverable(ex))
        {
            await ReportTrainingFailureAsync(a, ex, experiment);
        }
        catch (Exception lost)
        {
            // The coordinator stayed unreachable; its next activation replays the round and asks again.
            LogUndeliverable(logger, lost, DeviceIndex, a.Round);
        }
        finally
        {
            EndTraining(a.Round);
        }
    }

    private IDeviceStateStore OpenStateStore() => _stateStore ??= new DeviceStateStore(ServiceProvider, this.GetGrainId());

    /// <summary>Hands the round's outcome to the coordinator by the assignment's route (chosen once, see <see cref="DeviceSteps.RouteOf"/>).</summary>
    private Task DeliverOutcomeAsync(RoundAssignment a, DeviceRoundOutcome outcome, IExperimentGrain experiment) => outcome switch
    {
        DeviceRoundOutcome.Declined declined => experiment.ReportFailureAsync(new DeviceFailure(DeviceIndex, a.Round, declined.Reason)),
        DeviceRoundOutcome.Trained { Update: var update } => DeviceSteps.RouteOf(a) switch
        {
            DeliveryRoute.Coalition => AnswerAsync(() => Coalition(a).ContributeAsync(update, a.Byzantine!, a.Scenario)),
            // The update stays here; only its masked form ever leaves (see DeviceGrain.SecureAggregation.cs).
            DeliveryRoute.SecureAggregation => JoinSecureAggregationAsync(a, a.SecureAggregation!, update, honest: a.Byzantine is null, experiment),
            _ => AnswerAsync(() => experiment.SubmitUpdateAsync(update)),
        },
        _ => throw new ArgumentOutOfRangeException(nameof(outcome), outcome, "unknown device round outcome"),
    };

    /// <summary>
    /// A storage failure is not the device's failure but the run's: counting it as a failed device would change what the
    /// run learns. The coordinator stops the run; the stored state before this round is intact for a resume.
    /// </summary>
    private async Task ReportStorageFailureAsync(RoundAssignment a, StorageFailedException ex, IExperimentGrain experiment)
    {
        LogStateNotStored(logger, ex, DeviceIndex, a.Round);
        try
        {
            await DeliverAsync(() => experiment.ReportFailureAsync(new DeviceFailure(DeviceIndex, a.Round, ex.Message, StorageFailed: true)));
        }
        catch (Exception lost) when (IsUndeliverable(lost))
        {
            LogUndeliverable(logger, lost, DeviceIndex, a.Round);
        }
    }

    private async Task ReportTrainingFailureAsync(RoundAssignment a, Exception ex, IExperimentGrain experiment)
    {
        LogTrainingFailed(logger, ex, DeviceIndex, a.Round);
        try
        {
            try
            {
                if (DeviceSteps.RouteOf(a) == DeliveryRoute.Coalition)
                    await DeliverAsync(() => Coalition(a).WithdrawAsync(DeviceIndex, a.Byzantine!, a.Scenario));
            }
            finally
            {
                // Whatever the withdrawal did, the coordinator must hear of the failure (or it waits for the round timeout).
                await AnswerAsync(() => experiment.ReportFailureAsync(new DeviceFailure(DeviceIndex, a.Round, ex.Message)));
            }
        }
        catch (Exception lost) when (IsUndeliverable(lost))
        {
            LogUndeliverable(logger, lost, DeviceIndex, a.Round);
        }
    }

    private void EndTraining(int round)
    {
        if (_busyWith == round) _busyWith = null;
        // Sampled devices are the only ones ever active; release this one until it is sampled again (a device in a
        // secure-aggregation round stays until its part ends: the protocol's secrets live in this activation).
        // Not while another round trains here: a colluding member's call to its coalition returns only after the
        // coalition submitted every member's update, so the coordinator may already have started the next round
        // on this activation, and deactivating would kill that training mid-way.
        if (--_inFlight == 0 && _secureRound is null) DeactivateOnIdle();
    }

    /// <summary>
    /// Delivers this round's answer, and once more if the coordinator repeated the assignment meanwhile: a coordinator
    /// that was re-activated may have ignored the first delivery (it arrived before its replayed round began) and then
    /// asked again while this activation was still busy; the same answer serves, since the same seed trains the same
    /// update.
    /// </summary>
    private async Task AnswerAsync(Func<Task> call)
    {
        do
        {
            _repeated = null;
            await DeliverAsync(call);
        }
        while (_repeated is not null);
    }

    /// <summary>
    /// Calls the coordinator (or coalition) until the call goes through: when its silo died, the call fails until the
    /// cluster has declared the silo dead and the next call activates the coordinator elsewhere, from its checkpoint.
    /// An answer for a round the new activation is not running is ignored there, so delivering late is always safe.
    /// </summary>
    private static async Task DeliverAsync(Func<Task> call)
    {
        var delay = TimeSpan.FromMilliseconds(250);
        var deadline = DateTime.UtcNow + DeliveryPatience;
        while (true)
        {
            try
            {
                await call();
                return;
            }
            catch (Exception e) when (IsUndeliverable(e) && DateTime.UtcNow + delay < deadline)
            {
                await Task.Delay(delay);
                delay = TimeSpan.FromTicks(Math.Min(TimeSpan.FromSeconds(5).Ticks, delay.Ticks * 2));
            }
        }
    }

    /// <summary>Failures of the call itself (a dead or unreachable silo, a timeout), not of the work.</summary>
    private static bool IsUndeliverable(Exception e) =>
        e is SiloUnavailableException or TimeoutException or OrleansMessageRejectionException;

    private ICoalitionGrain Coalition(RoundAssignment a) => GrainFactory.GetGrain<ICoalitionGrain>($"{a.ExperimentId}/{a.Round}");

    [LoggerMessage(Level = LogLevel.Warning, Message = "Device {Device} could not deliver its round {Round} answer; the coordinator will ask again")]
    private static partial void LogUndeliverable(ILogger logger, Exception ex, long device, int round);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Device {Device} failed to train in round {Round}")]
    private static partial void LogTrainingFailed(ILogger logger, Exception ex, long device, int round);

    [LoggerMessage(Level = LogLevel.Information, Message = "Device {Device} could not store its state in round {Round}")]
    private static partial void LogStateNotStored(ILogger logger, Exception ex, long device, int round);
}

/// <summary>A device's stored state versions, newest last (the last <see cref="DeviceStateStore.Kept"/> rounds that wrote one).</summary>
[GenerateSerializer]
public sealed class DeviceStateRecord
{
    [Id(0)] public List<DeviceState> Versions { get; set; } = [];
}

/// <summary>
/// Reads and writes a device's <see cref="DeviceState"/> through the checkpoint storage provider, on demand (an
/// activation-time [PersistentState] would cost every sampled device a storage read, stateful algorithm or not).
/// A write for round r replaces only round r's version (a replayed round writes the same values again), and never
/// removes a newer one: a device still finishing an abandoned attempt may write round r after round r + 1 has begun.
/// A device training in round r reads the newest version before r, so a replay reads exactly what the first attempt
/// read. One store per activation; its read-modify-write runs under a lock because a replayed round can reach a
/// device still finishing the abandoned attempt, and both trainings interleave at their awaits.
/// </summary>
internal sealed class DeviceStateStore(IServiceProvider services, GrainId grain) : IDeviceStateStore
{
    private const string StateName = "device";

    /// <summary>Versions kept: the newest before the current round and the current one, with one spare for late writes.</summary>
    public const int Kept = 3;

    private readonly IGrainStorage _storage = services.GetRequiredKeyedService<IGrainStorage>(Persistence.FedSimStorage.Checkpoints);
    private readonly SemaphoreSlim _gate = new(1, 1);

    public async Task<DeviceState?> ReadBeforeAsync(int round)
    {
        await _gate.WaitAsync();
        try
        {
            var record = await LoadAsync();
            return record.State!.Versions.Where(v => v.Round < round).MaxBy(v => v.Round);
        }
        catch (Exception e) when (e is not StorageFailedException)
        {
            throw StorageFailedException.From($"could not read device {grain.Key}'s state", e);
        }
        finally { _gate.Release(); }
    }

    public async Task WriteAsync(DeviceState state)
    {
        await _gate.WaitAsync();
        try
        {
            // Read again: the record's ETag must be the stored one, whoever wrote last.
            var record = await LoadAsync();
            record.State!.Versions = [.. record.State.Versions.Where(v => v.Round != state.Round).Append(state).OrderBy(v => v.Round).TakeLast(Kept)];
            await _storage.WriteStateAsync(StateName, grain, record);
        }
        catch (Exception e) when (e is not StorageFailedException)
        {
            throw StorageFailedException.From($"could not store device {grain.Key}'s state of round {state.Round}", e);
        }
        finally { _gate.Release(); }
    }

    private async Task<GrainState<DeviceStateRecord>> LoadAsync()
    {
        var record = new GrainState<DeviceStateRecord>(new DeviceStateRecord());
        await _storage.ReadStateAsync(StateName, grain, record);
        record.State ??= new DeviceStateRecord();
        return record;
    }
}

/// <summary>The device grain key: "experimentId/deviceIndex".</summary>
public readonly record struct DeviceKey(string ExperimentId, long Device)
{
    public override string ToString() => $"{ExperimentId}/{Device}";

    public static DeviceKey Parse(string key)
    {
        int slash = key.LastIndexOf('/');
        if (slash <= 0 || !long.TryParse(key.AsSpan(slash + 1), out long device))
            throw new ArgumentException($"device key '{key}' is not 'experimentId/deviceIndex'");
        return new DeviceKey(key[..slash], device);
    }
}
