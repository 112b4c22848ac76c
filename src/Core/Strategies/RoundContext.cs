namespace FedSim.Strategies;

/// <summary>
/// What every algorithm part may know about the current round, passed down instead of the whole scenario
/// (after pfl-research's CentralContext): the round, the experiment seed its streams derive from, how many
/// devices exist and were sampled, the global model's version and the server state.
/// </summary>
/// <param name="Round">1-based round number.</param>
/// <param name="ExperimentSeed">Master seed; parts derive their streams with Seeds.Derive(seed, round, device, purpose).</param>
/// <param name="Population">Registered devices (N).</param>
/// <param name="CohortSize">Devices asked to train this round.</param>
/// <param name="ModelVersion">Rounds completed before this one (the global model's version).</param>
/// <param name="State">Server state; parts update their own entries.</param>
/// <param name="AssumedByzantine">Byzantine clients robust aggregators should tolerate per round (their f).</param>
public sealed record RoundContext(int Round, ulong ExperimentSeed, long Population, int CohortSize, int ModelVersion,
    ServerState State, int AssumedByzantine = 0);

/// <summary>One client's usable result as the server sees it (pure data; arrives sorted by device).</summary>
/// <param name="DeviceId">Client identity.</param>
/// <param name="Delta">Trained weights minus the round's global weights.</param>
/// <param name="Examples">Local training examples (the example weight of weighted means).</param>
/// <param name="Steps">Local optimizer steps actually taken (FedNova's τ; less than planned for kept partial work).</param>
/// <param name="Extras">Extra vectors the client objective sends (SCAFFOLD's "scaffold.delta_c").</param>
public sealed record DeviceResult(long DeviceId, float[] Delta, int Examples, int Steps = 0,
    IReadOnlyDictionary<string, float[]>? Extras = null)
{
    public float[]? Extra(string name) => Extras?.GetValueOrDefault(name);
}

/// <summary>
/// A sampled device without a usable update in a round, and why: what the device reports to the coordinator when it
/// fails, what the coordinator records for devices that dropped out, were late or sent a non-finite update, and what
/// aggregators and failures.csv see.
/// </summary>
/// <param name="StorageFailed">The device's state could not be stored: the run's failure, not the device's (the run stops).</param>
[GenerateSerializer, Immutable]
public sealed record DeviceFailure(
    [property: Id(0)] long DeviceId,
    [property: Id(1)] int Round,
    [property: Id(2)] string Reason,
    [property: Id(3)] bool StorageFailed = false);
