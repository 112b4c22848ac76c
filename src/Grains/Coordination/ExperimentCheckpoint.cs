using FedSim.Scenario;
using FedSim.GrainInterfaces;

namespace FedSim.Coordination;

/// <summary>
/// Everything needed to resume an experiment after a restart or a move to another silo, written after
/// every round. Random streams need no counters here: every draw derives from (seed, round, device,
/// purpose), so replaying round CompletedRounds + 1 reproduces it exactly. Server state (optimizer
/// moments, SCAFFOLD's c) is stored entry by entry, typed, never as an opaque blob.
/// </summary>
[GenerateSerializer]
public sealed class ExperimentCheckpoint
{
    [Id(0)] public ScenarioSpec? Scenario { get; set; }
    [Id(1)] public int CompletedRounds { get; set; }
    [Id(2)] public float[]? Weights { get; set; }
    [Id(3)] public List<RoundReport> Reports { get; set; } = [];
    [Id(4)] public Dictionary<string, float[]> ServerVectors { get; set; } = [];
    [Id(5)] public bool Finished { get; set; }
    [Id(6)] public string? Error { get; set; }
    [Id(7)] public double SimulatedTotalSeconds { get; set; }
    [Id(8)] public Dictionary<string, double> ServerScalars { get; set; } = [];
    [Id(10)] public bool Cancelled { get; set; }

    /// <summary>Why the run ended early without an error (a spent privacy budget); null otherwise.</summary>
    [Id(9)] public string? FinishReason { get; set; }

    public Strategies.ServerState ServerState()
    {
        var state = new Strategies.ServerState();
        foreach (var (k, v) in ServerVectors) state.Vectors[k] = (float[])v.Clone();
        foreach (var (k, v) in ServerScalars) state.Scalars[k] = v;
        return state;
    }

    public void Store(Strategies.ServerState state)
    {
        ServerVectors = state.Vectors.ToDictionary(p => p.Key, p => p.Value);
        ServerScalars = state.Scalars.ToDictionary(p => p.Key, p => p.Value);
    }
}
