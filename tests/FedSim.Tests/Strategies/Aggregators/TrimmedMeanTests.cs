using FedSim.Strategies;
using FedSim.Strategies.Aggregators;
using static FedSim.Tests.Strategies.Aggregators.AggregatorTestKit;

namespace FedSim.Tests.Strategies.Aggregators;

public sealed class TrimmedMeanTests
{
    [Fact]
    public void Trimmed_mean_matches_the_ByzFL_docstring_example()
    {
        // Prepare: LPD-EPFL/byzfl, byzfl/aggregators/aggregators.py, class TrMean: TrMean(1) on
        // [[1,2,3],[4,5,6],[7,8,9]] = [4, 5, 6]. ByzFL's parameter is the count f trimmed per side; here beta is
        // the fraction per side, so TrMean(f = 1) with n = 3 is beta = 1/3 (⌊3 · 1/3⌋ = 1).
        var input = Input(ByzFLVectors);

        // Execute
        var result = new TrimmedMeanAggregator(1.0 / 3).Aggregate(input);

        // Assert
        AssertClose([4, 5, 6], result.Update);
        Assert.Equal(1, result.Metrics[TrimmedMeanAggregator.TrimmedMetric]);
    }

    [Fact]
    public void Trimmed_mean_drops_the_largest_and_smallest_per_coordinate()
    {
        // Prepare: n = 5, beta = 0.2 → ⌊0.2 · 5⌋ = 1 value dropped from each side.
        //   coordinate 0: 2, 8, −3, 5, 100 sorted −3, 2, 5, 8, 100 → (2 + 5 + 8)/3 = 5
        //   coordinate 1: 0, 0, 0, 1, −50 sorted −50, 0, 0, 0, 1 → (0 + 0 + 0)/3 = 0
        var input = Input([2f, 0f], [8f, 0f], [-3f, 0f], [5f, 1f], [100f, -50f]);

        // Execute
        var result = new TrimmedMeanAggregator(0.2).Aggregate(input);

        // Assert
        AssertClose([5, 0], result.Update);
        Assert.Equal(5, result.Used.Count);
    }

    [Fact]
    public void Trimmed_mean_with_beta_zero_is_the_plain_mean()
    {
        // Prepare: (1 + 2 + 6)/3 = 3, unweighted even though the example counts differ.
        var input = Input([new DeviceResult(0, [1f], 1), new DeviceResult(1, [2f], 50), new DeviceResult(2, [6f], 100)]);

        // Execute
        var result = new TrimmedMeanAggregator(0).Aggregate(input);

        // Assert
        AssertClose([3], result.Update);
    }

    [Fact]
    public void Trimmed_mean_trims_beta_of_the_updates_that_arrived()
    {
        // Prepare: beta = 0.2 planned for 10 updates trims 2 per side; after dropouts 4 arrive and ⌊0.8⌋ = 0.
        var input = Input([1f], [2f], [3f], [10f]);

        // Execute
        var result = new TrimmedMeanAggregator(0.2).Aggregate(input);

        // Assert: nothing trimmed, the plain mean 16/4 = 4, and the metric says so.
        AssertClose([4], result.Update);
        Assert.Equal(0, result.Metrics[TrimmedMeanAggregator.TrimmedMetric]);
    }

    [Fact]
    public void Trim_count_survives_rounding_just_below_an_integer()
    {
        // 0.35 × 180 is 62.99999999999999 in doubles; ⌊β·n⌋ must still be 63. β a hair below 0.5 never trims everything.
        Assert.Equal(63, TrimmedMeanAggregator.TrimCount(0.35, 180));
        Assert.Equal(0, TrimmedMeanAggregator.TrimCount(0.4999999999999, 2));
    }

    [Fact]
    public void Trimmed_mean_asks_for_a_larger_beta_when_it_trims_fewer_than_f()
    {
        // Prepare: 10 updates per round, f = 2 expected Byzantine; beta 0.1 trims only 1 per side.
        var options = new TrimmedMeanOptions { Beta = 0.1 };

        // Execute
        var findings = options.Check("strategy.aggregator", cohort: 10, assumedByzantine: 2).ToList();

        // Assert
        var finding = Assert.Single(findings);
        Assert.Equal("strategy.aggregator.beta", finding.Path);
        Assert.Contains("trimmed mean must trim at least f = 2 per side", finding.Message);
        Assert.Contains("raise beta to ≥ 0.2", finding.Message);
        Assert.Empty(new TrimmedMeanOptions { Beta = 0.2 }.Check("strategy.aggregator", 10, 2));
    }

    [Fact]
    public void Trimmed_mean_cannot_tolerate_half_the_cohort()
    {
        // f = 5 of 10 would need beta ≥ 0.5, outside [0, 0.5): the fix is more devices, not a larger beta.
        var finding = Assert.Single(new TrimmedMeanOptions { Beta = 0.4 }.Check("strategy.aggregator", 10, 5));

        Assert.Equal("training.devices_per_round", finding.Path);
        Assert.Contains("raise training.devices_per_round to ≥ 11", finding.Message);
    }

    [Fact]
    public void Trimmed_mean_rejects_beta_outside_its_range()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new TrimmedMeanAggregator(0.5));
        Assert.Throws<ArgumentOutOfRangeException>(() => new TrimmedMeanAggregator(-0.1));
    }
}
