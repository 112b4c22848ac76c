using FedSim.Scenario;
using FedSim.Strategies;
using FedSim.Strategies.Aggregators;
using FedSim.Strategies.Algorithms;
using FedSim.Strategies.ServerOptimizers;
using FedSim.Composition;

namespace FedSim.Tests.Strategies;

public sealed class FedAvgTests
{
    internal static RoundContext Context(int round = 1, ServerState? state = null, long population = 100)
        => new(round, 1, population, 10, round - 1, state ?? new ServerState());

    internal static AggregationInput Input(params DeviceResult[] results) => new(Context(), results, []);

    [Fact]
    public void FedAvg_weights_updates_by_example_count()
    {
        // Prepare: two clients, 1 and 3 examples; the mean must lean 3:1 towards the second.
        var global = new float[] { 1f, -2f, 0.5f };
        var input = Input(new(0, [4f, 0f, -1f], 1), new(1, [0f, 8f, 1f], 3));

        // Execute
        var update = new MeanAggregator().Aggregate(input).Update!;
        var next = new ServerSgd(1.0).Step(global, update, new ServerState());

        // Assert: global + (1*d0 + 3*d1) / 4, exactly representable in float.
        Assert.Equal(new[] { 1f + 1f, -2f + 6f, 0.5f + 0.5f }, next);
    }

    [Fact]
    public void FedAvg_server_learning_rate_scales_the_mean_update()
    {
        var algorithm = ScenarioComposition.Algorithm(new ScenarioSpec { Strategy = new FedAvgOptions { ServerLearningRate = 0.5 } }, 0);

        var update = algorithm.Aggregator.Aggregate(Input(new DeviceResult(0, [2f, -4f], 5))).Update!;
        var next = algorithm.ServerOptimizer.Step([0f, 0f], update, new ServerState());

        Assert.Equal(new[] { 1f, -2f }, next);
    }

    [Fact]
    public void Mean_gives_nothing_when_every_client_failed()
    {
        var result = new MeanAggregator().Aggregate(new AggregationInput(Context(), [], [new DeviceFailure(7, 1, "timeout")]));

        Assert.Null(result.Update);
        Assert.Empty(result.Used);
    }

    [Fact]
    public void Mean_reports_every_client_as_used_and_does_not_modify_its_inputs()
    {
        var delta = new float[] { 2f };

        var result = new MeanAggregator().Aggregate(Input(new DeviceResult(4, delta, 1), new DeviceResult(9, [4f], 1)));

        Assert.Equal([4L, 9L], result.Used);
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
}
