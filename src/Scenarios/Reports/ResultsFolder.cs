using FedSim.GrainInterfaces;

namespace FedSim.Scenarios.Reports;

/// <summary>Where a run's files are.</summary>
public sealed record ResultPaths(
    string Directory, string Scenario, string Metrics, string Summary, string Plot, string Devices, string Log, string Failures, string Clients);

/// <summary>
/// A run's output folder: scenario.yaml (as run), metrics.csv, failures.csv and clients.csv (rewritten after every round), fedsim.log, and at the
/// end devices.csv, summary.json (with the run's "status"), metrics.png, devices.png (per-device evaluation) and report.html (all of it on one page). Every file is written to a temporary name
/// and renamed, so a crash leaves the previous complete version, never a truncated one. Thread-safe: the runner may
/// report rounds from any thread.
/// <para>
/// The folder is owned while open: one run at a time (<see cref="FolderLock"/>; a second gets
/// <see cref="ResultsFolderInUseException"/>), and never two runs' files side by side: a folder holding an earlier
/// run's results is refused (<see cref="ResultsFolderOccupiedException"/>) unless the caller asks to overwrite, and
/// then that run's files are removed before anything is written. Refusing, rather than writing a fresh folder beside
/// it, keeps the folder a researcher named the one that holds the results: scripts and plots that read
/// results/NAME never pick up a stale run while the new one went elsewhere.
/// </para>
/// </summary>
public sealed class ResultsFolder : IProgress<RoundReport>, IDisposable
{
    public const string ScenarioFileName = "scenario.yaml";

    /// <summary>How the scenario.yaml FedSim writes begins; a scenario.yaml without it is the user's, never cleared.</summary>
    public const string ScenarioHeader = "Scenario as run by FedSim";

    /// <summary>The run's log: everything Orleans and FedSim log (warnings also go to stderr, never to stdout).</summary>
    public const string LogFileName = "fedsim.log";

    /// <summary>
    /// Every file a run writes here. Clearing an earlier run removes exactly these (and their temporaries), never a
    /// file of the user's; a test checks that a finished run leaves nothing else, so a new output must be added here.
    /// </summary>
    public static readonly IReadOnlyList<string> RunFileNames =
        [ScenarioFileName, MetricsCsv.FileName, SummaryJson.FileName, MetricsPlot.FileName, DevicesCsv.FileName, LogFileName, FailuresCsv.FileName, ClientsCsv.FileName,
         Compute.ModelFile.WeightsFileName, Compute.ModelFile.ArchitectureFileName, DeviceAccuracyCsv.FileName, DevicesPlot.FileName, RunReport.FileName];

    private readonly object _gate = new();
    // Keyed by round so a round replayed after a coordinator restart replaces its earlier report.
    private readonly SortedDictionary<int, RoundReport> _reports = new();
    private readonly FolderLock _lock;

    private ResultsFolder(string directory, FolderLock folderLock)
    {
        _lock = folderLock;
        Paths = new ResultPaths(
            directory,
            Path.Combine(directory, ScenarioFileName),
            Path.Combine(directory, MetricsCsv.FileName),
            Path.Combine(directory, SummaryJson.FileName),
            Path.Combine(directory, MetricsPlot.FileName),
            Path.Combine(directory, DevicesCsv.FileName),
            Path.Combine(directory, LogFileName),
            Path.Combine(directory, FailuresCsv.FileName),
            Path.Combine(directory, ClientsCsv.FileName));
    }

    public ResultPaths Paths { get; }

    public string Directory => Paths.Directory;

    /// <summary>The rounds reported so far, in round order.</summary>
    public IReadOnlyList<RoundReport> Reports
    {
        get { lock (_gate) return _reports.Values.ToList(); }
    }

