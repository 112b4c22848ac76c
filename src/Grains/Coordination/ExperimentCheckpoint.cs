using FedSim.Contracts;

namespace FedSim.Coordination;

/// <summary>
/// Everything needed to resume an experiment after a restart or a move to another silo, written after
/// every round. Random streams need no counters here: every draw derives from (seed, round, device,
/// purpose), so replaying round CompletedRounds + 1 reproduces it exactly.
/// </summary>
[GenerateSerializer]
public sealed class ExperimentCheckpoint
{
    [Id(0)] public ScenarioSpec? Scenario { get; set; }
    [Id(1)] public int CompletedRounds { get; set; }
    [Id(2)] public float[]? Weights { get; set; }
    [Id(3)] public List<RoundReport> Reports { get; set; } = [];
    [Id(4)] public byte[]? StrategyState { get; set; }
    [Id(5)] public bool Finished { get; set; }
    [Id(6)] public string? Error { get; set; }
    [Id(7)] public double SimulatedTotalSeconds { get; set; }
}
