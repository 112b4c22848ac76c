using FedSim.Scenarios.Reports;
using ScottPlot;

namespace FedSim.Scenarios.Compare;

/// <summary>
/// The comparison's figures: accuracy per round with a 95% band over seeds for every configuration, in panels by one
/// grid key when there are many (accuracy.png), and final accuracy per value of the first grid key, one bar per value of the second
/// (final_accuracy.png: e.g. strategy × attack), with 95% intervals as error bars; for runs with differential
/// privacy, final accuracy against the ε spent, one point per configuration (privacy.png).
/// </summary>
public static class CompareFigures
{
    public const string AccuracyFile = "accuracy.png";
    public const string FinalAccuracyFile = "final_accuracy.png";
    public const string PrivacyFile = "privacy.png";

    /// <summary>Series a panel holds before the default splits the figure into panels (more overlap until no band can be read).</summary>
    public const int MaxSeriesPerPanel = 4;

    /// <summary>
    /// A 95% band wider than this on average (a fraction of the accuracy axis) is not drawn: it would cover most of the
    /// panel and hide the other series, and says only that the seeds disagree (the report's per-seed values show how).
    /// </summary>
    public const double MaxBandWidth = 0.25;

    /// <summary>
    /// The grid key whose values get a panel each: the sweep file's <c>facet:</c>; else, when there are more than
    /// <see cref="MaxSeriesPerPanel"/> configurations and at least two keys, the key with the most values (the first
    /// of equals); else none (one panel).
    /// </summary>
    public static string? FacetKey(IReadOnlyList<SweepAxis> grid, string? chosen)
    {
        if (chosen == SweepFile.NoFacet) return null;
        if (chosen is not null) return chosen;
        long series = grid.Aggregate(1L, (product, axis) => product * axis.Values.Count);
        return grid.Count >= 2 && series > MaxSeriesPerPanel ? grid.MaxBy(a => a.Values.Count)!.Key : null;
    }

    /// <summary>
    /// Test accuracy per round, mean over seeds with its 95% band: one panel per value of <paramref name="facetKey"/>
    /// (or one panel), one colour per combination of the other keys, the legend beside the panels. Returns the figure
    /// and the notes the report gives with it (the panels, and every band left out and why).
    /// </summary>
    public static (byte[] Png, IReadOnlyList<string> Notes) AccuracyPerRound(IReadOnlyList<CompareRow> rows, string? facetKey, string title)
    {
        var curves = rows.Select(r => AccuracyCurve.Of(r, facetKey)).Where(c => c.Rounds.Length > 0).ToList();
        var labels = curves.Select(c => c.Label).Distinct().ToList();
        var palette = new ScottPlot.Palettes.Category10();
        Color ColorOf(AccuracyCurve c) => palette.GetColor(labels.IndexOf(c.Label));
        var panels = curves.GroupBy(c => c.Panel).ToList();
        bool legendPanel = panels.Count > 1;
        int cells = Math.Max(1, panels.Count) + (legendPanel ? 1 : 0);
        int columns = cells <= 4 ? cells : 3, gridRows = (cells + columns - 1) / columns;

        var multiplot = new Multiplot();
        multiplot.AddPlots(gridRows * columns);
        multiplot.Layout = new ScottPlot.MultiplotLayouts.Grid(gridRows, columns);
        double lastRound = curves.Count == 0 ? 1 : curves.Max(c => c.Rounds[^1]);
        for (int p = 0; p < gridRows * columns; p++)
        {
            var plot = multiplot.GetPlot(p);
            plot.Font.Set(MetricsPlot.FontName);
            if (p < panels.Count)
            {
                foreach (var curve in panels[p]) curve.AddTo(plot, ColorOf(curve));
                plot.Title(panels.Count > 1 ? panels[p].Key : title, size: 14);
                plot.XLabel("Round");
                plot.YLabel("Test accuracy (%)");
                plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericAutomatic { IntegerTicksOnly = true };
                plot.Axes.SetLimits(0.5, lastRound + 0.5, 0, 102);
                if (legendPanel)
                {
                    // The legend has a panel of its own; equal margins keep the panels' data areas the same size.
                    plot.HideLegend();
                    plot.Layout.Fixed(new PixelPadding(left: 60, right: 15, bottom: 45, top: 35));
                }
                else plot.ShowLegend(Edge.Right);
            }
            else
            {
                plot.HideAxesAndGrid();
                if (p == panels.Count && legendPanel) Legend(plot, labels, palette, facetKey is null ? title : $"{title}, by {facetKey}");
            }
        }
        if (curves.Count == 0) multiplot.GetPlot(0).Add.Annotation("no round was evaluated");

        var notes = new List<string>();
        if (facetKey is not null)
            notes.Add($"Accuracy per round: one panel per value of {facetKey}; choose the key with facet: KEY in the comparison file, or one panel with facet: none.");
        if (curves.Any(c => c.HasBand && !c.BandOmitted))
            notes.Add("Accuracy per round: lines are the mean over seeds, shaded bands the 95% Student-t interval per round.");
        foreach (var c in curves.Where(c => c.BandOmitted))
            notes.Add(string.Create(System.Globalization.CultureInfo.InvariantCulture,
                $"Accuracy per round: no band for {c.Row.Configuration.Label}: its 95% interval averages {c.MeanBandWidth * 100:0} points wide over {c.Row.Runs.Count} seeds, too wide to read (the seeds disagree; each seed's final accuracy is under its seeds button)."));
        using var image = multiplot.Render(columns * (legendPanel ? 380 : 1100), gridRows * (legendPanel ? 340 : 560));
        return (image.GetImageBytes(ImageFormat.Png), notes);
    }

