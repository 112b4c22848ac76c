using System.Globalization;
using FedSim.Attacks.Inference;
using ScottPlot;

namespace FedSim.Scenarios.Reports;

/// <summary>One attack's ROC curve and the name it has in the legend.</summary>
public sealed record RocSeries(string Name, RocCurve Curve);

/// <summary>
/// roc.png: membership-inference ROC curves on log-log axes, one curve per attack, with the chance diagonal.
/// Log axes because attacks are judged at low false-positive rates (Carlini et al. 2022 plot them this way):
/// on linear axes every attack looks the same below 1 % FPR. Rates of 0 cannot sit on a log axis, so they are
/// drawn at the axis floor: the power of ten at or below 1/n, the smallest non-zero rate the largest audit
/// measures (1e-4 for 10 000 examples per side). ScottPlot 5 has no log axis, so the data are log10'd and the
/// ticks labelled with the rates.
/// </summary>
public static class RocPlot
{
    public const string FileName = "roc.png";

    /// <summary>Renders the plot and writes it atomically to <paramref name="pngPath"/>.</summary>
    public static void Save(string pngPath, IReadOnlyList<RocSeries> series, string title, int width = 700, int height = 650)
    {
        byte[] png = Render(series, title, width, height);
        AtomicFile.WriteAllBytes(pngPath, png);
    }

    /// <summary>The PNG bytes of the plot.</summary>
    public static byte[] Render(IReadOnlyList<RocSeries> series, string title, int width = 700, int height = 650)
    {
        ArgumentNullException.ThrowIfNull(series);
        double floor = AxisFloor(series);
        double logFloor = Math.Log10(floor);

        var plot = new Plot();
        plot.Font.Set(MetricsPlot.FontName);
        plot.Title(title);
        plot.XLabel("False positive rate");
        plot.YLabel("True positive rate (members found)");

        var chance = plot.Add.Line(logFloor, logFloor, 0, 0);
        chance.LineColor = Colors.Gray;
        chance.LinePattern = LinePattern.Dashed;
        chance.LegendText = "chance";

        foreach (var s in series)
        {
            var curve = s.Curve;
            var xs = curve.Fpr.Select(v => Math.Log10(Math.Max(v, floor))).ToArray();
            var ys = curve.Tpr.Select(v => Math.Log10(Math.Max(v, floor))).ToArray();
            var line = plot.Add.Scatter(xs, ys);
            line.MarkerSize = 0;
            line.LineWidth = 2;
            line.LegendText = string.Create(CultureInfo.InvariantCulture,
                $"{s.Name} (AUC {curve.Auc():F3}, TPR@0.1% {curve.TprAtFpr(0.001):P1})");
        }
        if (series.Count == 0) plot.Add.Annotation("no attack was audited");

        plot.Axes.SetLimits(logFloor, 0, logFloor, 0);
        plot.Axes.Bottom.TickGenerator = LogTicks();
        plot.Axes.Left.TickGenerator = LogTicks();
        plot.ShowLegend(Alignment.LowerRight);

        using var image = plot.GetImage(width, height);
        return image.GetImageBytes(ImageFormat.Png);
    }

    /// <summary>The lowest rate on both axes: the power of ten at or below 1/n for the largest side of any audit.</summary>
    internal static double AxisFloor(IReadOnlyList<RocSeries> series)
    {
        int largest = series.Count == 0 ? 10_000 : series.Max(s => Math.Max(s.Curve.Members, s.Curve.NonMembers));
        return Math.Pow(10, Math.Floor(Math.Log10(1.0 / Math.Max(largest, 10))));
    }

    /// <summary>Major ticks at the powers of ten, minor ticks at 2..9 times them, labels as rates.</summary>
    private static ScottPlot.TickGenerators.NumericAutomatic LogTicks() => new()
    {
        IntegerTicksOnly = true,
        MinorTickGenerator = new ScottPlot.TickGenerators.LogMinorTickGenerator(),
        LabelFormatter = exponent =>
        {
            int e = (int)Math.Round(exponent);
            return e >= -2 ? Math.Pow(10, e).ToString("0.##", CultureInfo.InvariantCulture) : $"1e{e}";
        },
    };
}
