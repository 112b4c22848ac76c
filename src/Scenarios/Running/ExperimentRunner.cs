using System.Diagnostics;
using FedSim.Attacks.Poisoning;
using FedSim.Compute;
using FedSim.Scenario;
using FedSim.GrainInterfaces;
using FedSim.Data;
using FedSim.Rounds;
using FedSim.Scenarios.Configuration;
using FedSim.Scenarios.Reports;
using Microsoft.Extensions.DependencyInjection;
using FedSim.Models;
using FedSim.Composition;

namespace FedSim.Scenarios.Running;

/// <summary>Options given on the command line that override the scenario file.</summary>
/// <param name="Overwrite">Replace an earlier run's results in the output folder (otherwise such a folder is refused).</param>
/// <param name="Resume">Continue the unfinished run in the output folder from its last finished round (on a cluster:
/// follow the folder's experiment again).</param>
/// <param name="Cluster">Submit to this running cluster instead of an embedded silo.</param>
public sealed record RunOptions(string? OutputDirectory = null, ulong? Seed = null, bool Quiet = false, bool Overwrite = false,
    bool Resume = false, ClusterTarget? Cluster = null);

/// <summary>A running FedSim cluster: its PostgreSQL membership database and cluster id.</summary>
/// <param name="ConnectionString">Npgsql connection string of the silos' database (never printed).</param>
public sealed record ClusterTarget(string ConnectionString, string ClusterId = "fedsim", string ServiceId = "fedsim");

/// <summary>What a run left behind.</summary>
/// <param name="Status">How it ended (<see cref="RunStatuses"/>): completed, or interrupted by Ctrl+C/SIGTERM.</param>
/// <param name="ExperimentId">The coordinator's key (what <c>fedsim status</c> and <c>fedsim cancel</c> take).</param>
/// <param name="Detached">Interrupted on a cluster: this process stopped following, the experiment goes on there.</param>
public sealed record RunOutcome(string OutputDirectory, IReadOnlyList<RoundReport> Reports, RunSummary? Summary = null,
    string Status = RunStatuses.Completed, string? ExperimentId = null, bool Detached = false);

/// <summary>A finished federation while its silo still runs: what a command that follows training (fedsim attack) works with.</summary>
public sealed record TrainedFederation(IGrainFactory Grains, string ExperimentId, ScenarioSpec Scenario, ExperimentData Data,
    string OutputDirectory, IReadOnlyList<RoundReport> Reports, bool Quiet);

/// <summary>
/// Runs one scenario on an embedded (in-process) silo and writes its results folder.
/// <para>
/// However the run ends, the folder is consistent and says how it ended: summary.json's "status" is "completed",
/// "interrupted" (cancellation: the round in flight is abandoned, metrics.csv holds exactly the finished rounds) or
/// "failed" (with "error"); only a process killed outright leaves no summary.json. The coordinator's per-round
/// checkpoint and the devices' state live in the folder too (<see cref="CheckpointFolder"/>), written atomically,
/// so an interrupted or killed run continues with <c>--resume</c> and ends with the metrics an uninterrupted run
/// would have. The silo is always stopped in the order <see cref="EmbeddedSilo"/> describes before this returns.
/// </para>
/// </summary>
public static class ExperimentRunner
{
    /// <summary>Checkpoints of the run, inside its results folder.</summary>
    public const string CheckpointFolder = ".checkpoint";

    /// <summary>The coordinator grain's key, so a resumed run finds its checkpoint.</summary>
    private const string ExperimentIdFile = "experiment-id";

