using FedSim.Contracts;

namespace FedSim.Scenarios.Reports;

/// <summary>Where a run's files are.</summary>
public sealed record ResultPaths(
    string Directory, string Scenario, string Metrics, string Summary, string Plot, string Devices, string Failures);

/// <summary>
/// A run's output folder: scenario.yaml (as run), metrics.csv and failures.csv (rewritten after every round), devices.csv,
/// summary.json and metrics.png (at the end). Every file is written to a temporary name and renamed, so a
/// crash leaves the previous complete version, never a truncated one. Thread-safe: the runner may report
/// rounds from any thread.
/// </summary>
public sealed class ResultsFolder : IProgress<RoundReport>
{
    public const string ScenarioFileName = "scenario.yaml";

    private readonly object _gate = new();
    // Keyed by round so a round replayed after a coordinator restart replaces its earlier report.
    private readonly SortedDictionary<int, RoundReport> _reports = new();

    private ResultsFolder(string directory)
    {
        Paths = new ResultPaths(
            directory,
            Path.Combine(directory, ScenarioFileName),
            Path.Combine(directory, MetricsCsv.FileName),
            Path.Combine(directory, SummaryJson.FileName),
            Path.Combine(directory, MetricsPlot.FileName),
            Path.Combine(directory, DevicesCsv.FileName),
            Path.Combine(directory, FailuresCsv.FileName));
    }

    public ResultPaths Paths { get; }

    public string Directory => Paths.Directory;

    /// <summary>The rounds reported so far, in round order.</summary>
    public IReadOnlyList<RoundReport> Reports
    {
        get { lock (_gate) return _reports.Values.ToList(); }
    }

    /// <summary>
    /// Creates (or reuses) the folder. Throws <see cref="ResultsException"/> naming the folder when it cannot be
    /// created, e.g. a file has that name or the parent is read-only.
    /// </summary>
    public static ResultsFolder Create(string directory)
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
            string probe = Path.Combine(full, ".fedsim-write-test");
            File.WriteAllText(probe, "");
            File.Delete(probe);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ResultsException($"Cannot create or write the output folder '{full}': {e.Message} Check permissions, or pass another --output folder.", e);
        }
        return new ResultsFolder(full);
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
    /// Finishes the folder: metrics.csv (again, to be sure it holds every round), summary.json and metrics.png.
    /// Returns the summary written.
    /// </summary>
    public RunSummary Complete(RunSummaryInput input)
    {
        List<RoundReport> reports;
        lock (_gate)
        {
            reports = _reports.Values.ToList();
            MetricsCsv.Write(Paths.Metrics, reports);
        }
        var summary = RunSummary.Build(input, reports);
        SummaryJson.Write(Paths.Summary, summary);
        MetricsPlot.Save(Paths.Plot, reports, $"{input.Name} (seed {input.Seed})");
        return summary;
    }
}
