using System.Globalization;
using FedSim.Attacks.Inference;
using ScottPlot;

namespace FedSim.Scenarios.Reports;

/// <summary>One attack's ROC curve, the name it has in the legend, and the (ε, δ) of the run's DP guarantee when it has one.</summary>
public sealed record RocSeries(string Name, RocCurve Curve, double? Epsilon = null, double Delta = 0);

/// <summary>
/// roc.png: membership-inference ROC curves on log-log axes, one curve per attack, with the chance diagonal and, for a
/// run with differential privacy, the bound every (ε, δ)-DP algorithm keeps an attack under: TPR ≤ e^ε·FPR + δ.
/// Each curve has its own line pattern and markers (placed at different rates for each curve), so curves that
/// coincide stay visible.
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
        plot.Legend.ManualItems.Add(new LegendItem { LabelText = "chance", LineColor = Colors.Gray, LinePattern = LinePattern.Dashed, LineWidth = 1 });

        foreach (var (epsilon, delta) in series.Where(s => s.Epsilon is not null).Select(s => (s.Epsilon!.Value, s.Delta)).Distinct())
            AddDpBound(plot, epsilon, delta, logFloor);

        var palette = new ScottPlot.Palettes.Category10();
        for (int i = 0; i < series.Count; i++)
        {
            var style = new CurveStyle(palette.GetColor(i), Patterns[i % Patterns.Length], Markers[i % Markers.Length]);
            AddCurve(plot, series[i], style, floor, (i + 1.0) / (series.Count + 1));
        }
        if (series.Count == 0) plot.Add.Annotation("no attack was audited");

        plot.Axes.SetLimits(logFloor, 0, logFloor, 0);
        plot.Axes.Bottom.TickGenerator = LogTicks();
        plot.Axes.Left.TickGenerator = LogTicks();
        plot.ShowLegend(Alignment.LowerRight);

        using var image = plot.GetImage(width, height);
        return image.GetImageBytes(ImageFormat.Png);
    }

    private sealed record CurveStyle(Color Color, LinePattern Pattern, MarkerShape Marker);

    private static readonly LinePattern[] Patterns = [LinePattern.Solid, LinePattern.Dashed, LinePattern.Dotted, LinePattern.DenselyDashed];

    private static readonly MarkerShape[] Markers =
        [MarkerShape.FilledCircle, MarkerShape.OpenSquare, MarkerShape.FilledTriangleUp, MarkerShape.OpenDiamond, MarkerShape.Eks, MarkerShape.OpenCircle];

    /// <summary>
    /// The curve as a line, and one marker per decade of FPR at <paramref name="offset"/> (a fraction of the decade,
    /// different for each curve): markers of two identical curves fall side by side, not on each other.
    /// </summary>
    private static void AddCurve(Plot plot, RocSeries s, CurveStyle style, double floor, double offset)
    {
        var curve = s.Curve;
        var line = plot.Add.Scatter(curve.Fpr.Select(v => Math.Log10(Math.Max(v, floor))).ToArray(), curve.Tpr.Select(v => Math.Log10(Math.Max(v, floor))).ToArray());
        line.MarkerSize = 0;
        line.LineWidth = 2;
        line.Color = style.Color;
        line.LinePattern = style.Pattern;
        var at = Enumerable.Range(0, (int)Math.Round(-Math.Log10(floor))).Select(d => Math.Log10(floor) + d + offset).ToArray();
        var marks = plot.Add.ScatterPoints(at, at.Select(x => Math.Log10(Math.Max(curve.TprAtFpr(Math.Pow(10, x)), floor))).ToArray());
        marks.MarkerShape = style.Marker;
        marks.MarkerSize = 9;
        marks.Color = style.Color;
        plot.Legend.ManualItems.Add(new LegendItem
        {
            LabelText = string.Create(CultureInfo.InvariantCulture, $"{s.Name} (AUC {curve.Auc():F3}, TPR@0.1% {curve.TprAtFpr(0.001):P1})"),
            LineColor = style.Color, LinePattern = style.Pattern, LineWidth = 2,
            MarkerShape = style.Marker, MarkerSize = 9, MarkerFillColor = style.Color, MarkerLineColor = style.Color,
        });
    }

    /// <summary>TPR ≤ e^ε·FPR + δ, clipped to 1: above this line no attack on an (ε, δ)-DP run can lie (beyond sampling noise).</summary>
    private static void AddDpBound(Plot plot, double epsilon, double delta, double logFloor)
    {
        var xs = Enumerable.Range(0, 201).Select(i => logFloor * (1 - i / 200.0)).ToArray();
        var ys = xs.Select(x => Math.Log10(Math.Min(1, Math.Exp(epsilon) * Math.Pow(10, x) + delta))).ToArray();
        var bound = plot.Add.ScatterLine(xs, ys);
        bound.Color = Colors.Black;
        bound.LineWidth = 1.5f;
        bound.LinePattern = DashDot;
        plot.Legend.ManualItems.Add(new LegendItem
        {
            LabelText = string.Create(CultureInfo.InvariantCulture, $"DP bound e^ε·FPR + δ (ε = {epsilon:0.##}, δ = {ReportUnits.Probability(delta)})"),
            LineColor = Colors.Black, LinePattern = DashDot, LineWidth = 1.5f,
        });
    }

    private static readonly LinePattern DashDot = new([8, 3, 2, 3], 0, "dash-dot");

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
