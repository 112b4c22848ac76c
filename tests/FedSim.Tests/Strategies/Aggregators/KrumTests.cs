using FedSim.Strategies;
using FedSim.Strategies.Aggregators;
using static FedSim.Tests.Strategies.Aggregators.AggregatorTestKit;

namespace FedSim.Tests.Strategies.Aggregators;

public sealed class KrumTests
{
    // Five 2-D updates; v4 is far from the rest. Squared distances:
    //   d01 = 1   d02 = 4   d03 = 2   d04 = 200
    //   d12 = 5   d13 = 1   d14 = 181
    //   d23 = 2   d24 = 164
    //   d34 = 162
    // With f = 1, Blanchard et al.'s score sums the n − f − 2 = 2 smallest distances to the others:
    //   s0 = 1 + 2 = 3,  s1 = 1 + 1 = 2,  s2 = 2 + 4 = 6,  s3 = 1 + 2 = 3,  s4 = 162 + 164 = 326.
    // (With ByzFL's n − f − 1 = 3 neighbours it would be s0 = 7, s1 = 7, s3 = 5 and v3 would win instead.)
    internal static readonly float[][] FivePoints = [[0f, 0f], [1f, 0f], [0f, 2f], [1f, 1f], [10f, 10f]];

    [Fact]
    public void Krum_scores_sum_the_distances_to_the_n_minus_f_minus_2_nearest_others()
    {
        var scores = KrumAggregator.Scores(FivePoints, f: 1);

        Assert.Equal([3.0, 2.0, 6.0, 3.0, 326.0], scores);
    }

    [Fact]
    public void Krum_picks_the_update_closest_to_its_neighbours()
    {
        // Prepare: devices 10..14 carry v0..v4; v1 has the lowest score (2).
        var input = Input(FivePoints.Select((d, i) => new DeviceResult(10 + i, d, 1)).ToArray());

        // Execute
        var result = new KrumAggregator(f: 1).Aggregate(input);

        // Assert
        AssertClose([1, 0], result.Update);
        Assert.Equal([11L], result.Used);
        Assert.Equal(11, result.Metrics[KrumAggregator.SelectedMetric]);
        Assert.Equal(1, result.Metrics[KrumAggregator.FMetric]);
        Assert.Equal(0, result.Metrics[KrumAggregator.SkippedMetric]);
    }

    [Fact]
    public void Krum_matches_the_ByzFL_docstring_example()
    {
        // Prepare: LPD-EPFL/byzfl, byzfl/aggregators/aggregators.py, class Krum: Krum(1) on [[1,2,3],[4,5,6],[7,8,9]]
        // returns [1, 2, 3]. n = 3 is below n ≥ 2f + 3, so FedSim lowers f to ⌊(3 − 3)/2⌋ = 0 (1 neighbour; ByzFL's
        // n − f − 1 is also 1). Each vector's nearest other is 27 away (3² · 3), all scores tie, and both pick the first.
        var input = Input(ByzFLVectors);

        // Execute
        var result = new KrumAggregator(f: 1).Aggregate(input);

        // Assert
        AssertClose([1, 2, 3], result.Update);
        Assert.Equal(0, result.Metrics[KrumAggregator.FMetric]);
    }

    [Fact]
    public void Krum_lowers_f_to_what_the_updates_that_arrived_can_tolerate()
    {
        // Prepare: f = 2 needs 7 updates; dropouts left 5, which tolerate ⌊(5 − 3)/2⌋ = 1 (the FivePoints case).
        var input = Input(FivePoints);

        // Execute
        var result = new KrumAggregator(f: 2).Aggregate(input);

        // Assert: the same choice as f = 1 above, and the metric says which f was applied.
        Assert.Equal([1L], result.Used);
        Assert.Equal(1, result.Metrics[KrumAggregator.FMetric]);
    }

    [Fact]
    public void Krum_adds_nothing_when_fewer_than_three_updates_arrive()
    {
        var result = new KrumAggregator(f: 0).Aggregate(Input([1f], [2f]));

        Assert.Null(result.Update);
        Assert.Empty(result.Used);
        Assert.Equal(1, result.Metrics[KrumAggregator.SkippedMetric]);
    }

    [Fact]
    public void Krum_takes_f_from_the_scenario_unless_set()
    {
        // Prepare: nine updates tolerate f up to 3; the metric shows the f each configuration applied.
        var input = Input(Enumerable.Range(0, 9).Select(i => new[] { (float)i, (float)(i * i % 5) }).ToArray());

        // Execute
        var fromScenario = new KrumOptions().Create(assumedByzantine: 2).Aggregate(input);
        var configured = new KrumOptions { F = 3 }.Create(assumedByzantine: 2).Aggregate(input);

        // Assert
        Assert.Equal(2, fromScenario.Metrics[KrumAggregator.FMetric]);
        Assert.Equal(3, configured.Metrics[KrumAggregator.FMetric]);
    }

    [Fact]
    public void Krum_validation_requires_n_at_least_2f_plus_3()
    {
        // Prepare / Execute: f = 2 expected Byzantine clients need n ≥ 7.
        var tooFew = new KrumOptions().Check("strategy.aggregator", cohort: 6, assumedByzantine: 2).ToList();
        var enough = new KrumOptions().Check("strategy.aggregator", cohort: 7, assumedByzantine: 2).ToList();
        var explicitF = new KrumOptions { F = 3 }.Check("strategy.aggregator", cohort: 7, assumedByzantine: 0).ToList();

        // Assert
        var finding = Assert.Single(tooFew);
        Assert.Equal("training.devices_per_round", finding.Path);
        Assert.Contains("krum needs n ≥ 2f + 3", finding.Message);
        Assert.Contains("n = 6", finding.Message);
        Assert.Contains("raise training.devices_per_round to ≥ 7", finding.Message);
        Assert.Contains("f ≤ 1", finding.Message);
        Assert.Empty(enough);
        var configured = Assert.Single(explicitF);
        Assert.Equal("strategy.aggregator.f", configured.Path);
        Assert.Contains("lower strategy.aggregator.f to ≤ 2", configured.Message);
    }
}
