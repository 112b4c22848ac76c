using FedSim.GrainInterfaces;
using FedSim.Rounds;
using ScottPlot;

namespace FedSim.Scenarios.Reports;

/// <summary>
/// devices.png (per-device evaluation only): how the evaluated devices' accuracy on their own test records is spread in
/// every evaluated round: the mean, the band from the 10th to the 90th percentile, and the worst device; with
/// personalization, the personalized models' spread in a second colour beside the global model's. The mean hides the
/// devices a federated model serves badly, which is what the lower edge shows.
/// </summary>
public static class DevicesPlot
{
    public const string FileName = "devices.png";

    /// <summary>Whether any round evaluated devices on their own records (only then is there a plot).</summary>
    public static bool HasData(IEnumerable<RoundReport> reports) => reports.Any(r => r.DeviceAccuracies is { Count: > 0 });

    /// <summary>Renders the plot and writes it atomically to <paramref name="pngPath"/>.</summary>
    public static void Save(string pngPath, IReadOnlyList<RoundReport> reports, string title, int width = 1000, int height = 500)
        => AtomicFile.WriteAllBytes(pngPath, Render(reports, title, width, height));

    /// <summary>The PNG bytes of the plot.</summary>
    public static byte[] Render(IReadOnlyList<RoundReport> reports, string title, int width = 1000, int height = 500)
    {
        var evaluated = reports.Where(r => r.DeviceAccuracies is { Count: > 0 }).OrderBy(r => r.Round).ToList();
        var plot = new Plot();
        plot.Font.Set(MetricsPlot.FontName);
        int devices = evaluated.Count == 0 ? 0 : evaluated[^1].DeviceAccuracies!.Count;
        plot.Title($"{title}: accuracy over {devices} devices");
        plot.YLabel("Accuracy on the device's own test records");
        plot.XLabel("Round");
        if (evaluated.Count == 0) plot.Add.Annotation("no round evaluated devices");
        AddSpread(plot, evaluated, a => a.Accuracy, "global model", Colors.C0);
        var personalized = evaluated.Where(r => r.DeviceAccuracies!.Any(a => a.Personalized is not null)).ToList();
        AddSpread(plot, personalized, a => a.Personalized, "personalized", Colors.C1);
        // Beside the data, not over it: the lower edge is the point of the plot.
        if (evaluated.Count > 0) plot.ShowLegend(Edge.Right);

        double lo = evaluated.Count > 0 ? evaluated[0].Round : 0;
        double hi = evaluated.Count > 0 ? Math.Max(evaluated[^1].Round, lo + 1) : 1;
        plot.Axes.SetLimits(lo - 0.5, hi + 0.5, 0, 1.02);
        // Rounds are integers: no "2.5" ticks.
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericAutomatic { IntegerTicksOnly = true };
        using var image = plot.GetImage(width, height);
        return image.GetImageBytes(ImageFormat.Png);
    }

    /// <summary>One model's spread over devices per round: p10–p90 band, mean line, worst device dotted.</summary>
    private static void AddSpread(Plot plot, IReadOnlyList<RoundReport> rounds, Func<DeviceAccuracy, double?> value, string label, Color color)
    {
        if (rounds.Count == 0) return;
        double[] xs = rounds.Select(r => (double)r.Round).ToArray();
        var sorted = rounds.Select(r => r.DeviceAccuracies!.Select(value).OfType<double>().Order().ToArray()).ToArray();
        double[] Quantile(double q) => sorted.Select(s => DeviceEvaluationStage.Percentile(s, q)).ToArray();
        double[] p10 = Quantile(0.10), p90 = Quantile(0.90);

        var band = plot.Add.FillY(xs, p90, p10);
        band.FillColor = color.WithAlpha(0.2);
        band.LineColor = color.WithAlpha(0.5);
        band.LegendText = $"{label}: 10th–90th percentile";
        // Edges drawn as points too, so a single evaluated round still shows its band.
        foreach (var edge in new[] { p10, p90 })
        {
            var points = plot.Add.Scatter(xs, edge, color.WithAlpha(0.6));
            points.LineWidth = 0;
            points.MarkerSize = 4;
        }
        bool markers = rounds.Count <= 60;
        var mean = plot.Add.Scatter(xs, sorted.Select(s => s.Average()).ToArray(), color);
        mean.LegendText = $"{label}: mean";
        mean.LineWidth = 2;
        mean.MarkerSize = markers ? 6 : 0;
        var worst = plot.Add.Scatter(xs, sorted.Select(s => s[0]).ToArray(), color);
        worst.LegendText = $"{label}: worst device";
        worst.LinePattern = LinePattern.Dotted;
        worst.MarkerSize = markers ? 4 : 0;
    }
}