    /// <param name="afterTraining">Called once the run's own results are written, before the silo stops (fedsim attack collects its audits there).</param>
    public static async Task<RunOutcome> RunAsync(ScenarioSpec scenario, string scenarioPath, RunOptions options, CancellationToken cancellationToken,
        Func<TrainedFederation, CancellationToken, Task>? afterTraining = null)
    {
        var wall = Stopwatch.StartNew();
        string baseDirectory = ScenarioPaths.BaseDirectoryOf(scenarioPath);
        var spec = ScenarioPaths.ResolveForRun(scenario, baseDirectory, options.OutputDirectory, options.Seed);
        // Read the dataset before anything starts (cached process-wide, so the silo reuses it): a bad file fails
        // here with its file:line message, before a results folder or a silo exists.
        var split = DatasetCatalog.Load(spec.Dataset, Directory.GetCurrentDirectory(), spec.Seed);
        // A pretrained model that does not fit the scenario's model is the user's to fix: say so before anything starts.
        if (spec.Model.Init is { } pretrained) ModelFile.Read(pretrained, ModelSpecFactory.Create(spec.Model, split.Train));
        using var results = ResultsFolder.Open(spec.Output!, options.Overwrite, options.Resume);
        string checkpoints = Path.Combine(results.Directory, CheckpointFolder);
        string experimentId = options.Resume ? ResumedExperimentId(results, spec, checkpoints) : NewExperimentId(spec, checkpoints);
        if (!options.Resume)
            results.WriteScenario(ScenarioWriter.ToYaml(
                ScenarioPaths.ForResultsFolder(scenario, baseDirectory, results.Directory, options.Seed), withDescriptions: true,
                header: $"{ResultsFolder.ScenarioHeader} ({DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC) from {scenarioPath}\n" +
                        "Paths are relative to this file: `output: .` is this folder, so re-running this file writes here."));
        using var log = new RunLog(results.Paths.Log, Console.Error, () => cancellationToken.IsCancellationRequested);
        var note = log.ForContext(typeof(ExperimentRunner).FullName!);
        note.Information("{Action} of {Scenario} (seed {Seed}) into {Folder}", options.Resume ? "Resumed run" : "Run", scenarioPath, spec.Seed, results.Directory);

        var poolOptions = new ComputePoolOptions(Device: spec.Compute.Device, Workers: spec.Compute.Workers, MaxCohortSize: spec.Compute.CohortSize);
        IExperimentHost? silo = null;
        try
        {
            silo = options.Cluster is { } cluster
                ? await ClusterClient.ConnectAsync(cluster.ConnectionString, cluster.ClusterId, cluster.ServiceId, log.AttachTo, cancellationToken)
                : await EmbeddedSilo.StartAsync(o =>
                {
                    o.Compute = poolOptions;
                    o.CheckpointFolder = checkpoints;
                }, log.AttachTo, cancellationToken);
            var console = RunConsole.ForTerminal(spec.Name, spec.Training.Rounds, options.Quiet);
            var outcome = await RunInFolderAsync(silo, spec, experimentId, results, console, wall, options.Quiet, cancellationToken, afterTraining);
            note.Information("{Status} after {Rounds} rounds", outcome.Status, outcome.Reports.Count);
            if (silo is EmbeddedSilo embedded) embedded.NothingInFlight = outcome.Status == RunStatuses.Completed;
            return outcome;
        }
        catch (Exception) when (cancellationToken.IsCancellationRequested && silo is null)
        {
            // Interrupted while the silo was starting: nothing ran, and the folder says so.
            note.Information("Interrupted before the first round");
            var summary = results.Complete(SummaryInput(spec, null, null, wall) with { Status = RunStatuses.Interrupted });
            return new RunOutcome(results.Directory, results.Reports, summary, RunStatuses.Interrupted);
        }
        catch (Exception e) when (!cancellationToken.IsCancellationRequested)
        {
            // Information: the CLI reports the failure on stderr itself; the file keeps the details.
            note.Information(e, "Run failed");
            throw;
        }
        finally
        {
            if (silo is not null) await silo.DisposeAsync();
        }
    }

