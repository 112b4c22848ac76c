using FedSim.Scenarios.Bench;
using Spectre.Console;

namespace FedSim.Tests.Bench;

public sealed class BenchReportTests
{
    private static TrainingWorkloadReport Workload(string name, double oneByOne, double batched) => new(
        name, "m", 10, 2, 4, 1e6,
        new TrainingMeasurement(TrainingMode.OneByOne, 1, 20, 20 / oneByOne, 1),
        new TrainingMeasurement(TrainingMode.BatchedPoolCohort, 5, 20, 20 / batched, 2),
        new TrainingMeasurement(TrainingMode.BatchedAll, 10, 20, 20 / batched, 4),
        PeakGflops: 8);

    private static BenchReport Report(BaselineReport? baseline) => new(
        "cpu", "Test CPU x2", 2, false, "0.107", DateTimeOffset.UnixEpoch, new MatmulMeasurement(64, 2, 0.01, 8),
        Workload("MLP", 10, 40), Workload("CNN", 1, 2),
        new RoundMeasurement(4, 20, 10, 1, 20, 2, [8], 50, 8, 2.0, 1.5, 0.25, 1, 16, 4),
        new MemoryReport(512L << 20, null, "n/a (cpu)"), baseline, ["a note"]);

    private static string Render(BenchReport report)
    {
        var writer = new StringWriter();
        var console = AnsiConsole.Create(new AnsiConsoleSettings
            { Out = new AnsiConsoleOutput(writer), Ansi = AnsiSupport.No, ColorSystem = ColorSystemSupport.NoColors });
        console.Profile.Width = 200;
        report.Render(console);
        return writer.ToString();
    }

    [Fact]
    public void Speedups_and_peak_fraction_derive_from_the_measurements()
    {
        var w = Workload("MLP", oneByOne: 10, batched: 40);

        Assert.Equal(4.0, w.SpeedupPoolCohort, 9);
        Assert.Equal(4.0, w.SpeedupAll, 9);
        Assert.Equal(0.5, w.PeakFraction, 9); // best batched 4 GFLOP/s of an 8 GFLOP/s peak
    }

    [Fact]
    public void Table_shows_every_workload_the_round_split_and_memory()
    {
        string text = Render(Report(baseline: null));

        Assert.Contains("Test CPU x2", text);
        Assert.Contains("MLP m", text);
        Assert.Contains("CNN m", text);
        Assert.Contains("4.00x / 4.00x", text);
        Assert.Contains("Orleans overhead", text);
        Assert.Contains("25.0 %", text);
        Assert.Contains("512 MiB", text);
        Assert.Contains("n/a (cpu)", text);
        Assert.Contains("note: a note", text);
        Assert.DoesNotContain("PyTorch", text);
    }

    [Fact]
    public void Table_says_why_the_baseline_did_not_run()
    {
        var skipped = new BaselineReport(null, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null,
            "no Python that can 'import torch'", null);

        string text = Render(Report(skipped));

        Assert.Contains("PyTorch baseline", text);
        Assert.Contains("no Python that can 'import torch'", text);
    }
}
