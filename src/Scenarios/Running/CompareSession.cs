using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using FedSim.Compute;
using FedSim.Scenario;
using FedSim.GrainInterfaces;
using FedSim.Scenarios.Compare;
using FedSim.Scenarios.Configuration;
using FedSim.Scenarios.Reports;

namespace FedSim.Scenarios.Running;

/// <summary>
/// The runs of one <c>fedsim compare</c> on one embedded silo: one compute pool for all of them (their cohorts batch
/// together where model and plan agree) and one checkpoint folder, so a comparison that was stopped continues each
/// unfinished run from its last finished round when it is started again.
/// </summary>
public static class CompareSession
{
    public static async Task<CompareOutcome> RunAsync(SweepFile sweep, IReadOnlyList<SweepRun> runs, string outputDirectory, TextWriter progress,
        CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(outputDirectory);
        // Compute settings are the base scenario's: every run shares this pool.
        var compute = runs.Count > 0 ? runs[0].Scenario.Compute : new ComputeSpec();
        var poolOptions = new ComputePoolOptions(Device: compute.Device, Workers: compute.Workers, MaxCohortSize: compute.CohortSize);
        using var log = new RunLog(Path.Combine(outputDirectory, ResultsFolder.LogFileName), Console.Error, () => cancellationToken.IsCancellationRequested);
        var silo = await EmbeddedSilo.StartAsync(o =>
        {
            o.Compute = poolOptions;
            o.CheckpointFolder = Path.Combine(outputDirectory, ExperimentRunner.CheckpointFolder);
        }, log.AttachTo, cancellationToken);
        try
        {
            var outcome = await CompareRunner.RunAsync(sweep, runs, outputDirectory,
                (run, folder, ct) => RunOneAsync(silo, sweep, run, folder, ct), progress, cancellationToken);
            silo.NothingInFlight = !outcome.Interrupted;
            return outcome;
        }
        finally
        {
            await silo.DisposeAsync();
        }
    }

    private static async Task<IReadOnlyList<RoundReport>> RunOneAsync(EmbeddedSilo silo, SweepFile sweep, SweepRun run, string folder,
        CancellationToken cancellationToken)
    {
        // Paths in the base scenario are relative to its file, as in `fedsim run`.
        var spec = ScenarioPaths.ResolveForRun(run.Scenario, sweep.BaseDirectory, folder);
        // Unfinished earlier attempt of this very scenario: continue it (its checkpoint is keyed by the scenario).
        bool resume = File.Exists(Path.Combine(folder, ResultsFolder.ScenarioFileName)) && File.Exists(Path.Combine(folder, MetricsCsv.FileName))
                      && SameScenario(Path.Combine(folder, ResultsFolder.ScenarioFileName), spec);
        using var results = ResultsFolder.Open(folder, overwrite: !resume, resume: resume);
        if (!resume)
            results.WriteScenario(ScenarioWriter.ToYaml(spec, withDescriptions: true,
                header: $"Scenario as run by FedSim ({DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC) for a comparison ({run.Configuration.Label}, seed {run.Seed})"));
        // The comparison prints one line per run itself; a run's own console stays silent.
        var console = new RunConsole(Spectre.Console.AnsiConsole.Create(new Spectre.Console.AnsiConsoleSettings
            { Out = new Spectre.Console.AnsiConsoleOutput(TextWriter.Null) }), spec.Name, spec.Training.Rounds, quiet: true);
        var outcome = await ExperimentRunner.RunInFolderAsync(silo, spec, ExperimentId(run), results, console, Stopwatch.StartNew(), quiet: true, cancellationToken);
        // Stopped mid-run: its folder says "interrupted"; the comparison counts it as stopped, not finished.
        if (outcome.Status == RunStatuses.Interrupted) throw new OperationCanceledException(cancellationToken);
        return outcome.Reports;
    }

    private static bool SameScenario(string file, ScenarioSpec spec)
    {
        var loaded = ScenarioLoader.Load(file);
        return loaded.Succeeded && Canonical(loaded.Spec!) == Canonical(spec);
    }

    /// <summary>Names the coordinator after the run's scenario, so a changed scenario never resumes an old checkpoint.</summary>
    private static string ExperimentId(SweepRun run)
    {
        string hash = Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(Canonical(run.Scenario))))[..16].ToLowerInvariant();
        return $"compare/{run.FolderName}/{hash}";
    }

    private static string Canonical(ScenarioSpec spec)
    {
        var copy = ScenarioModel.Clone(spec);
        copy.Output = null;
        return ScenarioWriter.ToYaml(copy);
    }
}