    /// <summary>
    /// Runs <paramref name="spec"/> (resolved, its Output the folder) as experiment <paramref name="experimentId"/> on a
    /// running silo and completes <paramref name="results"/>: the entry point for several runs sharing one silo and
    /// compute pool (<c>fedsim compare</c>). Cancellation leaves an interrupted, consistent folder and returns.
    /// </summary>
    public static async Task<RunOutcome> RunInFolderAsync(IExperimentHost silo, ScenarioSpec spec, string experimentId, ResultsFolder results,
        RunConsole console, Stopwatch wall, bool quiet, CancellationToken cancellationToken,
        Func<TrainedFederation, CancellationToken, Task>? afterTraining = null)
    {
        ExperimentData? data = null;
        try
        {
            // Load and partition here, before the first round, so a bad dataset fails fast with its own message.
            data = silo.Data(spec);
            cancellationToken.ThrowIfCancellationRequested();
            if (!quiet)
            {
                Console.WriteLine($"data: {spec.Dataset.Kind}, {data.Split.Train.Count} train / {data.Split.Test.Count} test" +
                                  (data.Split.LeftOut is { } leftOut ? $", {leftOut.Describe()}" : "") + $"; {data.Statistics.Describe()}");
                Console.WriteLine($"data quality: {data.Quality.Describe()}" +
                                  (data.Quality.Warnings() is { Count: > 0 } warnings ? $"; check: {string.Join(", ", warnings)}" : ""));
                Console.WriteLine($"model: {data.Model.Kind}, {ModelLayout.For(data.Model).Count:N0} parameters; compute: {silo.ComputeDescription}");
            }

            var status = await console.RunAsync(progress => ExperimentDriver.RunToCompletionAsync(silo.Grains, experimentId, spec,
                report =>
                {
                    results.AppendRound(report);
                    progress.Report(report);
                }, cancellationToken));

            // The folder's reports: on a cluster a follower may have joined late (--resume) and seen only the newer ones.
            var reports = results.Reports;
            results.WriteDevices(Participants(spec, data, reports));
            var model = await silo.Grains.GetGrain<IExperimentGrain>(experimentId).GetGlobalModelAsync();
            results.WriteModel(data.Model, model.Weights, spec.Name);
            var summary = results.Complete(SummaryInput(spec, data, silo, wall) with { FinishReason = status.FinishReason });
            console.WriteSummary(summary, results.Directory);
            if (afterTraining is not null)
                await afterTraining(new TrainedFederation(silo.Grains, experimentId, spec, data, results.Directory, reports, quiet), cancellationToken);
            return new RunOutcome(results.Directory, reports, summary, ExperimentId: experimentId);
        }
        catch (Exception) when (cancellationToken.IsCancellationRequested)
        {
            // Interrupted (whatever the stop made fail on its way). Embedded: the round in flight is abandoned, before
            // the silo stops, so the shutdown cannot complete it with failed devices into the checkpoint. On a cluster
            // the experiment goes on; only following it stops. What finished is kept and the folder says so.
            if (silo.OwnsExperiments) await SuspendAsync(silo, experimentId);
            var finished = results.Reports;
            if (data is not null && finished.Count > 0) results.WriteDevices(Participants(spec, data, finished));
            var summary = results.Complete(SummaryInput(spec, data, silo, wall) with { Status = RunStatuses.Interrupted });
            return new RunOutcome(results.Directory, finished, summary, RunStatuses.Interrupted, experimentId, Detached: !silo.OwnsExperiments);
        }
        catch (ResultsException e) when (results.Reports.Count > 0)
        {
            // The folder could not take a round (a full disk): the checkpoint holds every finished round, so say the way on.
            var failure = new ResultsException($"{e.Message} The finished rounds are kept: once it is fixed, continue the run with --resume.", e);
            TryRecordFailure(results, SummaryInput(spec, data, silo, wall) with { Status = RunStatuses.Failed, Error = OneLine(failure.Message) });
            throw failure;
        }
        catch (Exception e)
        {
            TryRecordFailure(results, SummaryInput(spec, data, silo, wall) with { Status = RunStatuses.Failed, Error = OneLine(e.Message) });
            throw;
        }
    }

    /// <summary>Tells the coordinator to stop where it is (bounded: a stuck silo must not hold up Ctrl+C).</summary>
    private static async Task SuspendAsync(IExperimentHost silo, string experimentId)
    {
        try
        {
            await silo.Grains.GetGrain<IExperimentGrain>(experimentId).SuspendAsync().WaitAsync(TimeSpan.FromSeconds(10));
        }
        catch (Exception e) when (e is TimeoutException or OrleansException or ObjectDisposedException or OperationCanceledException)
        {
            // The silo is already going away; the checkpoint then holds whatever round last finished.
        }
    }

    /// <summary>A fresh experiment id, recorded in the checkpoint folder for a later --resume.</summary>
    public static string NewExperimentId(ScenarioSpec spec, string checkpoints)
    {
        string id = $"{spec.Name}-{spec.Seed}-{Guid.NewGuid():N}";
        if (Directory.Exists(checkpoints)) Directory.Delete(checkpoints, recursive: true); // an earlier run's, being overwritten
        Directory.CreateDirectory(checkpoints);
        AtomicFile.WriteAllText(Path.Combine(checkpoints, ExperimentIdFile), id + "\n");
        return id;
    }

