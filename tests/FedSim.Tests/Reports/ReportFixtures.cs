using FedSim;
using FedSim.GrainInterfaces;
using FedSim.Scenarios.Reports;
using FedSim.Rounds;

namespace FedSim.Tests.Reports;

/// <summary>A fixed, hand-checked run: round 2 was not evaluated, round 3 is the best, round 4 the last.</summary>
internal static class ReportFixtures
{
    public static IReadOnlyList<RoundReport> FourRounds(double wallScale = 1.0) =>
    [
        new(1, 0.5, 1.25, 10, 0, 2.0, 600, 1000, 900, 12.5, 12.5, 0.75 * wallScale, Selected: 11, Surplus: 1, Metrics: Metrics(10, 0.125)),
        new(2, null, null, 9, 1, 1.5, 540, 1000, 810, 10.0, 22.5, 1.5 * wallScale, Selected: 12, Dropped: 1, Late: 1, Metrics: Metrics(9, null)),
        // 0.1 + 0.2 is 0.30000000000000004: checks that the CSV keeps every bit.
        new(3, 0.91, 0.1 + 0.2, 10, 0, 0.8, 600, 1000, 900, 11.25, 33.75, 2.25 * wallScale, Selected: 10, Metrics: Metrics(10, 0.5)),
        new(4, 0.9, 0.32, 10, 0, 0.7, 600, 1000, 900, 11.25, 45.0, 3.0 * wallScale, Selected: 10, Metrics: Metrics(10, 0.75)),
    ];

    private static ValueList<RoundMetric> Metrics(int used, double? backdoor)
        => new([new RoundMetric("used", used), new RoundMetric("backdoor_accuracy", backdoor)]);

    public static RunSummaryInput Input(double wallSeconds = 3.5) => new(
        Name: "mnist-iid",
        Seed: 42,
        PlannedRounds: 4,
        Devices: 100,
        DevicesPerRound: 10,
        Dataset: new DatasetInfo("mnist", 60000, 10000, 10, 784, "iid",
            "100 devices, 60000 samples; per device min 600, median 600, max 600, mean 600.0; label entropy 3.32 bits/device (global 3.32), 10.0 labels/device"),
        Model: new ModelInfo("mlp", 159010, "784-200-10"),
        Compute: new Dictionary<string, object?> { ["device"] = "cpu", ["workers"] = 2, ["cohort_size"] = 16 },
        WallSeconds: wallSeconds)
    { Strategy = "fedavg" };
}

/// <summary>A fresh temporary folder, deleted afterwards.</summary>
internal sealed class TempDir : IDisposable
{
    public TempDir()
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "fedsim-reports-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    public string File(string name) => System.IO.Path.Combine(Path, name);

    public void Dispose()
    {
        try { Directory.Delete(Path, recursive: true); } catch (IOException) { }
    }
}
