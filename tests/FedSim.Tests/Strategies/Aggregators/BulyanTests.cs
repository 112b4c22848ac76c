using FedSim.Strategies;
using FedSim.Strategies.Aggregators;
using static FedSim.Tests.Strategies.Aggregators.AggregatorTestKit;

namespace FedSim.Tests.Strategies.Aggregators;

public sealed class BulyanTests
{
    [Fact]
    public void Bulyan_selects_by_iterated_krum_then_averages_the_values_closest_to_the_median()
    {
        // Prepare: n = 7, f = 1 → θ = n − 2f = 5 picks, β = θ − 2f = 3 values kept per coordinate.
        // Devices 0 and 1 are far off: v0 = (10, 0), v1 = (0, −9); honest v2..v6 = (0,0), (1,0), (0,1), (1,1), (2,2).
        // Iterated Krum (score = sum of the |R| − f − 2 smallest squared distances within the remaining set R):
        //   R = {0..6}, 4 neighbours: s = [331, 364, 12, 9, 9, 6, 20]        → pick v5 (6)
        //   R = {0,1,2,3,4,6}, 3:     s = [249, 263, 10, 8, 8, 18]          → pick v3 (8; tie with v4, lower device)
        //   R = {0,1,2,4,6}, 2:       s = [168, 181, 9, 6, 13]              → pick v4 (6)
        //   R = {0,1,2,6}, 1:         s = [68, 81, 8, 8]                    → pick v2 (8; tie with v6, lower device)
        //   R = {0,1,6}, 0:           s = [0, 0, 0]                         → pick v0 (every score ties)
        // Selected {0, 2, 3, 4, 5}. Coordinate-wise stage:
        //   x: 10, 0, 1, 0, 1 → median 1, distances 9, 1, 0, 1, 0 → keep 1, 1, 0 (the two 0s tie; either gives 0) → 2/3
        //   y:  0, 0, 0, 1, 1 → median 0, distances 0, 0, 0, 1, 1 → keep 0, 0, 0 → 0
        // (Without recomputing scores between picks the selection would be the five honest updates and y = 2/3.)
        var input = Input([10f, 0f], [0f, -9f], [0f, 0f], [1f, 0f], [0f, 1f], [1f, 1f], [2f, 2f]);

        // Execute
        var result = new BulyanAggregator(f: 1).Aggregate(input);

        // Assert
        AssertClose([2.0 / 3, 0], result.Update);
        Assert.Equal([0L, 2L, 3L, 4L, 5L], result.Used);
        Assert.Equal(1, result.Metrics[BulyanAggregator.FMetric]);
    }

    [Fact]
    public void Closest_to_reference_stage_matches_Flower_n_closest_weights()
    {
        // Prepare: adap/flower, src/py/flwr/server/strategy/aggregate_test.py, test_aggregate_n_closest_weights_mean
        // (Flower's Bulyan uses _aggregate_n_closest_weights for this stage). Its two layers flattened:
        // reference [1, 2 | 1, 2, 3, 4], beta_closest = 2, expected [1.05, 2.05 | 0.95, 2.05, 3.05, 4.05].
        float[][] vectors =
        [
            [1f, 2f, 1f, 2f, 3f, 4f],
            [1.1f, 2.1f, 1.1f, 2.1f, 3.1f, 4.1f],
            [1.2f, 2.2f, 1.2f, 2.2f, 3.2f, 4.2f],
            [1.3f, 2.3f, 0.9f, 2.5f, 3.4f, 3.8f],
        ];

        // Execute
        var mean = BulyanAggregator.MeanOfClosest(vectors, [1, 2, 1, 2, 3, 4], count: 2);

        // Assert. In coordinate 2, 1.1 and 0.9 are equally far from 1 once stored as floats (1 ± 0.100000024), where
        // numpy's doubles put 0.9 a hair nearer; equal distances go to the smaller value, which gives Flower's 0.95.
        // (1.1f is 1.10000002384, hence the tolerance.)
        AssertClose([1.05, 2.05, 0.95, 2.05, 3.05, 4.05], mean, 1e-6);
    }

    [Fact]
    public void Closest_to_median_stage_matches_the_ByzFL_Meamed_docstring()
    {
        // Prepare: LPD-EPFL/byzfl, byzfl/aggregators/aggregators.py, class Meamed ("mean around median", Bulyan's
        // second stage): Meamed(1) on [[1,2,3],[4,5,6],[7,8,9]] averages the n − f = 2 values closest to the median
        // [4, 5, 6] = [2.5, 3.5, 4.5] (1 and 7 tie at distance 3; equal distances go to the smaller value, 1).
        var vectors = ByzFLVectors;

        // Execute
        var mean = BulyanAggregator.MeanOfClosest(vectors, MedianAggregator.CoordinateMedian(vectors), count: 2);

        // Assert
        AssertClose([2.5, 3.5, 4.5], mean);
    }

    [Fact]
    public void Bulyan_with_f_zero_is_the_unweighted_mean()
    {
        // θ = n and β = n: every update is selected and every value kept; (1 + 2 + 6)/3 = 3.
        var result = new BulyanAggregator(f: 0).Aggregate(Input([new DeviceResult(0, [1f], 10), new DeviceResult(1, [2f], 1), new DeviceResult(2, [6f], 1)]));

        AssertClose([3], result.Update);
    }

    [Fact]
    public void Bulyan_lowers_f_to_what_the_updates_that_arrived_can_tolerate()
    {
        // Prepare: f = 2 needs 11 updates; 7 arrived, which tolerate ⌊(7 − 3)/4⌋ = 1: the first test's round.
        var input = Input([10f, 0f], [0f, -9f], [0f, 0f], [1f, 0f], [0f, 1f], [1f, 1f], [2f, 2f]);

        // Execute
        var result = new BulyanAggregator(f: 2).Aggregate(input);

        // Assert
        Assert.Equal(1, result.Metrics[BulyanAggregator.FMetric]);
        AssertClose([2.0 / 3, 0], result.Update);
    }

    [Fact]
    public void Bulyan_adds_nothing_when_fewer_than_three_updates_arrive()
    {
        var result = new BulyanAggregator(f: 0).Aggregate(Input([1f], [3f]));

        Assert.Null(result.Update);
        Assert.Equal(1, result.Metrics[BulyanAggregator.SkippedMetric]);
    }

    [Fact]
    public void Bulyan_validation_requires_n_at_least_4f_plus_3()
    {
        var tooFew = new BulyanOptions().Check("strategy.aggregator", cohort: 10, assumedByzantine: 2).ToList();
        var enough = new BulyanOptions().Check("strategy.aggregator", cohort: 11, assumedByzantine: 2).ToList();

        var finding = Assert.Single(tooFew);
        Assert.Contains("bulyan needs n ≥ 4f + 3", finding.Message);
        Assert.Contains("raise training.devices_per_round to ≥ 11", finding.Message);
        Assert.Contains("f ≤ 1", finding.Message);
        Assert.Empty(enough);
    }
}
