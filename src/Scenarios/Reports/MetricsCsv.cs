using System.Globalization;
using System.Text;
using FedSim.GrainInterfaces;
using FedSim.Rounds;

namespace FedSim.Scenarios.Reports;

/// <summary>
/// metrics.csv: one row per finished round. Numbers are written in the invariant culture with the
/// shortest round-trippable form ("R"), so the same doubles always give the same text and reading the
/// file back gives the same doubles. Rounds that were not evaluated have empty test_accuracy/test_loss
/// cells. After the fixed columns come the run's stage metrics (aggregator choices, byzantine counts,
/// backdoor_accuracy, ...) in the order they first appear, an empty cell where a round has none. Wall-clock
/// time lives only in the last column, so determinism checks can drop it.
/// </summary>
public static class MetricsCsv
{
    public const string FileName = "metrics.csv";

    /// <summary>The column that differs between otherwise identical runs.</summary>
    public const string WallColumn = "wall_seconds";

    /// <summary>The columns every run has; stage metrics follow them, then <see cref="WallColumn"/>.</summary>
    public static readonly IReadOnlyList<string> FixedColumns =
    [
        "round", "test_accuracy", "test_loss", "selected", "participants", "failed", "dropped", "late", "surplus",
        "train_loss", "train_examples", "bytes_sent", "bytes_received", "simulated_round_seconds", "simulated_total_seconds",
    ];

    /// <summary>The columns of a run without stage metrics.</summary>
    public static readonly IReadOnlyList<string> Columns = [.. FixedColumns, WallColumn];

    public static readonly string Header = string.Join(',', Columns);

    /// <summary>The stage metric names of <paramref name="reports"/>, in order of first appearance.</summary>
    public static IReadOnlyList<string> MetricNames(IEnumerable<RoundReport> reports)
    {
        var names = new List<string>();
        foreach (var r in reports)
            foreach (var m in r.AllMetrics)
                if (!names.Contains(m.Name)) names.Add(m.Name);
        return names;
    }

    /// <summary>The header for these metric columns, with or without the wall column.</summary>
    public static string HeaderFor(IReadOnlyList<string> metrics, bool includeWall)
        => string.Join(',', [.. FixedColumns, .. metrics, .. (includeWall ? new[] { WallColumn } : [])]);

    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    /// <summary>The whole file: header plus one row per report, '\n' line endings (the same on every OS).</summary>
    public static string Format(IEnumerable<RoundReport> reports) => Build(reports, includeWall: true);

    /// <summary>
    /// The file without the wall_seconds column: equal for two runs of the same scenario and seed on the
    /// same backend. Determinism tests compare this text.
    /// </summary>
    public static string FormatWithoutWallTime(IEnumerable<RoundReport> reports) => Build(reports, includeWall: false);

    /// <summary>Drops the wall_seconds column from metrics.csv text (e.g. two files read from disk).</summary>
    public static string WithoutWallTime(string csvText) =>
        FormatWithoutWallTime(Parse(csvText, "metrics text"));

    /// <summary>One data row (no line ending), with cells for <paramref name="metrics"/> (default: the report's own).</summary>
    public static string FormatRow(RoundReport r, bool includeWall = true, IReadOnlyList<string>? metrics = null)
    {
        var sb = new StringBuilder(128);
        sb.Append(r.Round.ToString(Inv)).Append(',')
          .Append(Num(r.TestAccuracy)).Append(',')
          .Append(Num(r.TestLoss)).Append(',')
          .Append(r.Selected.ToString(Inv)).Append(',')
          .Append(r.Participants.ToString(Inv)).Append(',')
          .Append(r.Failed.ToString(Inv)).Append(',')
          .Append(r.Dropped.ToString(Inv)).Append(',')
          .Append(r.Late.ToString(Inv)).Append(',')
          .Append(r.Surplus.ToString(Inv)).Append(',')
          .Append(Num(r.MeanTrainLoss)).Append(',')
          .Append(r.TrainExamples.ToString(Inv)).Append(',')
          .Append(r.BytesSent.ToString(Inv)).Append(',')
          .Append(r.BytesReceived.ToString(Inv)).Append(',')
          .Append(Num(r.SimulatedRoundSeconds)).Append(',')
          .Append(Num(r.SimulatedTotalSeconds));
        foreach (var name in metrics ?? r.AllMetrics.Select(m => m.Name).ToList()) sb.Append(',').Append(Num(r.Metric(name)));
        if (includeWall) sb.Append(',').Append(Num(r.WallSeconds));
        return sb.ToString();
    }

