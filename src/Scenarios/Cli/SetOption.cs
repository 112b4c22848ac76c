using System.CommandLine;

namespace FedSim.Scenarios.Cli;

/// <summary><c>--set KEY=VALUE</c>, repeatable: a scenario key changed for this command (see <see cref="Configuration.ScenarioOverrides"/>).</summary>
internal static class SetOption
{
    public static Option<string[]> Create() => new("--set")
    {
        Description = "Change a scenario key for this command, e.g. --set training.rounds=5 --set strategy.aggregator.kind=median (the value is YAML; repeatable).",
        Arity = ArgumentArity.ZeroOrMore,
        AllowMultipleArgumentsPerToken = false,
    };

    /// <summary>The overrides as flags again, for a command line printed back to the user (" --set a=1 --set b=2"; empty when none).</summary>
    public static string Echo(IReadOnlyList<string> sets) =>
        string.Concat(sets.Select(s => s.Contains(' ', StringComparison.Ordinal) || s.Contains('{', StringComparison.Ordinal) ? $" --set '{s}'" : $" --set {s}"));
}
