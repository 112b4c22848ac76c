using System.Globalization;
using FedSim.Scenario;
using FedSim.GrainInterfaces;
using FedSim.Scenarios.Configuration;
using FedSim.Scenarios.Reports;

namespace FedSim.Scenarios.Compare;

/// <summary>Runs one scenario of a comparison into its folder (on a silo shared by all runs) and returns its reports.</summary>
public delegate Task<IReadOnlyList<RoundReport>> CompareRunExecutor(SweepRun run, string folder, CancellationToken cancellationToken);

/// <summary>What a comparison produced.</summary>
/// <param name="RunsSkipped">Runs finished by an earlier start, kept as they were.</param>
/// <param name="RunsExecuted">Runs trained to the end by this start.</param>
/// <param name="RunsStopped">Interrupted: runs stopped mid-training (their folders say so and keep their finished rounds).</param>
/// <param name="Interrupted">A stop was asked for: <see cref="Rows"/> is empty and no comparison output was written.</param>
public sealed record CompareOutcome(string OutputDirectory, IReadOnlyList<CompareRow> Rows, int RunsSkipped, int RunsExecuted,
    int RunsStopped = 0, bool Interrupted = false)
{
    /// <summary>Runs whose results are complete in their folders.</summary>
    public int RunsFinished => RunsSkipped + RunsExecuted;
}

/// <summary>
/// <c>fedsim compare</c>: runs every configuration × seed of a sweep, at most <see cref="SweepFile.Concurrency"/> at a
/// time on one shared compute pool (cohorts of different runs batch together where model and plan agree), each into
/// its own results folder under runs/, then writes compare.csv, the figures and report.html. A run whose folder
/// already holds a finished run of the same scenario is not redone, so an interrupted comparison continues where
/// it stopped. Numbers never depend on which runs happened to share the pool.
/// </summary>
public static class CompareRunner
{
    public const string RunsFolder = "runs";

