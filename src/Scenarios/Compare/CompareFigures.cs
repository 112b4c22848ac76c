using FedSim.Scenarios.Reports;
using ScottPlot;

namespace FedSim.Scenarios.Compare;

/// <summary>
/// The comparison's figures: accuracy per round with a 95% band over seeds for every configuration
/// (accuracy.png), and final accuracy per value of the first grid key, one bar per value of the second
/// (final_accuracy.png: e.g. strategy × attack), with 95% intervals as error bars; for runs with differential
/// privacy, final accuracy against the ε spent, one point per configuration (privacy.png).
/// </summary>
public static class CompareFigures
{
    public const string AccuracyFile = "accuracy.png";
    public const string FinalAccuracyFile = "final_accuracy.png";
    public const string PrivacyFile = "privacy.png";

    public static byte[] AccuracyPerRound(IReadOnlyList<CompareRow> rows, string title, int width = 1000, int height = 600)
    {
        var plot = new Plot();
        plot.Font.Set(MetricsPlot.FontName);
        plot.Title(title);
        plot.XLabel("Round");
        plot.YLabel("Test accuracy (mean over seeds, 95% band)");
        var palette = new ScottPlot.Palettes.Category10();
        for (int i = 0; i < rows.Count; i++)
        {
            var color = palette.GetColor(i);
            // Rounds evaluated in every seed's run (evaluation cadence is the same across seeds).
            var rounds = rows[i].Runs.SelectMany(r => r.Reports.Where(x => x.TestAccuracy is not null).Select(x => x.Round))
                .GroupBy(r => r).Where(g => g.Count() == rows[i].Runs.Count).Select(g => g.Key).Order().ToArray();
            if (rounds.Length == 0) continue;
            var stats = rounds.Select(round => MeanInterval.Of(rows[i].Runs
                .Select(r => r.Reports.First(x => x.Round == round).TestAccuracy!.Value).ToList())).ToArray();
            double[] xs = rounds.Select(r => (double)r).ToArray();
            if (stats.All(s => s.Low is not null))
            {
                // Accuracy lives in [0, 1]; a t-interval over few seeds can reach past it, the band need not.
                var band = plot.Add.FillY(xs, stats.Select(s => Math.Max(0, s.Low!.Value)).ToArray(), stats.Select(s => Math.Min(1, s.High!.Value)).ToArray());
                band.FillColor = color.WithAlpha(0.2);
                band.LineWidth = 0;
            }
            var line = plot.Add.Scatter(xs, stats.Select(s => s.Mean).ToArray());
            line.Color = color;
            line.MarkerSize = 0;
            line.LineWidth = 2;
            line.LegendText = rows[i].Configuration.Label;
        }
        plot.ShowLegend(Alignment.LowerRight);
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericAutomatic { IntegerTicksOnly = true };
        plot.Axes.SetLimitsY(0, 1.02);
        return plot.GetImageBytes(width, height, ImageFormat.Png);
    }

    public static byte[] FinalAccuracy(IReadOnlyList<CompareRow> rows, IReadOnlyList<string> keys, string title, int width = 1000, int height = 600)
    {
        var plot = new Plot();
        plot.Font.Set(MetricsPlot.FontName);
        plot.Title(title);
        plot.YLabel("Final test accuracy (mean, 95% CI)");
        string ValueOf(CompareRow row, string key) => row.Configuration.Settings.FirstOrDefault(s => s.Key == key).Value ?? "";
        var groups = keys.Count == 0 ? ["base"] : rows.Select(r => ValueOf(r, keys[0])).Distinct().ToList();
        var series = keys.Count < 2 ? [""] : rows.Select(r => ValueOf(r, keys[1])).Distinct().ToList();
        var palette = new ScottPlot.Palettes.Category10();
        var ticks = new List<Tick>();
        double width1 = 0.8 / series.Count;
        for (int g = 0; g < groups.Count; g++)
        {
            ticks.Add(new Tick(g, groups[g]));
            for (int s = 0; s < series.Count; s++)
            {
                // With more than two keys, a group × series cell averages over the remaining keys' configurations.
                var cell = rows.Where(r => (keys.Count == 0 || ValueOf(r, keys[0]) == groups[g]) && (keys.Count < 2 || ValueOf(r, keys[1]) == series[s])).ToList();
                if (cell.Count == 0) continue;
                var acc = MeanInterval.Of(cell.SelectMany(c => c.Runs).Select(r => r.FinalAccuracy ?? double.NaN).Where(double.IsFinite).ToList());
                var bar = new Bar
                {
                    Position = g - 0.4 + width1 * (s + 0.5),
                    Value = acc.Mean,
                    Error = acc.High is { } hi ? hi - acc.Mean : 0,
                    FillColor = palette.GetColor(s),
                    Size = width1 * 0.9,
                };
                plot.Add.Bars(new List<Bar> { bar });
            }
        }
        if (keys.Count >= 2)
        {
            for (int s = 0; s < series.Count; s++)
                plot.Legend.ManualItems.Add(new LegendItem { LabelText = $"{keys[1]}={series[s]}", FillColor = palette.GetColor(s) });
            plot.ShowLegend(Alignment.UpperRight);
        }
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericManual(ticks.ToArray());
        if (keys.Count > 0) plot.XLabel(keys[0]);
        plot.Axes.SetLimitsY(0, 1.05);
        return plot.GetImageBytes(width, height, ImageFormat.Png);
    }

