using FedSim.Scenario;
using FedSim.Scenarios.Running;

namespace FedSim.Scenarios.Cli;

/// <summary>Process exit codes of <c>fedsim</c>.</summary>
public static class ExitCodes
{
    public const int Success = 0;
    /// <summary>Something failed while running (a bug, an I/O failure, a crashed silo).</summary>
    public const int RuntimeFailure = 1;
    /// <summary>The user's input is wrong: a bad scenario file, flag, argument or dataset.</summary>
    public const int InvalidInput = 2;
    /// <summary>Interrupted (Ctrl+C), as shells report SIGINT. SIGTERM exits 143 (<see cref="Interruption.TerminatedExitCode"/>).</summary>
    public const int Cancelled = 130;
}

/// <summary>
/// The work the CLI delegates, replaceable so tests can run commands in-process without training a model
/// or touching the network. Defaults are the real implementations.
/// </summary>
public sealed class CliServices
{
    public Func<ScenarioSpec, string, RunOptions, CancellationToken, Task<RunOutcome>> RunExperiment { get; init; } =
        (scenario, path, options, cancellationToken) => ExperimentRunner.RunAsync(scenario, path, options, cancellationToken);

    /// <summary>fedsim attack: train and audit.</summary>
    public Func<ScenarioSpec, string, RunOptions, CancellationToken, Task<RunOutcome>> RunAttack { get; init; } = AttackRunner.RunAsync;

    /// <summary>(dataset name, target folder, mirror base or null, cancellation).</summary>
    public Func<string, string, Uri?, CancellationToken, Task> FetchDataset { get; init; } = DataCommands.FetchAsync;

    /// <summary>Print full exception details for runtime failures (also turned on by <c>--verbose</c>).</summary>
    public bool Debug { get; init; } = Environment.GetEnvironmentVariable("FEDSIM_DEBUG") is "1" or "true" or "TRUE";

    public static CliServices Default { get; } = new();
}

/// <summary>What every command action needs: where to write and what to call.</summary>
internal sealed record CliContext(TextWriter Out, TextWriter Error, CliServices Services, Interruption Interruption);

/// <summary>A user error found by a command (bad argument value and the like): exit 2, message only.</summary>
public sealed class CliUsageException(string message) : Exception(message);
