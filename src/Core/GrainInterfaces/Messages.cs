using FedSim.Scenario;
using FedSim.Rounds;
using FedSim.Strategies;

namespace FedSim.GrainInterfaces;

/// <summary>
/// Names a global model: the one <paramref name="Round"/> of experiment <paramref name="ExperimentId"/> starts from.
/// That model is a pure function of the experiment's checkpoint, so every copy under one name holds the same numbers
/// (a replayed round's included, and an experiment id never names two runs: starting it again resumes it). Silos
/// share a model by this name, never by which array holds it: each copy a device receives from another silo is
/// its own array, yet the compute pool uploads the model to its device once per round.
/// </summary>
[GenerateSerializer, Immutable]
public readonly record struct GlobalModelId([property: Id(0)] string ExperimentId, [property: Id(1)] int Round)
{
    public override string ToString() => $"{ExperimentId}@{Round}";
}

/// <summary>
/// The global model as broadcast to devices. Immutable: Orleans passes the same buffer to every
/// local grain without copying it.
/// </summary>
[GenerateSerializer, Immutable]
public sealed record GlobalModel([property: Id(0)] GlobalModelId Id, [property: Id(1)] float[] Weights)
{
    /// <summary>The round that starts from this model.</summary>
    public int Round => Id.Round;
}

/// <summary>
/// What the coordinator asks of one device for one round. It carries the scenario so a device
/// activated on any silo can derive its shard and profile without calling back.
/// </summary>
/// <param name="Plan">The round's plan with the algorithm's modifiers (a malicious device adds its attack's own).</param>
/// <param name="MaxSteps">Local steps that fit the deadline when a straggler keeps partial work; null: the whole plan.</param>
/// <param name="Broadcast">Vectors the server sends with the model (SCAFFOLD's c).</param>
/// <param name="SimulatedSeconds">The device's simulated download + training + upload time, decided by the round plan.</param>
/// <param name="Byzantine">Set for a malicious device: what it needs to know about this round's attack.</param>
/// <param name="SecureAggregation">Set when the round's updates travel through secure aggregation: the device keeps its
/// update, advertises keys, and answers the coordinator's protocol calls instead of submitting a delta.</param>
/// <param name="SumOnPool">The round sums its updates on the compute pools (<c>compute.sum_updates</c>): the device's job
/// asks its pool to add the delta, weighted by the device's examples, to its cohort's sum instead of returning it.</param>
[GenerateSerializer, Immutable]
public sealed record RoundAssignment(
    [property: Id(0)] string ExperimentId,
    [property: Id(1)] int Round,
    [property: Id(2)] ulong TrainingSeed,
    [property: Id(3)] Models.ModelSpec Model,
    [property: Id(4)] Training.TrainingPlan Plan,
    [property: Id(5)] GlobalModel Global,
    [property: Id(6)] ScenarioSpec Scenario,
    [property: Id(7)] int? MaxSteps = null,
    [property: Id(8)] IReadOnlyDictionary<string, float[]>? Broadcast = null,
    [property: Id(9)] double SimulatedSeconds = 0,
    [property: Id(10)] ByzantineRole? Byzantine = null,
    [property: Id(11)] SecureAggregationRole? SecureAggregation = null,
    [property: Id(12)] bool SumOnPool = false);

/// <summary>A malicious device's view of the round it attacks.</summary>
/// <param name="CohortSize">Devices asked to train this round (n).</param>
/// <param name="Members">Malicious devices that deliver this round (m; a colluding attack waits for all of them).</param>
/// <param name="CraftSeed">Seed of the attack's random draws this round.</param>
[GenerateSerializer, Immutable]
public sealed record ByzantineRole([property: Id(0)] int CohortSize, [property: Id(1)] int Members, [property: Id(2)] ulong CraftSeed);

/// <summary>
/// A device's answer for one round: the weight delta and statistics. Never raw samples: no grain
/// method returns them, and this type has no place for them. Under secure aggregation the delta is empty (the
/// update travels masked); <see cref="LocalEpsilon"/> is the device's own ε under local DP. When the round sums on the
/// compute pools the delta is empty too: <see cref="UpdateNorm"/> is its norm as the pool measured it, one device of
/// each cohort carries the cohort's sum (<see cref="PooledSum"/>), and <see cref="LeftOut"/> says why the pool kept an
/// update out of the sum (a non-finite value): the coordinator counts that device as failed.
/// </summary>
[GenerateSerializer, Immutable]
public sealed record DeviceUpdate(
    [property: Id(0)] long DeviceId,
    [property: Id(1)] int Round,
    [property: Id(2)] float[] Delta,
    [property: Id(3)] int Examples,
    [property: Id(4)] int Steps,
    [property: Id(5)] float MeanTrainLoss,
    [property: Id(6)] double SimulatedSeconds,
    [property: Id(7)] long BytesDown,
    [property: Id(8)] long BytesUp,
    [property: Id(9)] IReadOnlyDictionary<string, float[]>? Extras = null,
    [property: Id(10)] double? LocalEpsilon = null,
    [property: Id(11)] double? UpdateNorm = null,
    [property: Id(12)] PooledSum? PooledSum = null,
    [property: Id(13)] string? LeftOut = null);

