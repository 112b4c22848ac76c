using System.Globalization;

namespace FedSim.Scenarios.Reports;

/// <summary>
/// Numbers as the HTML reports show them to a person: rounded, with their unit ("84.9 %", "3.5 MB", "63.6 s"). The
/// CSV and JSON files keep every digit; these strings are for reading only. A missing or non-finite value is "–".
/// </summary>
public static class ReportUnits
{
    public const string Missing = "–";

    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    /// <summary>A fraction in [0, 1] as a percentage with one decimal: 0.84875 → "84.9 %".</summary>
    public static string Percent(double? fraction) => Finite(fraction) is { } f ? string.Create(Inv, $"{f * 100:0.0} %") : Missing;

    /// <summary>An accuracy level as a percentage without trailing zeros: 0.8 → "80 %", 0.975 → "97.5 %".</summary>
    public static string Level(double fraction) => string.Create(Inv, $"{fraction * 100:0.##} %");

    /// <summary>
    /// A mean fraction with the half-width of its interval in percentage points: "84.9 % ± 1.2" (no interval: "84.9 %").
    /// An interval reaching past 0 or 100 % (two seeds that disagree) is shown as its clipped ends: "49.8 % [0.0, 100.0]".
    /// </summary>
    public static string PercentPlusMinus(double? mean, double? halfWidth)
    {
        if (Finite(mean) is not { } m) return Missing;
        if (Finite(halfWidth) is not { } h) return Percent(m);
        return m - h < 0 || m + h > 1
            ? string.Create(Inv, $"{Percent(m)} [{Math.Max(0, m - h) * 100:0.0}, {Math.Min(1, m + h) * 100:0.0}]")
            : string.Create(Inv, $"{Percent(m)} ± {h * 100:0.0}");
    }

    /// <summary>Bytes in decimal units, one decimal from kB up: 3537600 → "3.5 MB", 812 → "812 B".</summary>
    public static string Bytes(double? bytes)
    {
        if (Finite(bytes) is not { } b) return Missing;
        string[] units = ["B", "kB", "MB", "GB", "TB"];
        int unit = 0;
        while (Math.Abs(b) >= 999.95 && unit < units.Length - 1)
        {
            b /= 1000;
            unit++;
        }
        return unit == 0 ? string.Create(Inv, $"{b:0} B") : string.Create(Inv, $"{b:0.0} {units[unit]}");
    }

    /// <summary>A duration: seconds with one decimal up to ten minutes ("63.6 s"), then minutes, then hours.</summary>
    public static string Seconds(double? seconds) => Finite(seconds) switch
    {
        null => Missing,
        < 600 and var s => string.Create(Inv, $"{s:0.0} s"),
        < 7200 and var s => string.Create(Inv, $"{s / 60:0.0} min"),
        var s => string.Create(Inv, $"{s / 3600:0.0} h"),
    };

    /// <summary>A plain number with at most <paramref name="decimals"/> decimals ("0.412", "4").</summary>
    public static string Number(double? value, int decimals = 3)
        => Finite(value) is { } v ? v.ToString("0." + new string('#', decimals), Inv) : Missing;

    /// <summary>A count with thousands separators: 12000 → "12,000".</summary>
    public static string Count(long? value) => value is { } v ? v.ToString("N0", Inv) : Missing;

    /// <summary>A probability that can be tiny (δ): "1e-05" below 0.001, else as a number.</summary>
    public static string Probability(double? value) => Finite(value) switch
    {
        null => Missing,
        0 => "0",
        < 0.001 and var v => v.ToString("0.##e-00", Inv),
        var v => Number(v, 4),
    };

    private static double? Finite(double? value) => value is { } v && double.IsFinite(v) ? v : null;
}
