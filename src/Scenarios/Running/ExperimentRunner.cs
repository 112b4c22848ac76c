using System.Diagnostics;
using FedSim.Compute;
using FedSim.Contracts;
using FedSim.Coordination;
using FedSim.Data;
using FedSim.Devices;
using FedSim.Scenarios.Configuration;
using FedSim.Scenarios.Reports;
using Microsoft.Extensions.DependencyInjection;

namespace FedSim.Scenarios.Running;

/// <summary>Options given on the command line that override the scenario file.</summary>
/// <param name="Overwrite">Replace an earlier run's results in the output folder (otherwise such a folder is refused).</param>
public sealed record RunOptions(string? OutputDirectory = null, ulong? Seed = null, bool Quiet = false, bool Overwrite = false);

/// <summary>What a run left behind.</summary>
/// <param name="Status">How it ended (<see cref="RunStatuses"/>): completed, or interrupted by Ctrl+C/SIGTERM.</param>
public sealed record RunOutcome(string OutputDirectory, IReadOnlyList<RoundReport> Reports, RunSummary? Summary = null,
    string Status = RunStatuses.Completed);

/// <summary>
/// Runs one scenario on an embedded (in-process) silo and writes its results folder.
/// <para>
/// However the run ends, the folder is consistent and says how it ended: summary.json's "status" is "completed",
/// "interrupted" (cancellation: the round in flight is abandoned, metrics.csv holds exactly the finished rounds) or
/// "failed" (with "error"); only a process killed outright leaves no summary.json. The silo is always stopped in
/// the order <see cref="EmbeddedSilo"/> describes before this returns.
/// </para>
/// </summary>
public static class ExperimentRunner
{
    public static async Task<RunOutcome> RunAsync(ScenarioSpec scenario, string scenarioPath, RunOptions options, CancellationToken cancellationToken)
    {
        var wall = Stopwatch.StartNew();
        string baseDirectory = ScenarioPaths.BaseDirectoryOf(scenarioPath);
        var spec = ScenarioPaths.ResolveForRun(scenario, baseDirectory, options.OutputDirectory, options.Seed);
        using var results = ResultsFolder.Open(spec.Output!, options.Overwrite);
        results.WriteScenario(ScenarioWriter.ToYaml(
            ScenarioPaths.ForResultsFolder(scenario, baseDirectory, results.Directory, options.Seed), withDescriptions: true,
            header: $"{ResultsFolder.ScenarioHeader} ({DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC) from {scenarioPath}\n" +
                    "Paths are relative to this file: `output: .` is this folder, so re-running this file writes here."));
        using var log = new RunLog(results.Paths.Log, Console.Error, () => cancellationToken.IsCancellationRequested);
        var note = log.ForContext(typeof(ExperimentRunner).FullName!);
        note.Information("Run of {Scenario} (seed {Seed}) into {Folder}", scenarioPath, spec.Seed, results.Directory);

        var poolOptions = new ComputePoolOptions(Device: spec.Compute.Device, Workers: spec.Compute.Workers, MaxCohortSize: spec.Compute.CohortSize);
        EmbeddedSilo? silo = null;
        ExperimentData? data = null;
        try
        {
            silo = await EmbeddedSilo.StartAsync(o => o.Compute = poolOptions, log.AttachTo, cancellationToken);

            // Load and partition here, before the first round, so a bad dataset fails fast with its own message.
            data = silo.Services.GetRequiredService<ExperimentDataCache>().Get(spec);
            cancellationToken.ThrowIfCancellationRequested();
            var pool = silo.ComputePool;
            var console = RunConsole.ForTerminal(spec.Name, spec.Training.Rounds, options.Quiet);
            if (!options.Quiet)
            {
                Console.WriteLine($"data: {spec.Dataset.Kind}, {data.Split.Train.Count} train / {data.Split.Test.Count} test; {data.Statistics.Describe()}");
                Console.WriteLine($"model: {data.Model.Kind}, {ModelLayout.For(data.Model).Count:N0} parameters; compute: {((ComputePool)pool).Describe()}");
            }

            string experimentId = $"{spec.Name}-{spec.Seed}-{Guid.NewGuid():N}";
            var status = await console.RunAsync(progress => ExperimentDriver.RunToCompletionAsync(silo.Grains, experimentId, spec,
                report =>
                {
                    results.AppendRound(report);
                    progress.Report(report);
                }, cancellationToken));

            results.WriteDevices(Participants(spec, data, spec.Training.Rounds));
            var summary = results.Complete(SummaryInput(spec, data, silo, wall));
            note.Information("Completed {Rounds} rounds", summary.Rounds);
            console.WriteSummary(summary, results.Directory);
            return new RunOutcome(results.Directory, status.Reports, summary);
        }
        catch (Exception) when (cancellationToken.IsCancellationRequested)
        {
            // Interrupted (whatever the stop made fail on its way): the round in flight is abandoned; what finished
            // is kept and the folder says so.
            int finished = results.Reports.Count;
            note.Information("Interrupted after {Rounds} finished rounds", finished);
            if (data is not null && finished > 0) results.WriteDevices(Participants(spec, data, finished));
            var summary = results.Complete(SummaryInput(spec, data, silo, wall) with { Status = RunStatuses.Interrupted });
            return new RunOutcome(results.Directory, results.Reports, summary, RunStatuses.Interrupted);
        }
        catch (Exception e)
        {
            // Information: the CLI reports the failure on stderr itself; the file keeps the details.
            note.Information(e, "Run failed");
            TryRecordFailure(results, SummaryInput(spec, data, silo, wall) with { Status = RunStatuses.Failed, Error = OneLine(e.Message) });
            throw;
        }
        finally
        {
            if (silo is not null) await silo.DisposeAsync();
        }
    }

