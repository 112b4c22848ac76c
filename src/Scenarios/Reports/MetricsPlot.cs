using FedSim.GrainInterfaces;
using ScottPlot;

namespace FedSim.Scenarios.Reports;

/// <summary>
/// metrics.png: test accuracy (top panel) and test/train loss (bottom panel) against the round, sharing
/// the round axis. Rendered off-screen with ScottPlot 5 / SkiaSharp, so it works on a headless server.
/// </summary>
public static class MetricsPlot
{
    public const string FileName = "metrics.png";

    // SkiaSharp's Linux natives (NoDependencies) skip fontconfig, so ScottPlot's sans-serif detection falls back
    // to the first family found (often DejaVu Serif). Pick a sans family explicitly when one is installed.
    internal static readonly string FontName = PickFont();

    private static string PickFont()
    {
        var families = SkiaSharp.SKFontManager.Default.GetFontFamilies();
        foreach (string preferred in (string[])["DejaVu Sans", "Liberation Sans", "Noto Sans", "Open Sans", "Arial", "Helvetica", "Segoe UI"])
            if (families.Contains(preferred, StringComparer.OrdinalIgnoreCase)) return preferred;
        return Fonts.Sans;
    }

    /// <summary>
    /// Null when a font is installed; otherwise what to install. Without any font SkiaSharp still renders,
    /// but the plot has no title, labels or tick numbers.
    /// </summary>
    public static string? FontProblem { get; } =
        // With no font files Skia reports one family with an empty name (an empty typeface), so count named ones.
        SkiaSharp.SKFontManager.Default.GetFontFamilies().Any(f => !string.IsNullOrEmpty(f)) ? null :
        "No fonts found: metrics.png will have no text. Install a TrueType font (Debian/Ubuntu: apt-get install fonts-dejavu-core).";

    /// <summary>Renders the plot and writes it atomically to <paramref name="pngPath"/>.</summary>
    public static void Save(string pngPath, IReadOnlyList<RoundReport> reports, string title, int width = 900, int height = 700)
    {
        byte[] png = Render(reports, title, width, height);
        AtomicFile.WriteAllBytes(pngPath, png);
    }

    /// <summary>The PNG bytes of the plot.</summary>
    public static byte[] Render(IReadOnlyList<RoundReport> reports, string title, int width = 900, int height = 700)
    {
        var ordered = reports.OrderBy(r => r.Round).ToList();
        var evaluated = ordered.Where(r => r.TestAccuracy is not null).ToList();

        var multiplot = new Multiplot();
        multiplot.AddPlots(2);
        Plot acc = multiplot.GetPlot(0);
        Plot loss = multiplot.GetPlot(1);

        acc.Title(title);
        acc.YLabel("Test accuracy");
        if (evaluated.Count > 0)
        {
            AddSeries(acc, evaluated, r => r.TestAccuracy!.Value, "test accuracy");
            acc.ShowLegend(Alignment.LowerRight);
        }
        else
        {
            acc.Add.Annotation("no round was evaluated");
        }

        loss.YLabel("Loss");
        loss.XLabel("Round");
        var testLoss = evaluated.Where(r => r.TestLoss is { } l && double.IsFinite(l)).ToList();
        if (testLoss.Count > 0) AddSeries(loss, testLoss, r => r.TestLoss!.Value, "test loss");
        var trainLoss = ordered.Where(r => r.Participants > 0 && double.IsFinite(r.MeanTrainLoss)).ToList();
        if (trainLoss.Count > 0)
        {
            var s = AddSeries(loss, trainLoss, r => r.MeanTrainLoss, "train loss (mean over clients)");
            s.MarkerSize = 0;
            s.LinePattern = LinePattern.Dashed;
        }
        if (testLoss.Count + trainLoss.Count > 0) loss.ShowLegend(Alignment.UpperRight);

        // Same round range in both panels, so a point in one lines up with the other.
        multiplot.SharedAxes.ShareX([acc, loss]);
        double lo = ordered.Count > 0 ? ordered[0].Round : 0;
        double hi = ordered.Count > 0 ? Math.Max(ordered[^1].Round, lo + 1) : 1;
        foreach (var p in new[] { acc, loss })
        {
            p.Font.Set(FontName);
            p.Axes.SetLimitsX(lo - 0.5, hi + 0.5);
            // Rounds are integers: no "2.5" ticks.
            p.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericAutomatic { IntegerTicksOnly = true };
        }
        // Same data-area margins in both panels: shared limits alone would still shift the x axes by the
        // width of the y tick labels, and rounds would not line up vertically.
        acc.Layout.Fixed(new PixelPadding(left: 75, right: 20, bottom: 30, top: 40));
        loss.Layout.Fixed(new PixelPadding(left: 75, right: 20, bottom: 50, top: 15));
        if (evaluated.Count == 0) acc.Axes.SetLimitsY(0, 1);
        if (testLoss.Count + trainLoss.Count == 0) loss.Axes.SetLimitsY(0, 1);

        using var image = multiplot.Render(width, height);
        return image.GetImageBytes(ImageFormat.Png);
    }

    /// <summary>One value per round as a line; markers only while there are few enough points to see them.</summary>
    private static ScottPlot.Plottables.Scatter AddSeries(Plot plot, IReadOnlyList<RoundReport> rounds, Func<RoundReport, double> value, string label)
    {
        var series = plot.Add.Scatter(rounds.Select(r => (double)r.Round).ToArray(), rounds.Select(value).ToArray());
        series.LegendText = label;
        series.MarkerSize = rounds.Count > 60 ? 0 : 5;
        return series;
    }
}