    public static async Task<CompareOutcome> RunAsync(SweepFile sweep, IReadOnlyList<SweepRun> runs, string outputDirectory,
        CompareRunExecutor execute, TextWriter progress, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(outputDirectory);
        var results = new CompareRunResult?[runs.Count];
        int skipped = 0, executed = 0, stopped = 0, finished = 0;
        using var slots = new SemaphoreSlim(sweep.Concurrency);
        var tasks = runs.Select(async (run, i) =>
        {
            string folder = Path.Combine(outputDirectory, RunsFolder, run.FolderName);
            if (TryReadFinished(sweep, run, folder) is { } done)
            {
                results[i] = done;
                Interlocked.Increment(ref skipped);
                lock (progress) progress.WriteLine($"[{Interlocked.Increment(ref finished)}/{runs.Count}] {run.FolderName}: already finished, kept");
                return;
            }
            await slots.WaitAsync(cancellationToken);
            try
            {
                var clock = System.Diagnostics.Stopwatch.StartNew();
                var reports = await execute(run, folder, cancellationToken);
                var result = new CompareRunResult(run, reports, clock.Elapsed.TotalSeconds);
                results[i] = result;
                Interlocked.Increment(ref executed);
                string accuracy = result.FinalAccuracy is { } a ? a.ToString("0.0000", CultureInfo.InvariantCulture) : "n/a";
                lock (progress) progress.WriteLine($"[{Interlocked.Increment(ref finished)}/{runs.Count}] {run.FolderName}: final accuracy {accuracy} ({result.WallSeconds:0.0} s)");
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                Interlocked.Increment(ref stopped);
            }
            finally { slots.Release(); }
        }).ToList();
        try
        {
            await Task.WhenAll(tasks);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Runs still waiting for a slot: not started. Those that ran counted themselves above.
        }
        if (cancellationToken.IsCancellationRequested)
            return new CompareOutcome(outputDirectory, [], skipped, executed, stopped, Interrupted: true);

        var keys = sweep.Grid.Select(a => a.Key).ToList();
        var rows = results.Select(r => r!).GroupBy(r => r.Run.Configuration.Index)
            .Select(g => new CompareRow(g.First().Run.Configuration, g.OrderBy(r => sweep.Seeds.ToList().IndexOf(r.Run.Seed)).ToList(), sweep.TargetAccuracy))
            .OrderBy(r => r.Configuration.Index).ToList();
        try
        {
            WriteOutputs(sweep, rows, keys, outputDirectory, cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return new CompareOutcome(outputDirectory, [], skipped, executed, Interrupted: true);
        }
        return new CompareOutcome(outputDirectory, rows, skipped, executed);
    }

    /// <summary>compare.csv, the figures and report.html; cancellation stops between them (each file is written whole or not at all).</summary>
    public static void WriteOutputs(SweepFile sweep, IReadOnlyList<CompareRow> rows, IReadOnlyList<string> keys, string outputDirectory,
        CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        string csv = CompareCsv.Format(rows, keys);
        AtomicFile.WriteAllText(Path.Combine(outputDirectory, CompareCsv.FileName), csv);
        cancellationToken.ThrowIfCancellationRequested();
        var (accuracy, accuracyNotes) = CompareFigures.AccuracyPerRound(rows, CompareFigures.FacetKey(sweep.Grid, sweep.Facet), $"{sweep.Name}: test accuracy per round");
        cancellationToken.ThrowIfCancellationRequested();
        var final = CompareFigures.FinalAccuracy(rows, keys, $"{sweep.Name}: final test accuracy");
        AtomicFile.WriteAllBytes(Path.Combine(outputDirectory, CompareFigures.AccuracyFile), accuracy);
        AtomicFile.WriteAllBytes(Path.Combine(outputDirectory, CompareFigures.FinalAccuracyFile), final);
        var figures = new List<ReportFigure>
        {
            new("Accuracy per round", "test accuracy per round, mean over seeds", accuracy),
            new("Final accuracy", "final test accuracy by configuration, mean over seeds with 95% intervals", final),
        };
        if (rows.Any(r => r.Epsilon is not null))
        {
            cancellationToken.ThrowIfCancellationRequested();
            var privacy = CompareFigures.AccuracyAgainstEpsilon(rows, $"{sweep.Name}: final test accuracy against ε");
            AtomicFile.WriteAllBytes(Path.Combine(outputDirectory, CompareFigures.PrivacyFile), privacy);
            figures.Add(new("Accuracy against ε", "final test accuracy against the epsilon spent", privacy));
        }
        var notes = new List<string>
        {
            $"Base scenario: {sweep.BaseSource}; grid: {(keys.Count == 0 ? "none" : string.Join(" × ", sweep.Grid.Select(a => $"{a.Key} ({a.Values.Count})")))}; seeds: {string.Join(", ", sweep.Seeds)}.",
            "Final accuracy is the test accuracy of the last round: the mean over seeds ± the half-width of its two-sided 95% Student-t interval, in percentage points (no interval for one seed).",
        };
        if (sweep.TargetAccuracy is { } t)
            notes.Add($"Rounds to {ReportUnits.Level(t)}: the mean first round reaching it over the seeds that reached it (in brackets: how many did).");
        if (rows.Any(r => r.Epsilon is not null))
            notes.Add("ε spent: the ε of the last round (the accountant's, at the scenario's privacy.delta), mean over seeds.");
        notes.AddRange(accuracyNotes);
        notes.Add($"Each run's own results folder, with its report.html, is under {RunsFolder}/; compare.csv holds this table's numbers unrounded.");
        cancellationToken.ThrowIfCancellationRequested();
        var report = new CompareReportInput($"FedSim comparison: {sweep.Name}", keys, rows, notes, figures,
            relative => Path.Exists(Path.Combine(outputDirectory, relative)));
        AtomicFile.WriteAllText(Path.Combine(outputDirectory, CompareReport.FileName), CompareReport.Build(report));
    }

    /// <summary>
    /// A finished run of exactly this scenario in <paramref name="folder"/> (summary.json written, scenario.yaml
    /// equal once comments are dropped), or null.
    /// </summary>
    private static CompareRunResult? TryReadFinished(SweepFile sweep, SweepRun run, string folder)
    {
        var expected = ScenarioPaths.ResolveForRun(run.Scenario, sweep.BaseDirectory, folder);
        string summary = Path.Combine(folder, SummaryJson.FileName), scenario = Path.Combine(folder, ResultsFolder.ScenarioFileName);
        if (!File.Exists(summary) || !File.Exists(scenario)) return null;
        try
        {
            var existing = ScenarioLoader.Load(scenario);
            if (!existing.Succeeded || Canonical(existing.Spec!) != Canonical(expected)) return null;
            var written = SummaryJson.Read(summary);
            // Interrupted or stopped early: run it again (a run that finished early as planned, its privacy budget spent, is done).
            if (written.Rounds < run.Scenario.Training.Rounds && written.FinishReason is null) return null;
            return new CompareRunResult(run, MetricsCsv.Read(Path.Combine(folder, MetricsCsv.FileName)), written.WallSeconds);
        }
        catch (Exception e) when (e is IOException or ResultsException or System.Text.Json.JsonException) { return null; }
    }

    /// <summary>The scenario without where its outputs go (a run's folder is decided by the comparison).</summary>
    private static string Canonical(ScenarioSpec spec)
    {
        var copy = ScenarioModel.Clone(spec);
        copy.Output = null;
        return ScenarioWriter.ToYaml(copy);
    }
}
