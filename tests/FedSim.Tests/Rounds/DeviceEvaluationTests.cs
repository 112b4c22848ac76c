using FedSim.Data;
using FedSim.Rounds;
using FedSim.Strategies;

namespace FedSim.Tests.Rounds;

/// <summary>Per-device evaluation: whose records a device is tested on, and the distribution the round reports.</summary>
public sealed class DeviceEvaluationTests
{
    /// <summary>Rows 0..n-1 with one feature; <paramref name="owners"/> per row (null: records without owners).</summary>
    private static Dataset Data(int[]? owners, int n) =>
        new("d", new float[n], new int[n], 1, 2, groups: owners);

    [Fact]
    public void Natural_test_records_are_those_of_the_owners_whose_training_records_a_device_holds()
    {
        // Prepare: owners 0..3 in training; device 0 holds owners 0 and 2, device 1 owner 1; owner 3 is nobody's.
        var train = Data([0, 0, 1, 2, 3], 5);
        var test = Data([2, 1, 0, 3, 0, 1], 6);
        int[][] partition = [[0, 1, 3], [2]];

        // Execute
        var tests = DeviceTestSplit.Natural(train, test, partition);
        var split = DeviceTestSplit.Natural(train, test, [[0, 2], [1, 3]]); // owner 0 split over two devices

        // Assert
        Assert.NotNull(tests);
        Assert.True(tests.Natural);
        Assert.Same(test, tests.Source);
        Assert.Equal([[0, 2, 4], [1, 5]], tests.Rows);
        Assert.Null(split);
        Assert.Null(DeviceTestSplit.Natural(Data(null, 5), test, partition));
    }

    [Fact]
    public void A_holdout_takes_each_devices_test_records_out_of_its_own_training_the_same_way_every_time()
    {
        // Prepare
        var train = Data(null, 400);
        int[][] partition = [.. Enumerable.Range(0, 4).Select(d => Enumerable.Range(d * 100, 100).ToArray())];

        // Execute
        var (training, tests) = DeviceTestSplit.Holdout(train, partition, 0.2, seed: 9);
        var (again, testsAgain) = DeviceTestSplit.Holdout(train, partition, 0.2, seed: 9);

        // Assert: disjoint, together the device's shard, about a fifth held out, deterministic.
        for (int d = 0; d < 4; d++)
        {
            Assert.Empty(training[d].Intersect(tests.Rows[d]));
            Assert.Equal(partition[d], training[d].Concat(tests.Rows[d]).Order());
            Assert.InRange(tests.Rows[d].Length, 8, 35);
        }
        Assert.Equal(training, again);
        Assert.Equal(tests.Rows, testsAgain.Rows);
        Assert.False(tests.Natural);
    }

    [Fact]
    public void The_evaluated_sample_is_all_devices_or_the_same_seeded_subset()
    {
        Assert.Equal([0L, 1, 2, 3, 4], DeviceTestSplit.Evaluated(5, 0, 1));
        Assert.Equal([0L, 1, 2, 3, 4], DeviceTestSplit.Evaluated(5, 9, 1));
        var sample = DeviceTestSplit.Evaluated(1000, 50, 3);
        Assert.Equal(50, sample.Distinct().Count());
        Assert.Equal(sample, DeviceTestSplit.Evaluated(1000, 50, 3));
        Assert.Equal(sample.Order(), sample);
    }

    [Theory]
    // NumPy's documented example: np.percentile([[10, 7, 4], [3, 2, 1]], 50) == 3.5 (linear interpolation).
    [InlineData(new double[] { 1, 2, 3, 4, 7, 10 }, 0.5, 3.5)]
    // np.percentile([1, 2, 3, 4], 10) == 1.3; np.percentile([0.5], 10) == 0.5; np.percentile([0, 1], 10) == 0.1.
    [InlineData(new double[] { 1, 2, 3, 4 }, 0.1, 1.3)]
    [InlineData(new double[] { 0.5 }, 0.1, 0.5)]
    [InlineData(new double[] { 0, 1 }, 0.1, 0.1)]
    public void The_percentile_is_numpys_linear_one(double[] sorted, double q, double expected)
        => Assert.Equal(expected, DeviceEvaluationStage.Percentile(sorted, q), precision: 12);

