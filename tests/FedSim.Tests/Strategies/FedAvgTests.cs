using FedSim.Strategies;

namespace FedSim.Tests.Strategies;

public sealed class FedAvgTests
{
    [Fact]
    public void FedAvg_weights_updates_by_example_count()
    {
        // Prepare: two clients, 1 and 3 examples; the mean must lean 3:1 towards the second.
        var global = new float[] { 1f, -2f, 0.5f };
        var results = new List<ClientResult>
        {
            new(0, [4f, 0f, -1f], 1),
            new(1, [0f, 8f, 1f], 3),
        };

        // Execute
        var next = new FedAvg().Aggregate(new AggregationInput(1, global, results, []));

        // Assert: global + (1*d0 + 3*d1) / 4, exactly representable in float.
        Assert.Equal(new[] { 1f + 1f, -2f + 6f, 0.5f + 0.5f }, next);
    }

    [Fact]
    public void FedAvg_server_learning_rate_scales_the_mean_update()
    {
        var next = new FedAvg(0.5).Aggregate(new AggregationInput(1, [0f, 0f], [new(0, [2f, -4f], 5)], []));

        Assert.Equal(new[] { 1f, -2f }, next);
    }

    [Fact]
    public void FedAvg_keeps_the_model_when_every_client_failed()
    {
        var global = new float[] { 3f, 4f };

        var next = new FedAvg().Aggregate(new AggregationInput(2, global, [], [new ClientFailure(7, "timeout")]));

        Assert.Equal(global, next);
        Assert.NotSame(global, next);
    }

    [Fact]
    public void FedAvg_does_not_modify_its_inputs()
    {
        var global = new float[] { 1f };
        var delta = new float[] { 2f };

        new FedAvg().Aggregate(new AggregationInput(1, global, [new(0, delta, 1)], []));

        Assert.Equal(1f, global[0]);
        Assert.Equal(2f, delta[0]);
    }

    [Fact]
    public void Weighted_mean_rejects_mismatched_lengths_and_zero_weight()
    {
        Assert.Throws<ArgumentException>(() => AggregationMath.WeightedMean([[1f], [1f, 2f]], [1, 1]));
        Assert.Throws<ArgumentException>(() => AggregationMath.WeightedMean([[1f]], [0]));
        Assert.Throws<ArgumentException>(() => AggregationMath.WeightedMean([[1f]], [double.NaN]));
    }

    [Fact]
    public void Weighted_mean_of_equal_weights_is_the_plain_mean()
    {
        var mean = AggregationMath.WeightedMean([[1f, 2f], [3f, 6f]], [2, 2]);

        Assert.Equal(new[] { 2.0, 4.0 }, mean);
    }

    [Fact]
    public void Strategy_factory_names_known_strategies_for_an_unknown_one()
    {
        var ex = Assert.Throws<ArgumentException>(() => StrategyFactory.Create(new Contracts.StrategySpec { Kind = "fedmagic" }));

        Assert.Contains("fedavg", ex.Message);
    }
}
