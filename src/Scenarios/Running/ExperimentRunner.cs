using System.Diagnostics;
using FedSim.Compute;
using FedSim.Contracts;
using FedSim.Coordination;
using FedSim.Data;
using FedSim.Attacks.Poisoning;
using FedSim.Devices;
using FedSim.Rounds;
using FedSim.Scenarios.Configuration;
using FedSim.Scenarios.Reports;
using Microsoft.Extensions.DependencyInjection;

namespace FedSim.Scenarios.Running;

/// <summary>Options given on the command line that override the scenario file.</summary>
public sealed record RunOptions(string? OutputDirectory = null, ulong? Seed = null, bool Quiet = false);

/// <summary>What a finished run leaves behind.</summary>
public sealed record RunOutcome(string OutputDirectory, IReadOnlyList<RoundReport> Reports, RunSummary? Summary = null);

/// <summary>A finished federation while its silo still runs: what a command that follows training (fedsim attack) works with.</summary>
public sealed record TrainedFederation(IGrainFactory Grains, string ExperimentId, ScenarioSpec Scenario, ExperimentData Data,
    string OutputDirectory, IReadOnlyList<RoundReport> Reports, bool Quiet);

/// <summary>Runs one scenario on an embedded (in-process) silo and writes its results folder.</summary>
public static class ExperimentRunner
{
    /// <param name="afterTraining">Called once the run's own results are written, before the silo stops (fedsim attack collects its audits there).</param>
    public static async Task<RunOutcome> RunAsync(ScenarioSpec scenario, string scenarioPath, RunOptions options, CancellationToken cancellationToken,
        Func<TrainedFederation, CancellationToken, Task>? afterTraining = null)
    {
        var wall = Stopwatch.StartNew();
        var spec = ScenarioPaths.ResolveForRun(scenario, ScenarioPaths.BaseDirectoryOf(scenarioPath), options.OutputDirectory, options.Seed);
        var results = ResultsFolder.Create(spec.Output!);
        results.WriteScenario(ScenarioWriter.ToYaml(spec, withDescriptions: true,
            header: $"Scenario as run by FedSim ({DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC) from {scenarioPath}"));

        var poolOptions = new ComputePoolOptions(Device: spec.Compute.Device, Workers: spec.Compute.Workers, MaxCohortSize: spec.Compute.CohortSize);
        await using var silo = await EmbeddedSilo.StartAsync(o => o.Compute = poolOptions, cancellationToken);

        // Load and partition here, before the first round, so a bad dataset fails fast with its own message.
        var data = silo.Services.GetRequiredService<ExperimentDataCache>().Get(spec);
        var pool = silo.Services.GetRequiredService<IComputePool>();
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

        results.WriteDevices(Participants(spec, data, status.Reports));
        var poolMetrics = pool.Snapshot();
        var summary = results.Complete(RunSummaryInput.FromScenario(spec,
            new DatasetInfo(spec.Dataset.Kind, data.Split.Train.Count, data.Split.Test.Count, data.Split.Train.ClassCount,
                data.Split.Train.FeatureCount, spec.Dataset.Partition.Kind, data.Statistics.Describe()),
            new ModelInfo(data.Model.Kind, ModelLayout.For(data.Model).Count, data.Model.Key),
            new Dictionary<string, object?>
            {
                ["device"] = poolMetrics.Device,
                ["workers"] = poolMetrics.Workers,
                ["max_cohort_size"] = poolMetrics.MaxCohortSize,
                ["mean_cohort_size"] = Math.Round(poolMetrics.MeanCohortSize, 2),
                ["cohorts_run"] = poolMetrics.CohortsRun,
                ["pool_busy_seconds"] = Math.Round(poolMetrics.BusySeconds, 3),
                ["max_queue_depth"] = poolMetrics.MaxQueueDepth,
                ["peak_working_set_bytes"] = Process.GetCurrentProcess().PeakWorkingSet64,
            },
            wall.Elapsed.TotalSeconds));
        console.WriteSummary(summary, results.Directory);
        if (afterTraining is not null)
            await afterTraining(new TrainedFederation(silo.Grains, experimentId, spec, data, results.Directory, status.Reports, options.Quiet), cancellationToken);
        return new RunOutcome(results.Directory, status.Reports, summary);
    }

    /// <summary>
    /// The devices that were sampled, recomputed from the seeded draws (no device grain is asked), with how often
    /// each was sampled and how often it delivered a usable update (sampled minus the rounds it failed in).
    /// </summary>
    private static IEnumerable<DeviceRecord> Participants(ScenarioSpec spec, ExperimentData data, IReadOnlyList<RoundReport> reports)
    {
        var profiles = DeviceProfileSource.For(spec);
        var roster = spec.Byzantine is { } b ? new ByzantineRoster(spec.Seed, spec.Devices, b.Fraction) : ByzantineRoster.None;
        int wanted = (int)Math.Min(spec.Devices, (long)Math.Ceiling(spec.Training.DevicesPerRound * (1 + spec.Heterogeneity.OverSelection) - 1e-9));
        var selected = new SortedDictionary<long, int>();
        var failed = new Dictionary<long, int>();
        double start = 0;
        foreach (var report in reports.OrderBy(r => r.Round))
        {
            foreach (long device in RoundPlanner.Sample(report.Round, spec.Seed, spec.Devices, wanted, spec.Heterogeneity, profiles.Trace, start))
                selected[device] = selected.GetValueOrDefault(device) + 1;
            foreach (var f in report.AllFailures) failed[f.DeviceId] = failed.GetValueOrDefault(f.DeviceId) + 1;
            start = report.SimulatedTotalSeconds;
        }
        return selected.Select(p => new DeviceRecord(p.Key, profiles.Profile(p.Key), data.Partition[p.Key].Length,
            RoundsParticipated: p.Value - failed.GetValueOrDefault(p.Key), RoundsSelected: p.Value,
            Malicious: roster.IsMalicious(p.Key) ? spec.Byzantine!.Kind : null));
    }
}
