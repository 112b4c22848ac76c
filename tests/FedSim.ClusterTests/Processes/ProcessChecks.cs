using FedSim.Scenarios.Reports;

namespace FedSim.ClusterTests.Processes;

/// <summary>What every stopped <c>fedsim</c> process must satisfy, as a list of problems (empty: all good).</summary>
internal static class ProcessChecks
{
    /// <summary>Signs of a crash or a leaked exception, in any output.</summary>
    private static readonly string[] CrashSigns =
        ["Segmentation fault", "core dumped", "SIGSEGV", "SIGABRT", "Aborted", "Unhandled exception", "   at ", "Exception:"];

    /// <summary>Prefixes of Microsoft.Extensions.Logging console lines and of FedSim's stderr log lines.</summary>
    private static readonly string[] LogLinePrefixes = ["warn:", "fail:", "info:", "crit:", "dbug:", "trce:", "fedsim: warning:", "fedsim: error:"];

    public static List<string> Problems(FedSimProcess process, int exit, int expectedExit, string output, bool summaryRequired = true)
    {
        var problems = new List<string>();
        var stderr = process.Stderr.Where(l => l.Trim().Length > 0).ToList();
        var stdout = process.Stdout;
        bool diedBeforeHandlers = stderr.Count == 0 && stdout.Count == 0 && !Directory.Exists(output);

        if (exit != expectedExit) problems.Add($"exit {exit}, expected {expectedExit}");
        // A signal that lands before Main installs its handlers ends the process the default way: nothing printed,
        // nothing written, exit 128 + signal. Anything later must say exactly one line.
        if (!diedBeforeHandlers)
        {
            if (stderr.Count != 1) problems.Add($"{stderr.Count} lines on stderr, expected 1");
            else if (!stderr[0].StartsWith("fedsim: interrupted", StringComparison.Ordinal)) problems.Add($"stderr says '{stderr[0]}'");
        }
        foreach (string line in stdout.Concat(stderr))
            if (CrashSigns.FirstOrDefault(sign => line.Contains(sign, StringComparison.Ordinal)) is { } sign)
                problems.Add($"'{sign}' in the output: {line}");
        foreach (string line in stdout)
            if (LogLinePrefixes.Any(p => line.StartsWith(p, StringComparison.Ordinal)) || line.Contains("Orleans", StringComparison.Ordinal))
                problems.Add($"a log line on stdout: {line}");
        problems.AddRange(FolderProblems(output, summaryRequired));
        return problems;
    }

    /// <summary>
    /// A results folder after any stop: whole files only (no temporaries), released, and when it has summary.json,
    /// a status of interrupted or completed whose round count matches metrics.csv.
    /// </summary>
    public static IEnumerable<string> FolderProblems(string output, bool summaryRequired)
    {
        if (!Directory.Exists(output)) yield break; // stopped before the folder was made
        foreach (string temp in Directory.EnumerateFiles(output, "*.tmp")) yield return $"temporary file left: {Path.GetFileName(temp)}";

        string? lockProblem = null;
        try { using var _ = FolderLock.Acquire(output); }
        catch (ResultsFolderInUseException e) { lockProblem = $"the folder is still locked: {e.Message}"; }
        if (lockProblem is not null) yield return lockProblem;

        string metricsPath = Path.Combine(output, MetricsCsv.FileName);
        int? metricsRounds = null;
        string? metricsProblem = null;
        if (File.Exists(metricsPath))
        {
            try { metricsRounds = MetricsCsv.Read(metricsPath).Count; }
            catch (Exception e) { metricsProblem = $"metrics.csv does not parse: {e.Message}"; }
        }
        if (metricsProblem is not null) yield return metricsProblem;

        string summaryPath = Path.Combine(output, SummaryJson.FileName);
        if (!File.Exists(summaryPath))
        {
            bool hasRunFiles = ResultsFolder.RunFileNames.Any(n => File.Exists(Path.Combine(output, n)));
            if (summaryRequired && hasRunFiles) yield return "no summary.json beside the run's files";
            yield break;
        }
        RunSummary? summary = null;
        string? summaryProblem = null;
        try { summary = SummaryJson.Read(summaryPath); }
        catch (Exception e) { summaryProblem = $"summary.json does not parse: {e.Message}"; }
        if (summaryProblem is not null) { yield return summaryProblem; yield break; }
        if (summary!.Status is not (RunStatuses.Interrupted or RunStatuses.Completed))
            yield return $"summary.json status '{summary.Status}' (error: {summary.Error})";
        if (summary.Rounds != (metricsRounds ?? 0))
            yield return $"summary.json says {summary.Rounds} rounds, metrics.csv has {metricsRounds?.ToString() ?? "no file"}";
        if (!File.Exists(Path.Combine(output, ResultsFolder.ScenarioFileName))) yield return "no scenario.yaml";
    }
}
