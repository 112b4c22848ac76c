using FedSim.Coordination;
using FedSim.GrainInterfaces;
using FedSim.Rounds;
using FedSim.Strategies;

namespace FedSim.Tests.Coordination;

/// <summary>A round's report (its metrics.csv, failures.csv and clients.csv rows) as a pure function of what happened.</summary>
public sealed class RoundReportBuilderTests
{
    // Six sampled devices: three train (1 delivers and is used, 2 delivers and is left out, 3 fails), 4 drops out,
    // 5 is late, 6 is surplus.
    private static readonly RoundPlan Plan = new(4,
    [
        new DevicePlan(6, DeviceOutcome.Surplus, 0, 5, 9),
        new DevicePlan(1, DeviceOutcome.Train, 5, 5, 7),
        new DevicePlan(2, DeviceOutcome.Train, 5, 5, 8),
        new DevicePlan(3, DeviceOutcome.Train, 5, 5, 6),
        new DevicePlan(4, DeviceOutcome.Dropped, 0, 5, 0, "dropped out"),
        new DevicePlan(5, DeviceOutcome.Late, 0, 5, 30, "late"),
    ], SimulatedSeconds: 12.5);

    private static readonly DeviceUpdate[] Updates =
    [
        new(1, 4, [3f, 4f], Examples: 30, Steps: 5, MeanTrainLoss: 1.0f, 7, 100, 40),
        new(2, 4, [0f, 1f], Examples: 10, Steps: 5, MeanTrainLoss: 2.0f, 8, 100, 40),
    ];

    private static readonly DeviceFailure[] Failures =
        [new(3, 4, "training failed"), new(4, 4, "dropped out"), new(5, 4, "late"), new(6, 4, "surplus")];

    private static RoundResults Work()
    {
        var context = new RoundContext(4, 1, 100, 3, 3, new ServerState());
        var work = new RoundResults(context, [0f, 0f], [], Failures) { Used = [1], Evaluation = new ModelScore(0.75, 0.5) };
        work.Metrics.Add(new RoundMetric("used", 1));
        return work;
    }

    [Fact]
    public void The_report_counts_every_outcome_weights_the_train_loss_by_examples_and_adds_up_the_traffic()
    {
        // Execute
        var report = RoundReportBuilder.Build(Plan, Updates, Failures, Work(), new RoundTraffic(BytesDownPerDevice: 100, Secure: null),
            simulatedTotalBefore: 20, wallSeconds: 0.3);

        // Assert
        Assert.Equal((4, 0.75, 0.5), (report.Round, report.TestAccuracy, report.TestLoss));
        Assert.Equal((6, 2, 1, 1, 1, 1), (report.Selected, report.Participants, report.Failed, report.Dropped, report.Late, report.Surplus));
        Assert.Equal(40, report.TrainExamples);
        Assert.Equal((30 * 1.0 + 10 * 2.0) / 40, report.MeanTrainLoss, 12);
        Assert.Equal((600L, 80L), (report.BytesSent, report.BytesReceived));
        Assert.Equal((12.5, 32.5, 0.3), (report.SimulatedRoundSeconds, report.SimulatedTotalSeconds, report.WallSeconds));
        Assert.Equal(["used"], report.AllMetrics.Select(m => m.Name));
        Assert.Equal([3L, 4, 5, 6], report.AllFailures.Select(f => f.DeviceId));
        Assert.All(report.AllFailures, f => Assert.Equal(4, f.Round));
    }

    [Fact]
    public void Clients_rows_are_sorted_by_device_with_each_ones_status_and_update_norm()
    {
        var report = RoundReportBuilder.Build(Plan, Updates, Failures, Work(), new RoundTraffic(100, null), 0, 0);

        var rows = report.AllClients;
        Assert.Equal([1L, 2, 3, 4, 5, 6], rows.Select(r => r.Device));
        Assert.Equal(["used", "not used", "failed", "dropped", "late", "surplus"], rows.Select(r => r.Status));
        Assert.Equal(5.0, rows[0].UpdateNorm, 6); // |(3, 4)|
        Assert.True(double.IsNaN(rows[2].UpdateNorm));
    }

    [Fact]
    public void Under_secure_aggregation_the_protocol_traffic_counts_and_no_update_norm_is_known()
    {
        var report = RoundReportBuilder.Build(Plan, Updates, Failures, Work(), new RoundTraffic(100, new SecureTraffic(DownBytes: 50, UpBytes: 900)), 0, 0);

        Assert.Equal((650L, 900L), (report.BytesSent, report.BytesReceived));
        Assert.All(report.AllClients, r => Assert.True(double.IsNaN(r.UpdateNorm)));
    }
}