    /// <summary>
    /// Creates the folder if needed and takes ownership of it for one run; dispose to release it.
    /// Throws <see cref="ResultsFolderInUseException"/> when another run holds it, <see cref="ResultsFolderOccupiedException"/>
    /// when it holds an earlier run's results and <paramref name="overwrite"/> is false, and <see cref="ResultsException"/>
    /// naming the folder when it cannot be created or written (a file has that name, the parent is read-only).
    /// An earlier run's files are removed first when <paramref name="overwrite"/> is true, and also when that run
    /// left no results (it stopped before its first round), so a run fixed after a bad start needs no flag.
    /// </summary>
    /// <param name="resume">Continue the unfinished run the folder holds: its files stay and its rounds are read back.</param>
    public static ResultsFolder Open(string directory, bool overwrite = false, bool resume = false)
    {
        if (string.IsNullOrWhiteSpace(directory))
            throw new ResultsException("The output folder is empty. Set `output:` in the scenario or pass --output <folder>.");
        string full;
        try { full = Path.GetFullPath(directory); }
        catch (Exception e) when (e is ArgumentException or NotSupportedException or PathTooLongException)
        {
            throw new ResultsException($"The output folder '{directory}' is not a valid path: {e.Message} Pass another --output folder.", e);
        }
        if (File.Exists(full))
            throw new ResultsException($"Cannot use '{full}' as the output folder: a file has that name. Remove it or pass another --output folder.");
        try
        {
            System.IO.Directory.CreateDirectory(full);
            // Probe now rather than after the first round: a read-only folder should fail before any training.
            string probe = Path.Combine(full, $".fedsim-write-test.{Environment.ProcessId}");
            File.WriteAllText(probe, "");
            File.Delete(probe);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ResultsException($"Cannot create or write the output folder '{full}': {e.Message} Check permissions, or pass another --output folder.", e);
        }

        var folderLock = FolderLock.Acquire(full);
        try
        {
            var earlier = EarlierRun.Find(full);
            if (resume)
            {
                if (earlier is null || !File.Exists(Path.Combine(full, MetricsCsv.FileName)))
                    throw new CannotResumeException($"There is no run to resume in '{full}'. Run without --resume to start one.");
                if (earlier.Status == RunStatuses.Completed)
                    throw new CannotResumeException($"The run in '{full}' is already complete ({earlier.Rounds} rounds); there is nothing to resume. " +
                                                    "Pass --overwrite to run it again.");
                var resumed = new ResultsFolder(full, folderLock);
                foreach (var report in MetricsCsv.Read(Path.Combine(full, MetricsCsv.FileName))) resumed._reports[report.Round] = report;
                return resumed;
            }
            if (earlier is { HasResults: true } && !overwrite)
                throw ResultsFolderOccupiedException.EarlierRun(full, earlier.Describe(), canResume: earlier.Status != RunStatuses.Completed);
            if (earlier is not null) ClearRunFiles(full);
            return new ResultsFolder(full, folderLock);
        }
        catch
        {
            folderLock.Dispose();
            throw;
        }
    }

    /// <summary>Releases the folder for the next run.</summary>
    public void Dispose() => _lock.Dispose();

    /// <summary>Removes an earlier run's files (and temporaries a killed writer left), leaving anything else alone.</summary>
    private static void ClearRunFiles(string directory)
    {
        try
        {
            foreach (string name in RunFileNames)
            {
                File.Delete(Path.Combine(directory, name));
                // AtomicFile's temporaries: NAME.PID.tmp.
                foreach (string temp in System.IO.Directory.EnumerateFiles(directory, name + ".*.tmp")) File.Delete(temp);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ResultsException($"Cannot remove the earlier run's files from '{directory}': {e.Message} Remove them yourself, or pass another --output folder.", e);
        }
    }

    /// <summary>Writes the scenario exactly as run (after command-line overrides), for reproducing the run.</summary>
    public string WriteScenario(string yamlText)
    {
        AtomicFile.WriteAllText(Paths.Scenario, yamlText.EndsWith('\n') ? yamlText : yamlText + "\n");
        return Paths.Scenario;
    }

    /// <summary>
    /// Records one finished round and rewrites metrics.csv with every round so far. A report for a round
    /// already recorded replaces it (coordinator replay after a restart).
    /// </summary>
    public void AppendRound(RoundReport report)
    {
        lock (_gate)
        {
            _reports[report.Round] = report;
            MetricsCsv.Write(Paths.Metrics, _reports.Values);
            FailuresCsv.Write(Paths.Failures, _reports.Values);
            ClientsCsv.Write(Paths.Clients, _reports.Values);
            if (_reports.Values.Any(r => r.DeviceAccuracies is not null))
                AtomicFile.WriteAllText(Path.Combine(Directory, DeviceAccuracyCsv.FileName), DeviceAccuracyCsv.Format(_reports.Values));
        }
    }

    void IProgress<RoundReport>.Report(RoundReport value) => AppendRound(value);

    /// <summary>Writes devices.csv for the devices that took part.</summary>
    public string WriteDevices(IEnumerable<DeviceRecord> devices)
    {
        DevicesCsv.Write(Paths.Devices, devices);
        return Paths.Devices;
    }

    /// <summary>
    /// Writes the trained global model: model.safetensors (PyTorch names and shapes, loadable by the safetensors and
    /// torch packages, and by <c>model.init</c>) and model.json (the architecture it belongs to).
    /// </summary>
    public void WriteModel(Models.ModelSpec model, float[] weights, string scenarioName)
    {
        AtomicFile.WriteAllBytes(Path.Combine(Directory, Compute.ModelFile.WeightsFileName), Compute.ModelFile.ToSafetensors(model, weights));
        AtomicFile.WriteAllText(Path.Combine(Directory, Compute.ModelFile.ArchitectureFileName), Compute.ModelFile.Describe(model, scenarioName));
    }

    /// <summary>
    /// Finishes the folder, however the run ended (<see cref="RunSummaryInput.Status"/>): metrics.csv (again, to be
    /// sure it holds every round), summary.json, metrics.png when there is a round to plot, devices.png when a round evaluated
    /// devices on their own records, and report.html. Returns the summary written.
    /// </summary>
    public RunSummary Complete(RunSummaryInput input)
    {
        List<RoundReport> reports;
        lock (_gate)
        {
            reports = _reports.Values.ToList();
            if (reports.Count > 0) MetricsCsv.Write(Paths.Metrics, reports);
        }
        var summary = RunSummary.Build(input, reports);
        if (reports.Count > 0) MetricsPlot.Save(Paths.Plot, reports, $"{input.Name} (seed {input.Seed})");
        if (DevicesPlot.HasData(reports)) DevicesPlot.Save(Path.Combine(Directory, DevicesPlot.FileName), reports, $"{input.Name} (seed {input.Seed})");
        // Last of the results: a summary.json saying "completed" promises every other result file is in place.
        SummaryJson.Write(Paths.Summary, summary);
        // Then the page that shows them, read from summary.json as written (it shows every section the file has).
        RunReport.Write(Directory);
        return summary;
    }
}

/// <summary>What an earlier run left in a folder, as far as telling the user goes.</summary>
internal sealed record EarlierRun(string? Status, int Rounds, int? RoundsPlanned)
{
    /// <summary>True when the earlier run has something worth keeping: a finished round, or a completed summary.</summary>
    public bool HasResults => Rounds > 0 || Status == RunStatuses.Completed;