    private static RunSummaryInput SummaryInput(ScenarioSpec spec, ExperimentData? data, EmbeddedSilo? silo, Stopwatch wall)
    {
        var compute = new Dictionary<string, object?>();
        if (silo is not null && data is not null)
        {
            var poolMetrics = silo.ComputePool.Snapshot();
            compute["device"] = poolMetrics.Device;
            compute["workers"] = poolMetrics.Workers;
            compute["max_cohort_size"] = poolMetrics.MaxCohortSize;
            compute["mean_cohort_size"] = Math.Round(poolMetrics.MeanCohortSize, 2);
            compute["cohorts_run"] = poolMetrics.CohortsRun;
            compute["pool_busy_seconds"] = Math.Round(poolMetrics.BusySeconds, 3);
            compute["max_queue_depth"] = poolMetrics.MaxQueueDepth;
        }
        compute["peak_working_set_bytes"] = Process.GetCurrentProcess().PeakWorkingSet64;
        var dataset = data is null ? null
            : new DatasetInfo(spec.Dataset.Kind, data.Split.Train.Count, data.Split.Test.Count, data.Split.Train.ClassCount,
                data.Split.Train.FeatureCount, spec.Dataset.Partition.Kind, data.Statistics.Describe());
        var model = data is null ? null : new ModelInfo(data.Model.Kind, ModelLayout.For(data.Model).Count, data.Model.Key);
        return RunSummaryInput.FromScenario(spec, dataset, model, compute, wall.Elapsed.TotalSeconds);
    }

    /// <summary>A failed run still says so in its folder; failing to say so must not hide the original error.</summary>
    private static void TryRecordFailure(ResultsFolder results, RunSummaryInput input)
    {
        try { results.Complete(input); }
        catch (Exception e) when (e is ResultsException or IOException or UnauthorizedAccessException) { }
    }

    private static string OneLine(string message) => message.ReplaceLineEndings(" ").Trim();

    /// <summary>
    /// The devices that took part in the first <paramref name="rounds"/> rounds, recomputed from the seeded cohort
    /// draws (no device grain is asked), with how often each was sampled.
    /// </summary>
    private static IEnumerable<DeviceRecord> Participants(ScenarioSpec spec, ExperimentData data, int rounds)
    {
        var sampled = new SortedDictionary<long, int>();
        for (int round = 1; round <= rounds; round++)
            foreach (long device in CohortSampler.Sample(spec.Devices, spec.Training.DevicesPerRound, spec.Seed, round))
                sampled[device] = sampled.GetValueOrDefault(device) + 1;
        return sampled.Select(p => new DeviceRecord(p.Key, DeviceProfiles.Generate(spec.Seed, p.Key), data.Partition[p.Key].Length, p.Value));
    }
}
