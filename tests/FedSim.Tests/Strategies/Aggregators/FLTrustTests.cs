using FedSim.Strategies;
using FedSim.Strategies.Aggregators;
using static FedSim.Tests.Strategies.Aggregators.AggregatorTestKit;

namespace FedSim.Tests.Strategies.Aggregators;

public sealed class FLTrustTests
{
    // Server update g0 = (1, 0), ‖g0‖ = 1. Cao et al. 2021, Algorithm 2:
    //   g1 = (2, 0):  cos = 1,    TS = 1,   rescaled (1, 0)
    //   g2 = (3, 4):  cos = 3/5,  TS = 0.6, rescaled (3, 4)/5 = (0.6, 0.8)
    //   g3 = (−5, 0): cos = −1,   TS = 0
    //   g4 = (0, 7):  cos = 0,    TS = 0
    //   Σ TS = 1.6; aggregate = (1·(1, 0) + 0.6·(0.6, 0.8)) / 1.6 = (1.36/1.6, 0.48/1.6) = (0.85, 0.3).
    private static readonly DeviceResult[] Clients =
    [
        new(1, [2f, 0f], 10), new(2, [3f, 4f], 10), new(3, [-5f, 0f], 10), new(4, [0f, 7f], 10),
    ];

    [Fact]
    public void FLTrust_weights_updates_by_clipped_cosine_and_rescales_them_to_the_server_norm()
    {
        // Execute
        var result = new FLTrustAggregator().Aggregate(Input(Clients, serverUpdate: [1f, 0f]));

        // Assert
        AssertClose([0.85, 0.3], result.Update);
        Assert.Equal([1L, 2L], result.Used);
        Assert.Equal(2, result.Metrics[FLTrustAggregator.TrustedMetric]);
        Assert.Equal(0.4, result.Metrics[FLTrustAggregator.MeanTrustMetric], 12); // 1.6 / 4
    }

    [Fact]
    public void FLTrust_aggregate_takes_the_length_of_the_server_update()
    {
        // g0 = (2, 0): same trust, every rescaled update twice as long → (1.7, 0.6).
        var result = new FLTrustAggregator().Aggregate(Input(Clients, serverUpdate: [2f, 0f]));

        AssertClose([1.7, 0.6], result.Update);
    }

    [Fact]
    public void FLTrust_adds_nothing_when_no_update_is_trusted()
    {
        // Every client points away from (or across) the server's direction: all trust scores are 0.
        var result = new FLTrustAggregator().Aggregate(Input([new(1, [-1f, 0f], 1), new(2, [0f, 3f], 1)], serverUpdate: [1f, 0f]));

        Assert.Null(result.Update);
        Assert.Empty(result.Used);
        Assert.Equal(0, result.Metrics[FLTrustAggregator.TrustedMetric]);
    }

    [Fact]
    public void FLTrust_gives_no_trust_to_a_zero_update_or_when_the_server_did_not_move()
    {
        var zeroClient = new FLTrustAggregator().Aggregate(Input([new(1, [0f, 0f], 1), new(2, [1f, 1f], 1)], serverUpdate: [1f, 0f]));
        var zeroServer = new FLTrustAggregator().Aggregate(Input(Clients, serverUpdate: [0f, 0f]));

        Assert.Equal([2L], zeroClient.Used);
        Assert.Null(zeroServer.Update);
    }

    [Fact]
    public void FLTrust_without_a_server_update_is_a_clear_error()
    {
        var error = Assert.Throws<InvalidOperationException>(() => new FLTrustAggregator().Aggregate(Input(Clients)));

        Assert.Contains("fltrust needs the server's update on its root data", error.Message);
    }

    [Fact]
    public void FLTrust_asks_the_coordinator_for_its_root_dataset_size()
    {
        Assert.Equal(100, new FLTrustOptions().ServerRootSamples);
        Assert.Equal(250, new FLTrustOptions { RootSamples = 250 }.ServerRootSamples);
        Assert.Equal(0, new MedianOptions().ServerRootSamples);
    }
}