    /// <summary>The legend on a panel of its own, so that no label covers data.</summary>
    private static void Legend(Plot plot, IReadOnlyList<string> labels, ScottPlot.Palettes.Category10 palette, string heading)
    {
        plot.Title(Wrap(heading, 34), size: 13);
        for (int i = 0; i < labels.Count; i++)
            plot.Legend.ManualItems.Add(new LegendItem { LabelText = labels[i], LineColor = palette.GetColor(i), LineWidth = 3 });
        plot.ShowLegend(Alignment.UpperLeft);
    }

    /// <summary>Breaks <paramref name="text"/> into lines of at most about <paramref name="width"/> characters, at spaces.</summary>
    private static string Wrap(string text, int width)
    {
        var lines = new List<string> { "" };
        foreach (string word in text.Split(' '))
        {
            if (lines[^1].Length > 0 && lines[^1].Length + 1 + word.Length > width) lines.Add("");
            lines[^1] = lines[^1].Length == 0 ? word : lines[^1] + " " + word;
        }
        return string.Join('\n', lines);
    }

    /// <summary>One configuration's accuracy per round over its seeds, as a panel draws it.</summary>
    private sealed record AccuracyCurve(CompareRow Row, string Panel, string Label, double[] Rounds, MeanInterval[] Stats)
    {
        public bool HasBand => Stats.Length > 0 && Stats.All(s => s.Low is not null);

        /// <summary>Mean width of the band over rounds, clipped to [0, 1] as it is drawn.</summary>
        public double MeanBandWidth => HasBand ? Stats.Average(s => Math.Min(1, s.High!.Value) - Math.Max(0, s.Low!.Value)) : 0;

        public bool BandOmitted => HasBand && MeanBandWidth > MaxBandWidth;

        public static AccuracyCurve Of(CompareRow row, string? facetKey)
        {
            // Rounds evaluated in every seed's run (evaluation cadence is the same across seeds).
            var rounds = row.Runs.SelectMany(r => r.Reports.Where(x => x.TestAccuracy is not null).Select(x => x.Round))
                .GroupBy(r => r).Where(g => g.Count() == row.Runs.Count).Select(g => g.Key).Order().ToArray();
            var stats = rounds.Select(round => MeanInterval.Of(row.Runs
                .Select(r => r.Reports.First(x => x.Round == round).TestAccuracy!.Value).ToList())).ToArray();
            var settings = row.Configuration.Settings;
            string panel = facetKey is null ? "" : $"{facetKey} = {settings.FirstOrDefault(s => s.Key == facetKey).Value}";
            var others = settings.Where(s => s.Key != facetKey).ToList();
            string label = others.Count == 0 ? (facetKey is null ? "base" : "accuracy") : string.Join(", ", others.Select(s => $"{s.Key}={s.Value}"));
            return new AccuracyCurve(row, panel, label, rounds.Select(r => (double)r).ToArray(), stats);
        }

        public void AddTo(Plot plot, Color color)
        {
            if (HasBand && !BandOmitted)
            {
                // Accuracy lives in [0, 1]; a t-interval over few seeds can reach past it, the band need not.
                var band = plot.Add.FillY(Rounds, Stats.Select(s => 100 * Math.Max(0, s.Low!.Value)).ToArray(), Stats.Select(s => 100 * Math.Min(1, s.High!.Value)).ToArray());
                band.FillColor = color.WithAlpha(0.18);
                band.LineWidth = 0;
            }
            var line = plot.Add.Scatter(Rounds, Stats.Select(s => 100 * s.Mean).ToArray());
            line.Color = color;
            line.MarkerSize = Rounds.Length > 30 ? 0 : 4;
            line.LineWidth = 2;
            line.LegendText = Label;
        }
    }

    public static byte[] FinalAccuracy(IReadOnlyList<CompareRow> rows, IReadOnlyList<string> keys, string title, int width = 1000, int height = 600)
    {
        var plot = new Plot();
        plot.Font.Set(MetricsPlot.FontName);
        plot.Title(title);
        plot.YLabel("Final test accuracy (%, mean, 95% CI)");
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
                double position = g - 0.4 + width1 * (s + 0.5);
                plot.Add.Bars(new List<Bar> { new() { Position = position, Value = 100 * acc.Mean, FillColor = palette.GetColor(s), Size = width1 * 0.9 } });
                if (acc is { Low: { } low, High: { } high })
                {
                    // The interval as a line clipped to what an accuracy can be (a wide interval over two seeds runs past 0-100 %).
                    var interval = plot.Add.Line(position, 100 * Math.Max(0, low), position, 100 * Math.Min(1, high));
                    interval.Color = Colors.Black;
                    interval.LineWidth = 1.5f;
                }
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
        plot.Axes.SetLimitsY(0, 105);
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
        plot.YLabel("Final test accuracy (%, mean, 95% CI)");
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
        plot.Axes.SetLimitsY(0, 105);
        return plot.GetImageBytes(width, height, ImageFormat.Png);
    }
}
