using FedSim.Contracts;

namespace FedSim.Scenarios.Running;

/// <summary>Options given on the command line that override the scenario file.</summary>
public sealed record RunOptions(string? OutputDirectory = null, ulong? Seed = null, bool Quiet = false);

/// <summary>What a finished run leaves behind.</summary>
public sealed record RunOutcome(string OutputDirectory, IReadOnlyList<RoundReport> Reports);

/// <summary>Runs one scenario on an embedded (in-process) silo and writes its results folder.</summary>
public static partial class ExperimentRunner
{
    // Implemented by the coordinator work (grains + embedded silo); the CLI calls this.
    public static Task<RunOutcome> RunAsync(ScenarioSpec scenario, string scenarioPath, RunOptions options, CancellationToken cancellationToken)
        => throw new NotImplementedException("wired up with the grains");
}