    /// <summary>
    /// The experiment id of the unfinished run in <paramref name="results"/>, after checking that it ran the same
    /// scenario (resuming under another scenario would splice two experiments into one metrics.csv).
    /// </summary>
    private static string ResumedExperimentId(ResultsFolder results, ScenarioSpec spec, string checkpoints)
    {
        string idFile = Path.Combine(checkpoints, ExperimentIdFile);
        if (!File.Exists(idFile))
            throw new CannotResumeException($"The results folder '{results.Directory}' has no checkpoint to resume from ({CheckpointFolder}/{ExperimentIdFile} is missing: " +
                                       "the run was made by an older FedSim or stopped before its first checkpoint). Run it again with --overwrite.");
        var recorded = ScenarioLoader.Load(results.Paths.Scenario);
        if (!recorded.Succeeded)
            throw new CannotResumeException($"Cannot resume: the folder's {ResultsFolder.ScenarioFileName} does not load ({recorded.Errors[0]}). Run again with --overwrite.");
        var asRecorded = ScenarioPaths.ResolveForRun(recorded.Spec!, results.Directory, results.Directory);
        if (Canonical(asRecorded) != Canonical(spec))
            throw new CannotResumeException($"Cannot resume into '{results.Directory}': it holds a run of a different scenario or seed " +
                                       $"(see its {ResultsFolder.ScenarioFileName}). Resume with that file, or pass --overwrite to start this one afresh.");
        return File.ReadAllText(idFile).Trim();
    }

    /// <summary>The scenario without where its outputs go (a resumed run may be started from a copy of the file).</summary>
    private static string Canonical(ScenarioSpec spec)
    {
        var copy = ScenarioModel.Clone(spec);
        copy.Output = null;
        return ScenarioWriter.ToYaml(copy);
    }

    internal static RunSummaryInput SummaryInput(ScenarioSpec spec, ExperimentData? data, IExperimentHost? silo, Stopwatch wall)
    {
        var compute = new Dictionary<string, object?>();
        if (silo is { OwnsExperiments: false }) compute["cluster"] = true;
        var poolMetrics = silo?.ComputeSnapshot();
        if (poolMetrics is not null && data is not null)
        {
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
                data.Split.Train.FeatureCount, spec.Dataset.Partition.Kind, data.Statistics.Describe(), data.Split.Train.Text, data.Split.LeftOut);
        var model = data is null ? null : new ModelInfo(data.Model.Kind, ModelLayout.For(data.Model).Count, data.Model.Key);
        return RunSummaryInput.FromScenario(spec, dataset, model, compute, wall.Elapsed.TotalSeconds) with
        {
            DataQuality = data?.Quality,
            Provenance = Provenance.Collect(spec, data?.Split.SourceFiles ?? [], poolMetrics?.Device),
        };
    }

    /// <summary>A failed run still says so in its folder; failing to say so must not hide the original error.</summary>
    private static void TryRecordFailure(ResultsFolder results, RunSummaryInput input)
    {
        try { results.Complete(input); }
        catch (Exception e) when (e is ResultsException or IOException or UnauthorizedAccessException) { }
    }

    private static string OneLine(string message) => message.ReplaceLineEndings(" ").Trim();

    /// <summary>
    /// The devices that were sampled in the reported rounds, recomputed from the seeded draws (no device grain is
    /// asked), with how often each was sampled and how often it delivered a usable update (sampled minus the rounds
    /// it failed in).
    /// </summary>
    private static IEnumerable<DeviceRecord> Participants(ScenarioSpec spec, ExperimentData data, IReadOnlyList<RoundReport> reports)
    {
        var profiles = ScenarioComposition.Profiles(spec);
        var roster = spec.Byzantine is { } b ? new ByzantineRoster(spec.Seed, spec.Devices, b.Fraction) : ByzantineRoster.None;
        int wanted = (int)Math.Min(spec.Devices, (long)Math.Ceiling(spec.Training.DevicesPerRound * (1 + spec.Heterogeneity.OverSelection) - 1e-9));
        var selected = new SortedDictionary<long, int>();
        var failed = new Dictionary<long, int>();
        double start = 0;
        foreach (var report in reports.OrderBy(r => r.Round))
        {
            foreach (long device in RoundPlanner.Sample(report.Round, spec.Seed, spec.Devices, wanted, spec.Heterogeneity, profiles.Trace, start, spec.Training.Sampling))
                selected[device] = selected.GetValueOrDefault(device) + 1;
            foreach (var f in report.AllFailures) failed[f.DeviceId] = failed.GetValueOrDefault(f.DeviceId) + 1;
            start = report.SimulatedTotalSeconds;
        }
        return selected.Select(p => new DeviceRecord(p.Key, profiles.Profile(p.Key), data.Partition[p.Key].Length,
            RoundsParticipated: p.Value - failed.GetValueOrDefault(p.Key), RoundsSelected: p.Value,
            Malicious: roster.IsMalicious(p.Key) ? spec.Byzantine!.Kind : null));
    }
}