    [Fact]
    public async Task An_evaluation_round_reports_mean_p10_and_worst_over_devices_and_other_rounds_report_empty_cells()
    {
        // Prepare: device 0 gets 3 of 4 right, device 1 none of 1, device 2 has no test records, device 3 all of 2.
        var source = Data(null, 10);
        var tests = new DeviceTests(source, [[0, 1, 2, 3], [4], [], [5, 6]], Natural: false);
        bool[] right = [true, true, false, true, false, false, false, false, false, false];
        right[5] = right[6] = true;
        int[]? asked = null;
        var stage = new DeviceEvaluationStage((_, rows) =>
        {
            asked = rows;
            return Task.FromResult(rows.Select(r => right[r]).ToArray());
        }, tests, [0, 1, 2, 3], every: 2, lastRound: 5);
        RoundResults Round(int number) => new(new RoundContext(number, 1, 4, 2, number - 1, new ServerState()), [0f], [], []) { NextWeights = [0f] };
        var evaluated = Round(2);
        var skipped = Round(3);

        // Execute
        await stage.RunAsync(evaluated, CancellationToken.None);
        await stage.RunAsync(skipped, CancellationToken.None);

        // Assert: one pass over every device's rows; accuracies 0.75, 0, 1 (device 2 left out).
        Assert.Equal([0, 1, 2, 3, 4, 5, 6], asked!);
        Assert.Equal([(0L, 4, 0.75), (1L, 1, 0.0), (3L, 2, 1.0)], evaluated.DeviceAccuracies!.Select(a => (a.Device, a.Examples, a.Accuracy)));
        Assert.Equal(1.75 / 3, Metric(evaluated, DeviceEvaluationStage.MeanMetric)!.Value, precision: 12);
        Assert.Equal(0.15, Metric(evaluated, DeviceEvaluationStage.P10Metric)!.Value, precision: 12); // 0 + 0.2 * (0.75 - 0)
        Assert.Equal(0.0, Metric(evaluated, DeviceEvaluationStage.MinMetric));
        Assert.Null(skipped.DeviceAccuracies);
        Assert.Equal(3, skipped.Metrics.Count(m => m.Value is null));
    }

    private static double? Metric(RoundResults round, string name) => round.Metrics.Single(m => m.Name == name).Value;

    [Fact]
    public async Task Personalization_fine_tunes_every_evaluated_devices_copy_and_reports_its_distribution()
    {
        // Prepare: devices 4 and 7 were evaluated this round; fine-tuning adds the device id to every weight, and a
        // copy's accuracy is its first weight / 10 (so 0.4 and 0.7: the stage must keep each device with its own copy).
        var round = new RoundResults(new RoundContext(6, 1, 8, 2, 5, new ServerState()), [0f], [], [])
        {
            NextWeights = [0f, 1f],
            DeviceAccuracies = [new DeviceAccuracy(4, 10, 0.5), new DeviceAccuracy(7, 20, 0.25)],
        };
        (int Round, long[] Devices)? asked = null;
        var stage = new PersonalizationStage((weights, number, devices) =>
        {
            asked = (number, devices.ToArray());
            return Task.FromResult(devices.Select(d => weights.Select(w => w + d).ToArray()).ToArray());
        }, (weights, device) => Task.FromResult(weights[0] / 10.0));
        var notEvaluated = new RoundResults(new RoundContext(7, 1, 8, 2, 6, new ServerState()), [0f], [], []) { NextWeights = [0f] };

        // Execute
        await stage.RunAsync(round, CancellationToken.None);
        await stage.RunAsync(notEvaluated, CancellationToken.None);

        // Assert
        Assert.Equal(6, asked!.Value.Round);
        Assert.Equal([4L, 7], asked.Value.Devices);
        Assert.Equal([(4L, 0.5, 0.4), (7L, 0.25, 0.7)], round.DeviceAccuracies!.Select(a => (a.Device, a.Accuracy, Math.Round(a.Personalized!.Value, 6))));
        Assert.Equal(0.55, Metric(round, "personalized_accuracy_mean")!.Value, precision: 6);
        Assert.Equal(0.43, Metric(round, "personalized_accuracy_p10")!.Value, precision: 6);
        Assert.Equal(0.4, Metric(round, "personalized_accuracy_min")!.Value, precision: 6);
        Assert.Null(Metric(notEvaluated, "personalized_accuracy_mean"));
    }
}
