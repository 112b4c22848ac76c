using FedSim.Scenarios.Reports;

namespace FedSim.Scenarios.Compare;

/// <summary>A figure of a report: its heading, its alternative text and the PNG.</summary>
public sealed record ReportFigure(string Heading, string Alt, byte[] Png);

/// <summary>What report.html shows of a comparison.</summary>
/// <param name="Keys">The grid's keys, one column each.</param>
/// <param name="Exists">Whether a path relative to the comparison's folder exists (a link is made only to what is there).</param>
public sealed record CompareReportInput(string Title, IReadOnlyList<string> Keys, IReadOnlyList<CompareRow> Rows, IReadOnlyList<string> Notes,
    IReadOnlyList<ReportFigure> Figures, Func<string, bool> Exists);

/// <summary>
/// report.html: the comparison for a person to read, on one page that opens offline. One row per configuration with
/// each grid key in its own column, the results rounded with their units ("84.9 % ± 1.2": the mean over seeds and the
/// half-width of its 95% interval in points), every column sortable, each configuration's per-seed values on demand
/// with links to that run's folder and report, then the figures (embedded) and notes. compare.csv holds the same
/// numbers unrounded, for tools.
/// </summary>
public static class CompareReport
{
    public const string FileName = "report.html";

    public static string Build(CompareReportInput input)
    {
        var page = new HtmlPage(input.Title);
        page.Heading("Results", $"{input.Rows.Count} configuration(s); click a column to sort, a row's seeds button for each seed's values and links.");
        page.Table(Table(input));
        foreach (var figure in input.Figures)
            page.Heading(figure.Heading).Figure(figure.Png, figure.Alt);
        page.Heading("Notes").Notes(input.Notes);
        return page.ToString();
    }

    /// <summary>One measure of a comparison: its column, and its cell for a configuration's seeds and for one seed.</summary>
    private sealed record Measure(HtmlColumn Column, Func<CompareRow, HtmlCell> OfRow, Func<CompareRunResult, HtmlCell> OfRun);

    private static HtmlTable Table(CompareReportInput input)
    {
        var measures = Measures(input.Rows);
        var columns = input.Keys.Select(k => new HtmlColumn(k, Description: "grid key"))
            .Concat(measures.Select(m => m.Column))
            .Append(new HtmlColumn("runs", Description: "each configuration's results folder, one subfolder per seed"))
            .ToList();
        var rows = input.Rows.Select(row =>
        {
            var cells = input.Keys.Select(k => HtmlCell.Text(row.Configuration.Settings.FirstOrDefault(s => s.Key == k).Value ?? "")).ToList();
            cells.AddRange(measures.Select(m => m.OfRow(row)));
            string folder = $"{CompareRunner.RunsFolder}/{row.Configuration.FolderName}/";
            cells.Add(input.Exists(folder) ? HtmlCell.Link("folder", folder) : HtmlCell.Empty);
            return new HtmlRow(cells, new HtmlDetails($"{row.Runs.Count} seed(s)", PerSeed(row, measures, input.Exists)));
        }).ToList();
        return new HtmlTable(columns, rows) { DetailsHeader = "seeds" };
    }

