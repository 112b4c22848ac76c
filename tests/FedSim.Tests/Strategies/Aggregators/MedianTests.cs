using FedSim.Strategies.Aggregators;
using static FedSim.Tests.Strategies.Aggregators.AggregatorTestKit;

namespace FedSim.Tests.Strategies.Aggregators;

public sealed class MedianTests
{
    [Fact]
    public void Median_matches_the_ByzFL_docstring_example()
    {
        // Prepare: LPD-EPFL/byzfl, byzfl/aggregators/aggregators.py, class Median:
        // Median()([[1,2,3],[4,5,6],[7,8,9]]) = [4, 5, 6].
        var input = Input(ByzFLVectors);

        // Execute
        var result = new MedianAggregator().Aggregate(input);

        // Assert
        AssertClose([4, 5, 6], result.Update);
        Assert.Equal([0L, 1L, 2L], result.Used);
    }

    [Fact]
    public void Median_of_an_even_count_is_the_mean_of_the_two_middle_values()
    {
        // Prepare: coordinate 0 sorted is 1, 3, 5, 100 → (3 + 5)/2 = 4;
        //          coordinate 1 sorted is −2, 0, 4, 10 → (0 + 4)/2 = 2 (numpy.median's convention).
        var input = Input([1f, -2f], [3f, 10f], [100f, 0f], [5f, 4f]);

        // Execute
        var result = new MedianAggregator().Aggregate(input);

        // Assert
        AssertClose([4, 2], result.Update);
    }

    [Fact]
    public void Median_ignores_a_minority_of_huge_updates()
    {
        // Prepare: three honest updates near 1 and two attackers at ±1e6; the middle of five is honest.
        var input = Input([1f], [1.5f], [0.5f], [1e6f], [-1e6f]);

        // Execute
        var result = new MedianAggregator().Aggregate(input);

        // Assert: sorted −1e6, 0.5, 1, 1.5, 1e6 → 1.
        AssertClose([1], result.Update);
    }

    [Fact]
    public void Median_needs_an_honest_majority_at_validation()
    {
        // Prepare / Execute: f = 2 Byzantine clients per round need n ≥ 2·2 + 1 = 5.
        var tooFew = new MedianOptions().Check("strategy.aggregator", cohort: 4, assumedByzantine: 2).ToList();
        var enough = new MedianOptions().Check("strategy.aggregator", cohort: 5, assumedByzantine: 2).ToList();

        // Assert
        var finding = Assert.Single(tooFew);
        Assert.Equal("training.devices_per_round", finding.Path);
        Assert.Contains("n ≥ 5", finding.Message);
        Assert.Contains("raise training.devices_per_round", finding.Message);
        Assert.Empty(enough);
    }
}
