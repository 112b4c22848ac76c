using System.CommandLine;
using System.CommandLine.Invocation;
using FedSim.Scenarios.Configuration;
using FedSim.Scenarios.Reports;

namespace FedSim.Scenarios.Cli;

/// <summary>
/// The <c>fedsim</c> command line: <c>run</c>, <c>status</c>, <c>cancel</c>, <c>compare</c>, <c>attack</c>, <c>validate</c>, <c>schema</c>,
/// <c>data fetch</c>, <c>privacy epsilon|noise</c>, <c>bench</c>.
/// Exit codes: 0 success, 2 invalid input (scenario, flags, dataset, results folder), 1 runtime failure,
/// 130 interrupted by Ctrl+C, 143 by SIGTERM (see <see cref="Interruption"/>).
/// Errors go to stderr as one clear line; stack traces only with <c>--verbose</c> or <c>FEDSIM_DEBUG=1</c>.
/// </summary>
public static class FedSimCli
{
    /// <summary>Exception types that mean "the user's input is wrong": exit 2 with the message alone.</summary>
    private static readonly Type[] UserErrorTypes =
    [
        typeof(FedSim.Data.DatasetException), typeof(FedSim.Data.PartitionException), typeof(FedSim.Privacy.Accounting.PrivacyParameterException),
        typeof(Reports.ResultsFolderInUseException), typeof(Reports.ResultsFolderOccupiedException), typeof(Reports.CannotResumeException),
        typeof(FedSim.Compute.ModelFileException),
    ];

    /// <summary>Runs the CLI in-process: parses <paramref name="args"/>, runs the command, returns the exit code.
    /// Cancelling <paramref name="cancellationToken"/> stops the command as a Ctrl+C would (exit 130).</summary>
    public static async Task<int> RunAsync(string[] args, TextWriter stdout, TextWriter stderr,
        CliServices? services = null, CancellationToken cancellationToken = default)
    {
        using var interruption = Interruption.FromToken(cancellationToken);
        return await RunAsync(args, stdout, stderr, interruption, services);
    }

    /// <summary>
    /// Runs the CLI under <paramref name="interruption"/>: <c>Main</c> passes one listening to the process's signals, so
    /// the first Ctrl+C or SIGTERM stops the command cleanly and the exit code says which signal it was.
    /// </summary>
    public static async Task<int> RunAsync(string[] args, TextWriter stdout, TextWriter stderr, Interruption interruption,
        CliServices? services = null)
    {
        services ??= CliServices.Default;
        Provenance.Command.Value = ["fedsim", .. args];
        var cancellationToken = interruption.Token;
        var context = new CliContext(stdout, stderr, services, interruption);
        var verbose = new Option<bool>("--verbose", "-v")
        {
            Description = "Print full error details (stack traces) on failure. Same as FEDSIM_DEBUG=1.",
            Recursive = true,
        };
        var root = new RootCommand("FedSim: federated-learning simulator. Scenario files are YAML; see `fedsim schema`.");
        root.Options.Add(verbose);
        root.Subcommands.Add(RunCommand.Create(context));
        root.Subcommands.Add(ClusterCommands.Status(context));
        root.Subcommands.Add(ClusterCommands.Cancel(context));
        root.Subcommands.Add(CompareCommand.Create(context));
        root.Subcommands.Add(AttackCommand.Create(context));
        root.Subcommands.Add(ValidateCommand.Create(context));
        root.Subcommands.Add(SchemaCommand.Create(context));
        root.Subcommands.Add(DataCommands.Create(context));
        root.Subcommands.Add(PrivacyCommands.Create(context));
        root.Subcommands.Add(Bench.BenchCommand.Create(stdout, stderr, claimInterruptionMessage: interruption.TryClaimMessage));

        ParseResult parse = root.Parse(args);
        bool debug = services.Debug || parse.GetValue(verbose);

        // System.CommandLine's own error action prints help and exits 1; input errors exit 2 here.
        if (parse.Action is ParseErrorAction)
        {
            foreach (var error in parse.Errors) stderr.WriteLine($"fedsim: {error.Message}");
            var commands = parse.CommandResult.Command.Subcommands.Select(c => c.Name).ToList();
            foreach (var token in parse.UnmatchedTokens)
                if (Suggestions.Closest(token, commands) is { } close)
                    stderr.WriteLine($"Did you mean '{close}'?");
            string command = parse.CommandResult.Command is RootCommand ? "fedsim" : $"fedsim {CommandPath(parse.CommandResult.Command, root)}";
            stderr.WriteLine($"Run '{command} --help' for usage.");
            return ExitCodes.InvalidInput;
        }

        try
        {
            var configuration = new InvocationConfiguration
            {
                Output = stdout,
                Error = stderr,
                EnableDefaultExceptionHandler = false, // failures are classified below, never dumped raw
                // Signals belong to Interruption. System.CommandLine's own handler returns 130 two seconds after
                // Ctrl+C whatever is still running (libtorch torn down under a busy compute thread: segfaults), and
                // throws InvalidOperationException on a second Ctrl+C.
                ProcessTerminationTimeout = null,
            };
            int exit = await parse.InvokeAsync(configuration, cancellationToken);
            if (interruption.Requested && exit != ExitCodes.InvalidInput)
            {
                // Stopped by a signal: say so once (a command that noticed already did) and exit as shells expect.
                if (interruption.TryClaimMessage()) stderr.WriteLine("fedsim: interrupted");
                return interruption.ExitCode;
            }
            return exit;
        }
        catch (Exception e)
        {
            return ReportFailure(e, stderr, debug, interruption);
        }
    }

    /// <summary>Maps an escaped exception to an exit code and a message fit for a terminal.</summary>
    internal static int ReportFailure(Exception exception, TextWriter stderr, bool debug, Interruption interruption)
    {
        var e = Unwrap(exception);
        if (interruption.Requested && (e is OperationCanceledException || !IsUserError(e)))
        {
            // After a signal, a failure is the stop itself (a cancelled wait, a disposed pool): one line, no details.
            if (interruption.TryClaimMessage()) stderr.WriteLine("fedsim: interrupted");
            return interruption.ExitCode;
        }
        if (e is ScenarioException scenario)
        {
            foreach (var error in scenario.Errors) stderr.WriteLine(error);
            return ExitCodes.InvalidInput;
        }
        if (IsUserError(e))
        {
            stderr.WriteLine($"fedsim: {e.Message}");
            if (debug) stderr.WriteLine(e);
            return ExitCodes.InvalidInput;
        }
        stderr.WriteLine($"fedsim: error: {OneLine(e.Message)}");
        if (debug) stderr.WriteLine(e);
        else stderr.WriteLine("(run with --verbose or FEDSIM_DEBUG=1 for details)");
        return ExitCodes.RuntimeFailure;
    }

    internal static bool IsUserError(Exception e) =>
        e is ScenarioException or CliUsageException || UserErrorTypes.Any(t => t.IsInstanceOfType(e));

    private static Exception Unwrap(Exception e)
    {
        while (e is AggregateException { InnerExceptions.Count: 1 } aggregate) e = aggregate.InnerExceptions[0];
        return e;
    }

    private static string OneLine(string message) => message.ReplaceLineEndings(" ").Trim();

    private static string CommandPath(Command command, Command root)
    {
        // Finds "data fetch" for the fetch command: subcommands are at most two levels deep.
        foreach (var child in root.Subcommands)
        {
            if (child == command) return child.Name;
            foreach (var grandchild in child.Subcommands)
                if (grandchild == command) return $"{child.Name} {grandchild.Name}";
        }
        return command.Name;
    }
}