    /// <summary>The columns a comparison has: accuracy always, the others when some configuration reports them.</summary>
    private static List<Measure> Measures(IReadOnlyList<CompareRow> rows)
    {
        var measures = new List<Measure>
        {
            new(new HtmlColumn("final accuracy", true, "test accuracy of the last round: mean over seeds ± half-width of the 95% Student-t interval, in points (an interval past 0 or 100 %: its clipped ends in brackets)"),
                r => Accuracy(r.FinalAccuracy), run => HtmlCell.Number(ReportUnits.Percent(run.FinalAccuracy), run.FinalAccuracy)),
        };
        if (rows.FirstOrDefault()?.Target is { } target)
            measures.Add(new(new HtmlColumn($"rounds to {ReportUnits.Level(target)}", true, "mean first round reaching the target, over the seeds that reached it (how many did)"),
                r =>
                {
                    var (mean, reached) = r.RoundsToTarget;
                    return HtmlCell.Number($"{ReportUnits.Number(mean, 1)} ({reached}/{r.Runs.Count})", mean);
                },
                run => run.RoundsTo(target) is { } round ? HtmlCell.Number(round.ToString(System.Globalization.CultureInfo.InvariantCulture), round) : HtmlCell.Text("not reached")));
        measures.Add(new(new HtmlColumn("traffic", true, "model bytes sent and received over the whole run, mean over seeds"),
            r => Mean(r, run => run.BytesTotal, ReportUnits.Bytes), run => HtmlCell.Number(ReportUnits.Bytes(run.BytesTotal), run.BytesTotal)));
        measures.Add(new(new HtmlColumn("simulated time", true, "simulated seconds to the end of the last round, mean over seeds"),
            r => Mean(r, run => run.SimulatedSeconds, ReportUnits.Seconds), run => HtmlCell.Number(ReportUnits.Seconds(run.SimulatedSeconds), run.SimulatedSeconds)));
        if (rows.Any(r => r.Epsilon is not null))
            measures.Add(new(new HtmlColumn("ε spent", true, "ε of the last round at the scenario's privacy.delta, mean over seeds"),
                r => HtmlCell.Number(ReportUnits.Number(r.Epsilon?.Mean, 2), r.Epsilon?.Mean), run => HtmlCell.Number(ReportUnits.Number(run.FinalEpsilon, 2), run.FinalEpsilon)));
        if (rows.Any(r => r.BackdoorAccuracy is not null))
            measures.Add(new(new HtmlColumn("backdoor accuracy", true, "share of triggered test inputs given the attacker's label, last evaluation"),
                r => r.BackdoorAccuracy is { } b ? Accuracy(b) : HtmlCell.Empty,
                run => HtmlCell.Number(ReportUnits.Percent(run.FinalBackdoorAccuracy), run.FinalBackdoorAccuracy)));
        foreach (string metric in CompareRow.DeviceMetrics.Where(m => rows.Any(r => r.Metric(m) is not null)))
            measures.Add(new(new HtmlColumn(metric.Replace('_', ' ').Replace("p10", "10th percentile"), true, "over devices, last evaluation, mean over seeds"),
                r => HtmlCell.Number(ReportUnits.Percent(r.Metric(metric)?.Mean), r.Metric(metric)?.Mean),
                run => HtmlCell.Number(ReportUnits.Percent(run.FinalMetric(metric)), run.FinalMetric(metric))));
        measures.Add(new(new HtmlColumn("wall time", true, "seconds the run took on this machine, mean over seeds (the only figure that differs between two identical comparisons)"),
            r => Mean(r, run => run.WallSeconds, ReportUnits.Seconds), run => HtmlCell.Number(ReportUnits.Seconds(run.WallSeconds), run.WallSeconds)));
        return measures;
    }

    private static HtmlCell Accuracy(MeanInterval interval)
        => HtmlCell.Number(ReportUnits.PercentPlusMinus(interval.Mean, interval.High - interval.Mean), interval.Mean);

    private static HtmlCell Mean(CompareRow row, Func<CompareRunResult, double> value, Func<double?, string> format)
    {
        double mean = row.Runs.Count == 0 ? double.NaN : row.Runs.Average(value);
        return HtmlCell.Number(format(mean), mean);
    }

    /// <summary>Each seed's values and the links to its folder, report and plot (those that exist).</summary>
    private static string PerSeed(CompareRow row, IReadOnlyList<Measure> measures, Func<string, bool> exists)
    {
        var columns = measures.Select(m => m.Column with { Description = null }).Prepend(new HtmlColumn("seed", true)).Append(new HtmlColumn("run")).ToList();
        var rows = row.Runs.Select(run =>
        {
            string folder = $"{CompareRunner.RunsFolder}/{run.Run.FolderName}/";
            var links = new List<(string, string)>();
            if (exists(folder)) links.Add(("folder", folder));
            foreach (var (text, file) in new[] { ("report", RunReport.FileName), ("plot", MetricsPlot.FileName) })
                if (exists(folder + file)) links.Add((text, folder + file));
            var cells = measures.Select(m => m.OfRun(run)).Prepend(HtmlCell.Number(run.Run.Seed.ToString(System.Globalization.CultureInfo.InvariantCulture), run.Run.Seed))
                .Append(HtmlCell.Links(links)).ToList();
            return new HtmlRow(cells);
        }).ToList();
        return HtmlPage.TableHtml(new HtmlTable(columns, rows) { Sortable = false });
    }
}