    /// <summary>Writes metrics.csv atomically (temp file + rename), so a crash never leaves half a file.</summary>
    public static void Write(string path, IEnumerable<RoundReport> reports) => AtomicFile.WriteAllText(path, Format(reports));

    /// <summary>Reads a metrics.csv written by <see cref="Write"/>.</summary>
    public static IReadOnlyList<RoundReport> Read(string path)
    {
        string text;
        try { text = File.ReadAllText(path); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ResultsException($"Cannot read metrics file '{path}': {e.Message}", e);
        }
        return Parse(text, path);
    }

    /// <summary>
    /// Parses metrics.csv text (with or without the wall_seconds column). <paramref name="source"/> names the
    /// file in error messages.
    /// </summary>
    public static IReadOnlyList<RoundReport> Parse(string text, string source = FileName)
    {
        var lines = text.Replace("\r\n", "\n").Split('\n');
        var header = lines[0].Trim().Split(','); // Split always yields at least one element
        if (header.Length < FixedColumns.Count || !header.Take(FixedColumns.Count).SequenceEqual(FixedColumns))
            throw new ResultsException($"{source}:1: expected the metrics.csv header to start '{string.Join(',', FixedColumns)}', found '{lines[0]}'. Is this a FedSim metrics file?");
        bool hasWall = header[^1] == WallColumn;
        var metricNames = header[FixedColumns.Count..(hasWall ? header.Length - 1 : header.Length)];
        int expected = header.Length;

        var reports = new List<RoundReport>();
        for (int i = 1; i < lines.Length; i++)
        {
            string line = lines[i];
            if (line.Length == 0) continue;
            var c = line.Split(',');
            if (c.Length != expected)
                throw new ResultsException($"{source}:{i + 1}: expected {expected} comma-separated values, found {c.Length}.");
            int n = i + 1;
            var metrics = metricNames.Select((name, k) => new RoundMetric(name, OptDouble(c[FixedColumns.Count + k], source, n, name))).ToList();
            reports.Add(new RoundReport(
                Round: Int(c[0], source, n, "round"),
                TestAccuracy: OptDouble(c[1], source, n, "test_accuracy"),
                TestLoss: OptDouble(c[2], source, n, "test_loss"),
                Selected: Int(c[3], source, n, "selected"),
                Participants: Int(c[4], source, n, "participants"),
                Failed: Int(c[5], source, n, "failed"),
                Dropped: Int(c[6], source, n, "dropped"),
                Late: Int(c[7], source, n, "late"),
                Surplus: Int(c[8], source, n, "surplus"),
                MeanTrainLoss: Double(c[9], source, n, "train_loss"),
                TrainExamples: Long(c[10], source, n, "train_examples"),
                BytesSent: Long(c[11], source, n, "bytes_sent"),
                BytesReceived: Long(c[12], source, n, "bytes_received"),
                SimulatedRoundSeconds: Double(c[13], source, n, "simulated_round_seconds"),
                SimulatedTotalSeconds: Double(c[14], source, n, "simulated_total_seconds"),
                WallSeconds: hasWall ? Double(c[^1], source, n, WallColumn) : 0,
                Metrics: metrics.Count == 0 ? null : new ValueList<RoundMetric>(metrics)));
        }
        return reports;
    }

    private static string Build(IEnumerable<RoundReport> reports, bool includeWall)
    {
        var list = reports.ToList();
        var metrics = MetricNames(list);
        var sb = new StringBuilder();
        sb.Append(HeaderFor(metrics, includeWall)).Append('\n');
        foreach (var r in list) sb.Append(FormatRow(r, includeWall, metrics)).Append('\n');
        return sb.ToString();
    }

    // "R" is the shortest text that parses back to the same double (.NET Core 3.0+), so output is stable and lossless.
    internal static string Num(double v) => v.ToString("R", Inv);

    private static string Num(double? v) => v is { } x ? Num(x) : "";

    private static double? OptDouble(string s, string source, int line, string column) =>
        s.Length == 0 ? null : Double(s, source, line, column);

    private static double Double(string s, string source, int line, string column) =>
        double.TryParse(s, NumberStyles.Float, Inv, out var v) ? v
            : throw Bad(source, line, column, s, "a number");

    private static int Int(string s, string source, int line, string column) =>
        int.TryParse(s, NumberStyles.Integer, Inv, out var v) ? v : throw Bad(source, line, column, s, "an integer");

    private static long Long(string s, string source, int line, string column) =>
        long.TryParse(s, NumberStyles.Integer, Inv, out var v) ? v : throw Bad(source, line, column, s, "an integer");

    private static ResultsException Bad(string source, int line, string column, string value, string what) =>
        new($"{source}:{line}: column '{column}' should be {what}, found '{value}'.");
}
