namespace FedSim.Contracts;

/// <summary>
/// A simulated device's hardware and network, generated deterministically (Bogus) from its seed.
/// Drives simulated round time; recorded in results.
/// </summary>
[GenerateSerializer, Immutable]
public sealed record DeviceProfile(
    [property: Id(0)] string Name,
    [property: Id(1)] string Region,
    [property: Id(2)] string DeviceClass,
    [property: Id(3)] double SamplesPerSecond,
    [property: Id(4)] double UplinkBytesPerSecond,
    [property: Id(5)] double DownlinkBytesPerSecond);

/// <summary>
/// The global model as broadcast to devices. Immutable: Orleans passes the same buffer to every
/// local grain without copying it.
/// </summary>
[GenerateSerializer, Immutable]
public sealed record GlobalModel([property: Id(0)] int Round, [property: Id(1)] float[] Weights);

/// <summary>
/// What the coordinator asks of one device for one round. It carries the scenario so a device
/// activated on any silo can derive its shard and profile without calling back.
/// </summary>
[GenerateSerializer, Immutable]
public sealed record RoundAssignment(
    [property: Id(0)] string ExperimentId,
    [property: Id(1)] int Round,
    [property: Id(2)] ulong TrainingSeed,
    [property: Id(3)] Compute.ModelSpec Model,
    [property: Id(4)] Compute.TrainingPlan Plan,
    [property: Id(5)] GlobalModel Global,
    [property: Id(6)] ScenarioSpec Scenario);

/// <summary>
/// A device's answer for one round: the weight delta and statistics. Never raw samples: no grain
/// method returns them, and this type has no place for them.
/// </summary>
[GenerateSerializer, Immutable]
public sealed record ClientUpdate(
    [property: Id(0)] long DeviceId,
    [property: Id(1)] int Round,
    [property: Id(2)] float[] Delta,
    [property: Id(3)] int Examples,
    [property: Id(4)] int Steps,
    [property: Id(5)] float MeanTrainLoss,
    [property: Id(6)] double SimulatedSeconds,
    [property: Id(7)] long BytesDown,
    [property: Id(8)] long BytesUp);

/// <summary>One finished round as published to observers and written to metrics.csv.</summary>
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
    [property: Id(11)] double WallSeconds);

/// <summary>Where an experiment stands.</summary>
[GenerateSerializer, Immutable]
public sealed record ExperimentStatus(
    [property: Id(0)] string ExperimentId,
    [property: Id(1)] int CompletedRounds,
    [property: Id(2)] int TotalRounds,
    [property: Id(3)] bool Finished,
    [property: Id(4)] string? Error,
    [property: Id(5)] IReadOnlyList<RoundReport> Reports);

/// <summary>A sampled device that could not deliver a usable update this round.</summary>
[GenerateSerializer, Immutable]
public sealed record ClientFailureReport(
    [property: Id(0)] long DeviceId,
    [property: Id(1)] int Round,
    [property: Id(2)] string Reason);