/// <summary>
/// A cohort's weighted updates as its compute pool summed them (<see cref="ExactSum"/>'s limbs, limb-major, so partial
/// sums add up exactly in any order), with what the pool knows of each member.
/// </summary>
/// <param name="Round">The round (its global model) whose updates these are.</param>
/// <param name="Members">The devices whose weighted deltas the sum holds, by device.</param>
/// <param name="Limbs"><see cref="ExactSum.Limbs"/> × the model's parameter count.</param>
[GenerateSerializer, Immutable]
public sealed record PooledSum(
    [property: Id(0)] GlobalModelId Round,
    [property: Id(1)] PooledMember[] Members,
    [property: Id(2)] long[] Limbs);

/// <summary>
/// One device of a pooled sum: its weight (examples), steps and update norm, measured on the pool. Its training loss is
/// not here: the device decides whether to send it (<see cref="DeviceUpdate.MeanTrainLoss"/>).
/// </summary>
[GenerateSerializer, Immutable]
public sealed record PooledMember(
    [property: Id(0)] long DeviceId,
    [property: Id(1)] int Examples,
    [property: Id(2)] int Steps,
    [property: Id(3)] double UpdateNorm);

/// <summary>One sampled device in one round, as written to clients.csv.</summary>
/// <param name="Status">used | not used (the aggregator left it out) | failed | dropped | late | surplus.</param>
/// <param name="TrainLoss">Its mean local training loss (NaN when it did not deliver).</param>
/// <param name="UpdateNorm">L2 norm of the update it sent (NaN when it did not deliver).</param>
[GenerateSerializer, Immutable]
public sealed record DeviceRoundRecord(
    [property: Id(0)] long Device,
    [property: Id(1)] string Status,
    [property: Id(2)] int Examples,
    [property: Id(3)] int Steps,
    [property: Id(4)] double TrainLoss,
    [property: Id(5)] double UpdateNorm);

/// <summary>One finished round as published to observers and written to metrics.csv.</summary>
/// <param name="Participants">Updates that reached aggregation (delivered and finite).</param>
/// <param name="Failed">Devices that trained but gave no usable update (an error, a non-finite value).</param>
/// <param name="Selected">Devices sampled this round (over-selection included).</param>
/// <param name="Dropped">Sampled devices that dropped out and never answered.</param>
/// <param name="Late">Sampled devices that would have missed the deadline.</param>
/// <param name="Surplus">Over-selected devices the server stopped waiting for.</param>
/// <param name="Metrics">Stage metrics in a fixed order (every round of a run has the same names).</param>
/// <param name="Failures">Every sampled device without a usable update, with the reason.</param>
/// <param name="Clients">Every sampled device with its status, examples, steps, loss and update norm (clients.csv).</param>
[GenerateSerializer, Immutable]
public sealed record RoundReport(
    [property: Id(0)] int Round,
    [property: Id(1)] double? TestAccuracy,
    [property: Id(2)] double? TestLoss,
    [property: Id(3)] int Participants,
    [property: Id(4)] int Failed,
    [property: Id(5)] double MeanTrainLoss,
    [property: Id(6)] long TrainExamples,
    [property: Id(7)] long BytesSent,
    [property: Id(8)] long BytesReceived,
    [property: Id(9)] double SimulatedRoundSeconds,
    [property: Id(10)] double SimulatedTotalSeconds,
    [property: Id(11)] double WallSeconds,
    [property: Id(12)] int Selected = 0,
    [property: Id(13)] int Dropped = 0,
    [property: Id(14)] int Late = 0,
    [property: Id(15)] int Surplus = 0,
    [property: Id(16)] ValueList<RoundMetric>? Metrics = null,
    [property: Id(17)] ValueList<DeviceFailure>? Failures = null,
    [property: Id(18)] ValueList<DeviceRoundRecord>? Clients = null,
    [property: Id(19)] ValueList<Rounds.DeviceAccuracy>? DeviceAccuracies = null)
{
    public IReadOnlyList<DeviceRoundRecord> AllClients => Clients ?? ValueList<DeviceRoundRecord>.Empty;

    public IReadOnlyList<RoundMetric> AllMetrics => Metrics ?? ValueList<RoundMetric>.Empty;

    public IReadOnlyList<DeviceFailure> AllFailures => Failures ?? ValueList<DeviceFailure>.Empty;

    public double? Metric(string name) => AllMetrics.FirstOrDefault(m => m.Name == name)?.Value;
}

/// <summary>Where an experiment stands.</summary>
/// <param name="Reports">The finished rounds' reports (from <see cref="IExperimentGrain.GetStatusSinceAsync"/>: only the new ones).</param>
/// <param name="FinishReason">Why a finished run ended before its planned rounds without an error (a spent privacy budget).</param>
/// <param name="Cancelled">Ended by <see cref="IExperimentGrain.CancelAsync"/> (then <see cref="Error"/> holds the reason).</param>
[GenerateSerializer, Immutable]
public sealed record ExperimentStatus(
    [property: Id(0)] string ExperimentId,
    [property: Id(1)] int CompletedRounds,
    [property: Id(2)] int TotalRounds,
    [property: Id(3)] bool Finished,
    [property: Id(4)] string? Error,
    [property: Id(5)] IReadOnlyList<RoundReport> Reports,
    [property: Id(6)] string? FinishReason = null,
    [property: Id(7)] bool Cancelled = false);

/// <summary>An experiment as the registry lists it.</summary>
/// <param name="Submitted">When its coordinator first started (UTC; for people, never for the simulation).</param>
[GenerateSerializer, Immutable]
public sealed record ExperimentEntry(
    [property: Id(0)] string ExperimentId,
    [property: Id(1)] string Name,
    [property: Id(2)] ulong Seed,
    [property: Id(3)] int Rounds,
    [property: Id(4)] DateTime Submitted);
