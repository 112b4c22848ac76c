using FedSim.Strategies;
using FedSim.Strategies.Aggregators;
using static FedSim.Tests.Strategies.Aggregators.AggregatorTestKit;

namespace FedSim.Tests.Strategies.Aggregators;

public sealed class NormBoundTests
{
    [Fact]
    public void Norm_bound_clips_like_ByzFL_Clipping_then_averages()
    {
        // Prepare: LPD-EPFL/byzfl, byzfl/aggregators/preaggregators.py, class Clipping (also tests/ of that repo):
        // Clipping(2.0) on [[1,2,3],[4,5,6],[7,8,9]] gives the rows
        //   [0.53452248, 1.06904497, 1.60356745], [0.91168461, 1.13960576, 1.36752692], [1.00514142, 1.14873305, 1.29232469].
        // With one example each, norm-bound's result is the mean of those published rows.
        double[][] clipped =
        [
            [0.53452248, 1.06904497, 1.60356745],
            [0.91168461, 1.13960576, 1.36752692],
            [1.00514142, 1.14873305, 1.29232469],
        ];
        var expected = Enumerable.Range(0, 3).Select(i => clipped.Average(row => row[i])).ToArray();

        // Execute
        var result = new NormBoundAggregator(2.0).Aggregate(Input(ByzFLVectors));

        // Assert
        AssertClose(expected, result.Update, 1e-6);
        Assert.Equal(3, result.Metrics[NormBoundAggregator.ClippedMetric]);
    }

    [Fact]
    public void Norm_bound_scales_long_updates_to_the_bound_and_weights_by_examples()
    {
        // Prepare: M = 5. (3, 4) has norm 5 and passes; (0, 10) has norm 10 and becomes (0, 5).
        // Example weights 1 and 3: ((3·1 + 0·3)/4, (4·1 + 5·3)/4) = (0.75, 4.75).
        var input = Input([new DeviceResult(0, [3f, 4f], 1), new DeviceResult(1, [0f, 10f], 3)]);

        // Execute
        var result = new NormBoundAggregator(5).Aggregate(input);

        // Assert
        AssertClose([0.75, 4.75], result.Update);
        Assert.Equal(1, result.Metrics[NormBoundAggregator.ClippedMetric]);
        Assert.Equal([0L, 1L], result.Used);
    }

    [Fact]
    public void Norm_bound_takes_the_boost_out_of_a_model_replacement_update()
    {
        // Prepare: nine honest updates (0.1, 0) and one backdoor update boosted ×100 to (0, 10); M = 0.5.
        var results = Enumerable.Range(0, 9).Select(i => new DeviceResult(i, [0.1f, 0f], 1))
            .Append(new DeviceResult(9, [0f, 10f], 1)).ToArray();

        // Execute
        var plain = new MeanAggregator().Aggregate(Input(results)).Update!;
        var bounded = new NormBoundAggregator(0.5).Aggregate(Input(results)).Update!;

        // Assert: under the mean the attacker moves y by 10/10 = 1; bounded it moves y by 0.5/10 = 0.05.
        Assert.Equal(1.0, plain[1], 6);
        Assert.Equal(0.05, bounded[1], 6);
        Assert.Equal(0.09, bounded[0], 6);
    }

    [Fact]
    public void Norm_bound_rejects_a_bound_that_is_not_positive()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new NormBoundAggregator(0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new NormBoundAggregator(double.PositiveInfinity));
    }
}
