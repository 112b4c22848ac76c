using System.Globalization;
using System.Text;
using FedSim.GrainInterfaces;
using FedSim.Scenarios.Reports;
using MathNet.Numerics.Distributions;

namespace FedSim.Scenarios.Compare;

/// <summary>A finished run of a comparison: its scenario and its round reports.</summary>
public sealed record CompareRunResult(SweepRun Run, IReadOnlyList<RoundReport> Reports, double WallSeconds)
{
    /// <summary>Test accuracy of the last evaluated round (the last round is always evaluated).</summary>
    public double? FinalAccuracy => Reports.LastOrDefault(r => r.TestAccuracy is not null)?.TestAccuracy;

    /// <summary>The last value a round metric took (a metric filled on evaluation rounds only: its last evaluation); null when it never had one.</summary>
    public double? FinalMetric(string name) => Reports.Select(r => r.Metric(name)).LastOrDefault(v => v is not null);

    public double? FinalBackdoorAccuracy => FinalMetric(Rounds.BackdoorStage.Metric);

    /// <summary>ε spent by the end of the run (privacy.central or privacy.local), null for a run without DP.</summary>
    public double? FinalEpsilon => FinalMetric(Rounds.PrivacyAccountingStage.Epsilon);

    public int? RoundsTo(double target) => Reports.FirstOrDefault(r => r.TestAccuracy >= target)?.Round;

    /// <summary>Model bytes in both directions over the whole run.</summary>
    public long BytesTotal => Reports.Sum(r => r.BytesSent + r.BytesReceived);

    public double SimulatedSeconds => Reports.Count == 0 ? 0 : Reports[^1].SimulatedTotalSeconds;
}

/// <summary>A sample mean with its two-sided 95% Student-t interval (empty bounds for fewer than two values).</summary>
public sealed record MeanInterval(double Mean, double? Low, double? High, double? StandardDeviation, int Count)
{
    /// <summary>mean ± t(0.975, n − 1)·s/√n, s the sample standard deviation (n − 1 denominator).</summary>
    public static MeanInterval Of(IReadOnlyList<double> values)
    {
        if (values.Count == 0) return new MeanInterval(double.NaN, null, null, null, 0);
        double mean = values.Average();
        if (values.Count < 2) return new MeanInterval(mean, null, null, null, values.Count);
        double sd = Math.Sqrt(values.Sum(v => (v - mean) * (v - mean)) / (values.Count - 1));
        double half = StudentT.InvCDF(0, 1, values.Count - 1, 0.975) * sd / Math.Sqrt(values.Count);
        return new MeanInterval(mean, mean - half, mean + half, sd, values.Count);
    }
}

/// <summary>One configuration's results over its seeds.</summary>
public sealed record CompareRow(SweepConfiguration Configuration, IReadOnlyList<CompareRunResult> Runs, double? Target)
{
    public MeanInterval FinalAccuracy => MeanInterval.Of(Runs.Select(r => r.FinalAccuracy ?? double.NaN).Where(double.IsFinite).ToList());

    public MeanInterval? BackdoorAccuracy => Metric(Rounds.BackdoorStage.Metric);

    public MeanInterval? Epsilon => Metric(Rounds.PrivacyAccountingStage.Epsilon);

    /// <summary>A round metric's final value over the seeds (null when no run has it).</summary>
    public MeanInterval? Metric(string name) => Runs.Any(r => r.FinalMetric(name) is not null)
        ? MeanInterval.Of(Runs.Select(r => r.FinalMetric(name)).OfType<double>().ToList())
        : null;

    /// <summary>
    /// The distribution over devices a comparison reports when its runs evaluate per device: the global model's mean and
    /// 10th percentile over devices, and the personalized copies' (each the mean over seeds of the last evaluation).
    /// </summary>
    public static readonly string[] DeviceMetrics =
    [
        Rounds.DeviceEvaluationStage.MeanMetric, Rounds.DeviceEvaluationStage.P10Metric,
        Rounds.PersonalizationStage.Metric + "_mean", Rounds.PersonalizationStage.Metric + "_p10",
    ];