    /// <summary>
    /// Final accuracy (mean over seeds, 95% interval as an error bar) against the ε spent, on a log ε axis; one point
    /// per configuration with a DP accountant, labelled with its configuration, joined in order of ε.
    /// </summary>
    public static byte[] AccuracyAgainstEpsilon(IReadOnlyList<CompareRow> rows, string title, int width = 1000, int height = 600)
    {
        var points = rows.Where(r => r.Epsilon is { Mean: > 0 }).Select(r => (Row: r, Epsilon: r.Epsilon!.Mean, Accuracy: r.FinalAccuracy))
            .Where(p => double.IsFinite(p.Accuracy.Mean)).OrderBy(p => p.Epsilon).ToList();
        var plot = new Plot();
        plot.Font.Set(MetricsPlot.FontName);
        plot.Title(title);
        plot.XLabel("ε spent (log scale); points labelled with their grid values");
        plot.YLabel("Final test accuracy (mean, 95% CI)");
        // ScottPlot has no log axis: plot log10 ε and label the ticks with ε itself.
        double[] xs = points.Select(p => Math.Log10(p.Epsilon)).ToArray();
        double[] ys = points.Select(p => p.Accuracy.Mean).ToArray();
        var line = plot.Add.Scatter(xs, ys);
        line.LineWidth = 2;
        line.MarkerSize = 8;
        for (int i = 0; i < points.Count; i++)
        {
            if (points[i].Accuracy is { Low: { } low, High: { } high })
            {
                var bar = plot.Add.Line(xs[i], Math.Max(0, low), xs[i], Math.Min(1, high));
                bar.Color = line.Color;
                bar.LineWidth = 1.5f;
            }
            string settings = string.Join(", ", points[i].Row.Configuration.Settings.Select(kv => kv.Value));
            var label = plot.Add.Text($"{settings} (ε = {points[i].Epsilon:0.##})", xs[i], ys[i]);
            label.LabelFontSize = 11;
            label.LabelFontName = MetricsPlot.FontName;
            label.OffsetY = -8;
        }
        if (xs.Length > 0)
        {
            // Ticks at 1, 2 and 5 times each power of ten in range, labelled with ε.
            var ticks = new List<Tick>();
            for (int decade = (int)Math.Floor(xs.Min() - 0.3); decade <= (int)Math.Ceiling(xs.Max() + 0.3); decade++)
                foreach (double m in new[] { 1.0, 2.0, 5.0 })
                {
                    double value = m * Math.Pow(10, decade), at = Math.Log10(value);
                    if (at >= xs.Min() - 0.3 && at <= xs.Max() + 0.3)
                        ticks.Add(new Tick(at, value.ToString("0.###", System.Globalization.CultureInfo.InvariantCulture)));
                }
            plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericManual(ticks.ToArray());
        }
        if (xs.Length > 0) plot.Axes.SetLimitsX(xs.Min() - 0.3, xs.Max() + 0.3);
        plot.Axes.SetLimitsY(0, 1.05);
        return plot.GetImageBytes(width, height, ImageFormat.Png);
    }
}