    /// <summary>
    /// The earlier run's files in <paramref name="directory"/>, or null when it has none. A scenario.yaml FedSim did
    /// not write (the user's own scenario file, run with `output: .`) is refused: a run would overwrite it.
    /// </summary>
    public static EarlierRun? Find(string directory)
    {
        string scenario = Path.Combine(directory, ResultsFolder.ScenarioFileName);
        if (File.Exists(scenario) && !WrittenByFedSim(scenario))
            throw ResultsFolderOccupiedException.ForeignScenario(directory, scenario);
        if (!ResultsFolder.RunFileNames.Any(name => File.Exists(Path.Combine(directory, name)))) return null;
        string summaryPath = Path.Combine(directory, SummaryJson.FileName);
        if (File.Exists(summaryPath))
        {
            try
            {
                var summary = SummaryJson.Read(summaryPath);
                return new EarlierRun(summary.Status, summary.Rounds, summary.RoundsPlanned);
            }
            catch (ResultsException) { } // unreadable: judge by metrics.csv below
        }
        string metricsPath = Path.Combine(directory, MetricsCsv.FileName);
        int rounds = 0;
        if (File.Exists(metricsPath))
        {
            try { rounds = MetricsCsv.Read(metricsPath).Count; }
            catch (Exception e) when (e is ResultsException or IOException or FormatException) { rounds = 1; } // unreadable, but there was something
        }
        return new EarlierRun(null, rounds, null);
    }

    private static bool WrittenByFedSim(string scenarioFile)
    {
        try
        {
            using var reader = new StreamReader(scenarioFile);
            return reader.ReadLine() is { } first && first.StartsWith("# " + ResultsFolder.ScenarioHeader, StringComparison.Ordinal);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    public string Describe() => Status switch
    {
        RunStatuses.Completed => $"a completed run ({Rounds} of {RoundsPlanned} rounds)",
        RunStatuses.Interrupted => $"an interrupted run ({Rounds} of {RoundsPlanned} rounds)",
        RunStatuses.Failed => $"a failed run ({Rounds} of {RoundsPlanned} rounds)",
        _ => $"an unfinished run ({Rounds} round(s) in metrics.csv and no summary: it was killed or is from an older FedSim)",
    };
}

/// <summary>--resume was asked for a folder that holds no unfinished run of this scenario (exit 2; the message says why).</summary>
public sealed class CannotResumeException(string message) : Exception(message);

/// <summary>
/// The folder holds files a run must not replace: an earlier run's results the caller did not ask to overwrite, or a
/// scenario.yaml FedSim did not write (exit 2; the message says what to do).
/// </summary>
public sealed class ResultsFolderOccupiedException : Exception
{
    private ResultsFolderOccupiedException(string directory, string message) : base(message) => Directory = directory;

    /// <summary>The folder holds an earlier run's results; <paramref name="canResume"/> when that run is unfinished.</summary>
    public static ResultsFolderOccupiedException EarlierRun(string directory, string earlierRun, bool canResume) =>
        new(directory, $"The results folder '{directory}' holds the results of {earlierRun}. " +
                       (canResume ? "Pass --resume to continue it from its last finished round, " : "Pass ") +
                       "--overwrite to replace them, or --output DIR to keep them and write elsewhere.");

    public string Directory { get; }

    /// <summary>The folder holds a scenario.yaml that is not one FedSim wrote (the user's own, run with `output: .`).</summary>
    public static ResultsFolderOccupiedException ForeignScenario(string directory, string scenarioFile) =>
        new(directory, $"'{scenarioFile}' is not a scenario FedSim wrote, and a run would replace it with the scenario as run. " +
                       "Write the results elsewhere: pass --output DIR, or set `output:` to another folder.");
}