    /// <summary>Mean rounds to the target over the seeds that reached it, and how many did.</summary>
    public (double? Mean, int Reached) RoundsToTarget
    {
        get
        {
            if (Target is not { } t) return (null, 0);
            var reached = Runs.Select(r => r.RoundsTo(t)).OfType<int>().ToList();
            return (reached.Count == 0 ? null : reached.Average(), reached.Count);
        }
    }
}

/// <summary>
/// compare.csv: one row per configuration, its varied keys as columns, mean and 95% Student-t interval of the
/// final accuracy over seeds, rounds to the target, traffic and simulated time, the ε spent (runs with differential
/// privacy: the mean over seeds of the last round's ε), the backdoor's accuracy when there is one, and with per-device
/// evaluation the mean and 10th percentile over devices (global and personalized); wall time last (it is the only
/// column that differs between two identical comparisons).
/// </summary>
public static class CompareCsv
{
    public const string FileName = "compare.csv";

    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    public static string Format(IReadOnlyList<CompareRow> rows, IReadOnlyList<string> keys)
    {
        bool backdoor = rows.Any(r => r.BackdoorAccuracy is not null);
        bool privacy = rows.Any(r => r.Epsilon is not null);
        var devices = CompareRow.DeviceMetrics.Where(m => rows.Any(r => r.Metric(m) is not null)).ToList();
        var header = new List<string> { "config" };
        header.AddRange(keys);
        header.AddRange(["seeds", "final_accuracy_mean", "final_accuracy_ci95_low", "final_accuracy_ci95_high", "final_accuracy_sd",
            "rounds_to_target", "reached_target", "bytes_total", "simulated_seconds"]);
        if (privacy) header.Add("epsilon_mean");
        if (backdoor) header.AddRange(["backdoor_accuracy_mean", "backdoor_accuracy_ci95_low", "backdoor_accuracy_ci95_high"]);
        header.AddRange(devices);
        header.Add("wall_seconds");

        var sb = new StringBuilder(string.Join(',', header)).Append('\n');
        foreach (var row in rows)
        {
            var cells = new List<string> { DevicesCsv.Quote(row.Configuration.Label) };
            foreach (var key in keys)
                cells.Add(DevicesCsv.Quote(row.Configuration.Settings.FirstOrDefault(s => s.Key == key).Value ?? ""));
            var acc = row.FinalAccuracy;
            var (rounds, reached) = row.RoundsToTarget;
            cells.Add(string.Join(' ', row.Runs.Select(r => r.Run.Seed.ToString(Inv))));
            cells.AddRange([Num(acc.Mean), Num(acc.Low), Num(acc.High), Num(acc.StandardDeviation)]);
            cells.Add(Num(rounds));
            cells.Add(row.Target is null ? "" : $"{reached}/{row.Runs.Count}");
            cells.Add(Num(row.Runs.Average(r => (double)r.BytesTotal)));
            cells.Add(Num(row.Runs.Average(r => r.SimulatedSeconds)));
            if (privacy) cells.Add(Num(row.Epsilon?.Mean));
            if (backdoor)
            {
                var b = row.BackdoorAccuracy;
                cells.AddRange([Num(b?.Mean), Num(b?.Low), Num(b?.High)]);
            }
            cells.AddRange(devices.Select(m => Num(row.Metric(m)?.Mean)));
            cells.Add(Num(row.Runs.Average(r => r.WallSeconds)));
            sb.Append(string.Join(',', cells)).Append('\n');
        }
        return sb.ToString();
    }

    /// <summary>The text without its wall_seconds column (identical for two runs of one comparison).</summary>
    public static string WithoutWallTime(string csv)
        => string.Join('\n', csv.Split('\n').Select(line => line.Length == 0 ? line : line[..line.LastIndexOf(',')]));

    private static string Num(double? v) => v is { } x && double.IsFinite(x) ? MetricsCsv.Num(Math.Round(x, 6)) : "";
}
