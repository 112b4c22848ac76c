using System.CommandLine;
using System.Globalization;
using System.Numerics;
using FedSim.Scenarios.Compare;
using FedSim.Scenarios.Running;
using Spectre.Console;

namespace FedSim.Scenarios.Cli;

/// <summary>
/// <c>fedsim compare FILE [--output DIR]</c>: runs every configuration of a sweep over its seeds on one shared
/// compute pool and writes compare.csv, accuracy.png, final_accuracy.png and report.html, with each run's folder
/// under runs/. Started again after an interruption, it keeps finished runs and continues the others.
/// </summary>
internal static class CompareCommand
{
    /// <summary>The most runs a comparison expands to unless <c>--max-runs</c> allows more: each run is validated and
    /// held while the comparison lasts, and a thousand runs of the smallest example already take hours on 2 cores.</summary>
    public const int DefaultMaxRuns = 1000;

    public static Command Create(CliContext context)
    {
        var file = new Argument<string>("FILE") { Description = "Comparison file (YAML): base: or scenario:, grid:, seeds:." };
        var output = new Option<string?>("--output", "-o") { Description = "Folder for compare.csv, the figures, report.html and runs/ (default: the file's 'output', else results/<name>)." };
        var dryRun = new Option<bool>("--dry-run") { Description = "List the runs the grid expands to, without training." };
        var maxRuns = new Option<long>("--max-runs")
        {
            Description = $"Refuse a comparison that expands to more runs than this (default {DefaultMaxRuns}).",
            DefaultValueFactory = _ => DefaultMaxRuns,
        };
        maxRuns.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<long>() < 1) result.AddError("--max-runs must be a positive integer.");
        });
        var command = new Command("compare", "Run a sweep of scenarios over seeds and compare them (mean and 95% intervals).");
        command.Arguments.Add(file);
        command.Options.Add(output);
        command.Options.Add(dryRun);
        command.Options.Add(maxRuns);
        command.SetAction(async (parse, cancellationToken) =>
        {
            string path = parse.GetValue(file)!;
            var (sweep, loadErrors) = SweepFile.Load(path);
            if (sweep is null) return Refuse(context, loadErrors);
            // The count costs nothing and comes first: a grid too large to hold is refused before one run is made.
            var (configurations, total) = SweepExpansion.Count(sweep);
            context.Out.WriteLine($"{sweep.Name}: {configurations:N0} configuration(s) x {sweep.Seeds.Count} seed(s) = {total:N0} run(s), {sweep.Concurrency} at a time");
            long limit = parse.GetValue(maxRuns);
            if (total > limit)
            {
                context.Error.WriteLine($"{path}: the grid expands to {total:N0} runs ({configurations:N0} configurations x {sweep.Seeds.Count} seeds), " +
                                        $"more than --max-runs {limit:N0}; narrow the grid or the seeds, or pass --max-runs {total} to run them all");
                return ExitCodes.InvalidInput;
            }
            if (parse.GetValue(dryRun)) return ListRuns(context, sweep, total, cancellationToken);

            var expansion = new ExpansionProgress(context.Out, (int)total);
            var (runs, errors) = SweepExpansion.Expand(sweep, expansion.Validated, cancellationToken);
            if (errors.Count > 0) return Refuse(context, errors);
            string outputDirectory = Path.GetFullPath(parse.GetValue(output) ?? sweep.Output ?? Path.Combine("results", sweep.Name));
            var outcome = await CompareSession.RunAsync(sweep, runs, outputDirectory, context.Out, cancellationToken);
            if (outcome.Interrupted) return Interrupted(context, outcome, runs.Count, path);
            WriteTable(context.Out, outcome, sweep);
            context.Out.WriteLine($"Results written to {outcome.OutputDirectory} ({outcome.RunsExecuted} run(s) trained, {outcome.RunsSkipped} kept from before)");
            return ExitCodes.Success;
        });
        return command;
    }

    private static int Refuse(CliContext context, IReadOnlyList<Configuration.ScenarioError> errors)
    {
        foreach (var error in errors) context.Error.WriteLine(error);
        return ExitCodes.InvalidInput;
    }

    /// <summary>--dry-run: one line per run as it is made and validated, nothing held (a large grid streams in flat memory).</summary>
    private static int ListRuns(CliContext context, SweepFile sweep, BigInteger total, CancellationToken cancellationToken)
    {
        var errors = new List<Configuration.ScenarioError>();
        long listed = 0;
        try
        {
            foreach (var step in SweepExpansion.Enumerate(sweep, cancellationToken))
            {
                if (step.Run is { } run) context.Out.WriteLine($"  {run.FolderName}: {run.Configuration.Label}, seed {run.Seed}");
                if (step.Run is not null) listed++;
                errors.AddRange(step.Errors);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            if (context.Interruption.TryClaimMessage())
                context.Error.WriteLine($"fedsim: interrupted after listing {listed:N0} of {total:N0} runs (a dry run writes nothing)");
            return context.Interruption.ExitCode;
        }
        return errors.Count > 0 ? Refuse(context, errors.DistinctBy(e => e.ToString()).ToList()) : ExitCodes.Success;
    }

    /// <summary>One line on stderr that says what a stop kept and how to go on; exit 130 or 143.</summary>
    private static int Interrupted(CliContext context, CompareOutcome outcome, int runs, string path)
    {
        if (context.Interruption.TryClaimMessage())
        {
            int notStarted = runs - outcome.RunsFinished - outcome.RunsStopped;
            string kept = outcome.RunsFinished == runs
                ? $"all {runs} runs finished (kept in {Path.Combine(outcome.OutputDirectory, CompareRunner.RunsFolder)}), the report was not written"
                : $"{outcome.RunsFinished} of {runs} runs finished and kept in {Path.Combine(outcome.OutputDirectory, CompareRunner.RunsFolder)}, " +
                  $"{outcome.RunsStopped} stopped mid-run (their folders say \"interrupted\" and keep their finished rounds), {notStarted} not started";
            context.Error.WriteLine($"fedsim: interrupted: {kept}; run `fedsim compare {path} --output {outcome.OutputDirectory}` again to continue: " +
                                    "finished runs are kept, stopped ones resume from their last finished round");
        }
        return context.Interruption.ExitCode;
    }

    /// <summary>Progress of the expansion when it is long enough to be noticed: a line every two seconds.</summary>
    private sealed class ExpansionProgress(TextWriter output, int total)
    {
        private readonly System.Diagnostics.Stopwatch _clock = System.Diagnostics.Stopwatch.StartNew();
        private TimeSpan _next = TimeSpan.FromSeconds(2);

        public void Validated(int made)
        {
            if (_clock.Elapsed < _next) return;
            _next = _clock.Elapsed + TimeSpan.FromSeconds(2);
            output.WriteLine($"  validated {made:N0} of {total:N0} runs");
        }
    }

    private static void WriteTable(TextWriter output, CompareOutcome outcome, SweepFile sweep)
    {
        var table = new Table().Border(TableBorder.Rounded);
        table.AddColumn("configuration");
        table.AddColumn(new TableColumn("final accuracy (95% CI)").RightAligned());
        if (sweep.TargetAccuracy is { } t) table.AddColumn(new TableColumn($"rounds to {t:0.##}").RightAligned());
        bool backdoor = outcome.Rows.Any(r => r.BackdoorAccuracy is not null);
        if (backdoor) table.AddColumn(new TableColumn("backdoor accuracy").RightAligned());
        // Per-device evaluation: the worst-off devices (10th percentile) are what personalization is for.
        var devices = CompareRow.DeviceMetrics.Where(m => m.EndsWith("_p10", StringComparison.Ordinal) && outcome.Rows.Any(r => r.Metric(m) is not null)).ToList();
        foreach (string metric in devices) table.AddColumn(new TableColumn(metric.Replace('_', ' ')).RightAligned());
        var inv = CultureInfo.InvariantCulture;
        foreach (var row in outcome.Rows)
        {
            var acc = row.FinalAccuracy;
            var cells = new List<string>
            {
                row.Configuration.Label,
                acc.Low is { } lo ? string.Create(inv, $"{acc.Mean:0.0000} [{lo:0.0000}, {acc.High:0.0000}]") : string.Create(inv, $"{acc.Mean:0.0000}"),
            };
            if (sweep.TargetAccuracy is not null)
            {
                var (mean, reached) = row.RoundsToTarget;
                cells.Add(mean is { } m ? string.Create(inv, $"{m:0.#} ({reached}/{row.Runs.Count})") : $"- (0/{row.Runs.Count})");
            }
            if (backdoor) cells.Add(row.BackdoorAccuracy is { } b ? string.Create(inv, $"{b.Mean:0.0000}") : "");
            cells.AddRange(devices.Select(m => row.Metric(m) is { } d ? string.Create(inv, $"{d.Mean:0.0000}") : ""));
            table.AddRow(cells.Select(Markup.Escape).ToArray());
        }
        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(output), Interactive = InteractionSupport.No });
        console.Write(table);
    }
}
