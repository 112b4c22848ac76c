using System.CommandLine;
using System.Globalization;
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
    public static Command Create(CliContext context)
    {
        var file = new Argument<string>("FILE") { Description = "Comparison file (YAML): base: or scenario:, grid:, seeds:." };
        var output = new Option<string?>("--output", "-o") { Description = "Folder for compare.csv, the figures, report.html and runs/ (default: the file's 'output', else results/<name>)." };
        var dryRun = new Option<bool>("--dry-run") { Description = "List the runs the grid expands to, without training." };
        var command = new Command("compare", "Run a sweep of scenarios over seeds and compare them (mean and 95% intervals).");
        command.Arguments.Add(file);
        command.Options.Add(output);
        command.Options.Add(dryRun);
        command.SetAction(async (parse, cancellationToken) =>
        {
            string path = parse.GetValue(file)!;
            var (sweep, errors) = SweepFile.Load(path);
            IReadOnlyList<SweepRun> runs = [];
            if (sweep is not null) (runs, errors) = SweepExpansion.Expand(sweep);
            if (errors.Count > 0)
            {
                foreach (var error in errors) context.Error.WriteLine(error);
                return ExitCodes.InvalidInput;
            }
            int configurations = runs.Select(r => r.Configuration.Index).Distinct().Count();
            context.Out.WriteLine($"{sweep!.Name}: {configurations} configuration(s) x {sweep.Seeds.Count} seed(s) = {runs.Count} run(s), {sweep.Concurrency} at a time");
            if (parse.GetValue(dryRun))
            {
                foreach (var run in runs) context.Out.WriteLine($"  {run.FolderName}: {run.Configuration.Label}, seed {run.Seed}");
                return ExitCodes.Success;
            }
            string outputDirectory = Path.GetFullPath(parse.GetValue(output) ?? sweep.Output ?? Path.Combine("results", sweep.Name));
            var outcome = await CompareSession.RunAsync(sweep, runs, outputDirectory, context.Out, cancellationToken);
            WriteTable(context.Out, outcome, sweep);
            context.Out.WriteLine($"Results written to {outcome.OutputDirectory} ({outcome.RunsExecuted} run(s) trained, {outcome.RunsSkipped} kept from before)");
            return ExitCodes.Success;
        });
        return command;
    }

    private static void WriteTable(TextWriter output, CompareOutcome outcome, SweepFile sweep)
    {
        var table = new Table().Border(TableBorder.Rounded);
        table.AddColumn("configuration");
        table.AddColumn(new TableColumn("final accuracy (95% CI)").RightAligned());
        if (sweep.TargetAccuracy is { } t) table.AddColumn(new TableColumn($"rounds to {t:0.##}").RightAligned());
        bool backdoor = outcome.Rows.Any(r => r.BackdoorAccuracy is not null);
        if (backdoor) table.AddColumn(new TableColumn("backdoor accuracy").RightAligned());
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
            table.AddRow(cells.Select(Markup.Escape).ToArray());
        }
        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(output), Interactive = InteractionSupport.No });
        console.Write(table);
    }
}
