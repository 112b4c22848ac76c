using FedSim.Strategies.Aggregators;
using static FedSim.Tests.Strategies.Aggregators.AggregatorTestKit;

namespace FedSim.Tests.Strategies.Aggregators;

public sealed class MultiKrumTests
{
    [Fact]
    public void Multi_krum_averages_the_m_lowest_scores()
    {
        // Prepare: KrumTests.FivePoints with f = 1 score s = [3, 2, 6, 3, 326]; the default m = n − f = 4 keeps
        // v1 (2), v0 (3), v3 (3), v2 (6): mean of (0,0), (1,0), (0,2), (1,1) = (2/4, 3/4) = (0.5, 0.75).
        var input = Input(KrumTests.FivePoints);

        // Execute
        var result = new MultiKrumAggregator(f: 1).Aggregate(input);

        // Assert
        AssertClose([0.5, 0.75], result.Update);
        Assert.Equal([0L, 1L, 2L, 3L], result.Used);
        Assert.Equal(4, result.Metrics[MultiKrumAggregator.MMetric]);
    }

    [Fact]
    public void Multi_krum_breaks_score_ties_by_device_order()
    {
        // Prepare: m = 2 keeps v1 (score 2) and one of v0, v3 (both 3): the lower device, v0.
        var input = Input(KrumTests.FivePoints);

        // Execute
        var result = new MultiKrumAggregator(f: 1, m: 2).Aggregate(input);

        // Assert: mean of (0,0) and (1,0).
        AssertClose([0.5, 0], result.Update);
        Assert.Equal([0L, 1L], result.Used);
    }

    [Fact]
    public void Multi_krum_with_m_1_is_krum()
    {
        var input = Input(KrumTests.FivePoints);

        var multi = new MultiKrumAggregator(f: 1, m: 1).Aggregate(input);
        var krum = new KrumAggregator(f: 1).Aggregate(input);

        Assert.Equal(krum.Update, multi.Update);
        Assert.Equal(krum.Used, multi.Used);
    }

    [Fact]
    public void Multi_krum_matches_the_ByzFL_docstring_example()
    {
        // Prepare: LPD-EPFL/byzfl, byzfl/aggregators/aggregators.py, class MultiKrum: MultiKrum(1) on
        // [[1,2,3],[4,5,6],[7,8,9]] = [2.5, 3.5, 4.5], the mean of the first two (ByzFL averages n − f = 2).
        // n = 3 is below n ≥ 2f + 3, so FedSim lowers f to 0 for such a round; ByzFL's m = n − f = 2 is asked for
        // explicitly. All scores tie (each vector's nearest other is 27 away) and ties go to the first vectors.
        var input = Input(ByzFLVectors);

        // Execute
        var result = new MultiKrumAggregator(f: 1, m: 2).Aggregate(input);

        // Assert
        AssertClose([2.5, 3.5, 4.5], result.Update);
    }

    [Fact]
    public void Multi_krum_shrinks_m_and_f_to_the_updates_that_arrived()
    {
        // Prepare: planned f = 2, m = 5; five updates tolerate f = 1 and trust at most n − f = 4.
        var result = new MultiKrumAggregator(f: 2, m: 5).Aggregate(Input(KrumTests.FivePoints));

        Assert.Equal(1, result.Metrics[MultiKrumAggregator.FMetric]);
        Assert.Equal(4, result.Metrics[MultiKrumAggregator.MMetric]);
        AssertClose([0.5, 0.75], result.Update);
    }

    [Fact]
    public void Multi_krum_adds_nothing_when_fewer_than_three_updates_arrive()
    {
        var result = new MultiKrumAggregator(f: 0).Aggregate(Input([1f], [3f]));

        Assert.Null(result.Update);
        Assert.Equal(1, result.Metrics[MultiKrumAggregator.SkippedMetric]);
    }

    [Fact]
    public void Multi_krum_validation_checks_n_and_m()
    {
        // Prepare / Execute: f = 2 needs n ≥ 7; with n = 10 at most n − f = 8 updates can be averaged.
        var tooFew = new MultiKrumOptions().Check("strategy.aggregator", cohort: 6, assumedByzantine: 2).ToList();
        var mTooLarge = new MultiKrumOptions { M = 9 }.Check("strategy.aggregator", cohort: 10, assumedByzantine: 2).ToList();
        var fine = new MultiKrumOptions { M = 8 }.Check("strategy.aggregator", cohort: 10, assumedByzantine: 2).ToList();

        // Assert
        Assert.Contains("multi-krum needs n ≥ 2f + 3", Assert.Single(tooFew).Message);
        var m = Assert.Single(mTooLarge);
        Assert.Equal("strategy.aggregator.m", m.Path);
        Assert.Contains("lower strategy.aggregator.m to ≤ 8", m.Message);
        Assert.Empty(fine);
    }
}
