using FedSim.Privacy.SecureAggregation;
using static FedSim.Tests.Privacy.SecureAggregationTestRound;

namespace FedSim.Tests.Privacy;

public sealed class SecureAggregationProtocolTests
{
    private const int Length = 1_003; // not a multiple of the PRG's block or chunk

    private static SecAggParameters Complete(int n, int threshold, QuantizationRounding rounding = QuantizationRounding.Nearest)
        => SecAggParameters.Complete("exp-77/round-1", Length, n, clipRange: 1.0, threshold, rounding);

    private static HashSet<long> Pick(long[] cohort, params int[] positions) => positions.Select(i => cohort[i]).ToHashSet();

    [Theory]
    [InlineData(QuantizationRounding.Nearest)]
    [InlineData(QuantizationRounding.Stochastic)]
    public void Sum_equals_the_plain_sum_of_quantized_inputs_without_dropouts(QuantizationRounding rounding)
    {
        // Prepare
        var cohort = Cohort(8);
        var parameters = Complete(8, 5, rounding);

        // Execute
        var result = Run(parameters, cohort).Result;

        // Assert
        Assert.Equal(PlainQuantizedSum(parameters, cohort), result.QuantizedSum);
        Assert.Equal(cohort.Order(), result.Contributors);
        Assert.Empty(result.Dropped);
        var clippedSum = Enumerable.Range(0, Length).Select(j => cohort.Sum(u => Math.Clamp((double)UpdateOf(u, Length)[j], -1, 1))).ToArray();
        var bound = 8 * parameters.Quantizer.RoundTripErrorBound;
        Assert.All(Enumerable.Range(0, Length), j => Assert.True(Math.Abs(result.Sum[j] - clippedSum[j]) <= bound));
    }

    [Theory]
    // n = 9, t = 5: up to 4 may drop. Each row drops the most a stage allows.
    [InlineData("after advertising keys")]
    [InlineData("after sharing keys")]
    [InlineData("after sending the masked input")]
    public void Sum_is_exact_with_dropouts_below_the_threshold_at_a_stage(string when)
    {
        // Prepare
        var cohort = Cohort(9);
        var parameters = Complete(9, 5);
        var dropped = Pick(cohort, 0, 3, 4, 8);
        var dropouts = when switch
        {
            "after advertising keys" => new SecAggDropouts(BeforeKeySharing: dropped),
            "after sharing keys" => new SecAggDropouts(BeforeMaskedInput: dropped),
            _ => new SecAggDropouts(BeforeUnmasking: dropped),
        };
        // A client that sent its masked input is in the sum even if it then stops answering.
        var contributors = when == "after sending the masked input" ? cohort : cohort.Except(dropped).ToArray();

        // Execute
        var result = Run(parameters, cohort, dropouts).Result;

        // Assert
        Assert.Equal(PlainQuantizedSum(parameters, contributors), result.QuantizedSum);
        Assert.Equal(contributors.Order(), result.Contributors);
    }

    [Fact]
    public void Sum_is_exact_with_dropouts_at_every_stage_at_once()
    {
        // Prepare: 12 clients, t = 6; 1 + 2 + 2 + 1 drop, leaving 6 to unmask
        var cohort = Cohort(12);
        var parameters = Complete(12, 6);
        var dropouts = new SecAggDropouts(Pick(cohort, 0), Pick(cohort, 1, 2), Pick(cohort, 3, 4), Pick(cohort, 5));

        // Execute
        var result = Run(parameters, cohort, dropouts).Result;

        // Assert
        var contributors = cohort.Except(Pick(cohort, 0, 1, 2, 3, 4)).ToArray();
        Assert.Equal(PlainQuantizedSum(parameters, contributors), result.QuantizedSum);
        Assert.Equal(Pick(cohort, 1, 2, 3, 4).Order(), result.Dropped); // clients that advertised keys but sent no masked input
    }

    [Theory]
    [InlineData(SecAggStage.AdvertiseKeys)]
    [InlineData(SecAggStage.ShareKeys)]
    [InlineData(SecAggStage.MaskedInputCollection)]
    [InlineData(SecAggStage.Unmasking)]
    public void Too_many_dropouts_fail_the_round_at_that_stage(SecAggStage stage)
    {
        // Prepare: n = 9, t = 5; five drop, leaving four
        var cohort = Cohort(9);
        var parameters = Complete(9, 5);
        var dropped = Pick(cohort, 1, 2, 3, 5, 7);
        var dropouts = stage switch
        {
            SecAggStage.AdvertiseKeys => new SecAggDropouts(BeforeKeyAdvertisement: dropped),
            SecAggStage.ShareKeys => new SecAggDropouts(BeforeKeySharing: dropped),
            SecAggStage.MaskedInputCollection => new SecAggDropouts(BeforeMaskedInput: dropped),
            _ => new SecAggDropouts(BeforeUnmasking: dropped),
        };

        // Execute
        var e = Assert.Throws<SecureAggregationAbortedException>(() => Run(parameters, cohort, dropouts));

        // Assert
        Assert.Equal(stage, e.Stage);
        Assert.Equal((5, 4), (e.Required, e.Available));
        Assert.Contains("threshold is 5", e.Message);
    }

    [Fact]
    public void SecAgg_plus_sum_is_exact_with_dropouts_and_clients_talk_only_to_k_neighbours()
    {
        // Prepare: 40 clients, k = 8, t = 5 of 9 holders
        var cohort = Cohort(40);
        var parameters = SecAggParameters.Sparse("exp-77/round-1", Length, 40, 1.0, graphSeed: 5, neighbours: 8, threshold: 5);
        var dropouts = new SecAggDropouts(BeforeKeySharing: Pick(cohort, 0), BeforeMaskedInput: Pick(cohort, 10, 20), BeforeUnmasking: Pick(cohort, 30));
        var recorder = new Recorder();

        // Execute
        var result = Run(parameters, cohort, dropouts, recorder).Result;

        // Assert
        Assert.Equal(PlainQuantizedSum(parameters, cohort.Except(Pick(cohort, 0, 10, 20))), result.QuantizedSum);
        Assert.All(recorder.Up.Select(m => m.Message).OfType<SecAggShareBundle>(), b => Assert.Equal(8, b.Shares.Length));
        Assert.All(recorder.Down.Select(m => m.Message).OfType<SecAggKeyRoster>(), r => Assert.Equal(8, r.Neighbours.Length));
    }

    [Fact]
    public void SecAgg_plus_fails_when_one_neighbourhood_loses_too_many_even_if_the_cohort_is_large()
    {
        // Prepare: k = 4, t = 3 of 5 holders. Drop three of one client's four neighbours after key sharing:
        // 36 of 40 clients remain, but that client's secret has two holders left.
        var cohort = Cohort(40);
        var parameters = SecAggParameters.Sparse("exp-77/round-1", Length, 40, 1.0, graphSeed: 5, neighbours: 4, threshold: 3);
        var graph = NeighbourGraph.Build(cohort, 4, 5);
        long victim = cohort[0];
        var dropped = graph.NeighboursOf(victim).Take(3).ToHashSet();

        // Execute
        var e = Assert.Throws<SecureAggregationAbortedException>(() => Run(parameters, cohort, new SecAggDropouts(BeforeMaskedInput: dropped)));

        // Assert
        Assert.Equal(SecAggStage.MaskedInputCollection, e.Stage);
        Assert.Equal(3, e.Required);
        Assert.True(e.Available < 3);
    }

    [Fact]
    public void A_round_replays_bit_for_bit_from_its_seeds()
    {
        var cohort = Cohort(6);
        var parameters = Complete(6, 4, QuantizationRounding.Stochastic);
        var first = new Recorder();
        var second = new Recorder();

        Run(parameters, cohort, new SecAggDropouts(BeforeMaskedInput: Pick(cohort, 2)), first);
        Run(parameters, cohort, new SecAggDropouts(BeforeMaskedInput: Pick(cohort, 2)), second);

        var masked = (Recorder r) => r.Up.Select(m => m.Message).OfType<SecAggMaskedInput>().Select(m => m.MaskedVector).ToList();
        Assert.Equal(masked(first), masked(second));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void A_corrupted_share_fails_the_round_instead_of_returning_a_wrong_sum(bool selfMaskShare)
    {
        // Prepare: one survivor's revealed share is flipped by one bit
        var round = new ManualRound(Cohort(7), 4);
        round.AdvertiseAndShare();
        round.Mask(dropAfterSharing: round.Cohort[6]);
        var responses = round.Unmask();
        var victim = responses.OrderBy(r => r.From).First();
        var shares = selfMaskShare ? victim.SelfMaskShares : victim.MaskingKeyShares;
        var flipped = (byte[])shares[0].Share.Clone();
        flipped[^1] ^= 1;
        shares[0] = shares[0] with { Share = flipped };

        // Execute
        foreach (var r in responses) round.Server.Receive(r);
        var e = Assert.Throws<SecureAggregationAbortedException>(round.Server.Finish);

        // Assert
        Assert.Equal(SecAggStage.Unmasking, e.Stage);
        Assert.Contains("does not match what it committed to", e.Message);
    }

    [Fact]
    public void A_client_refuses_to_unmask_for_fewer_than_t_survivors()
    {
        // Prepare: a misbehaving server claims that only two clients survived
        var round = new ManualRound(Cohort(7), 4);
        round.AdvertiseAndShare();
        round.Mask();
        var client = round.Clients[round.Cohort[0]];

        // Execute
        var e = Assert.Throws<SecureAggregationAbortedException>(
            () => client.Unmask(new SecAggUnmaskRequest(client.Id, [client.Id, round.Cohort[1]])));

        // Assert
        Assert.Equal(SecAggStage.Unmasking, e.Stage);
        Assert.Equal((4, 2), (e.Required, e.Available));
    }

    [Fact]
    public void Late_messages_are_ignored_and_early_or_excess_ones_refused()
    {
        var cohort = Cohort(5);
        var parameters = Complete(4, 3);
        var server = new SecAggServer(parameters);
        var clients = cohort.Select(id => new SecAggClient(parameters, id, SeedOf(id))).ToList();
        var adverts = clients.Select(c => c.AdvertiseKeys()).ToList();

        foreach (var a in adverts.Take(3)) Assert.True(server.Receive(a));
        Assert.Throws<ArgumentException>(() => server.Receive(adverts[0]));                        // twice
        Assert.True(server.Receive(adverts[3]));
        Assert.Contains("sized for 4", Assert.Throws<ArgumentException>(() => server.Receive(adverts[4])).Message); // more than N
        Assert.Throws<InvalidOperationException>(() => server.Receive(new SecAggMaskedInput(cohort[0], new uint[Length]))); // early
        server.CloseKeyAdvertisement();
        Assert.False(server.Receive(adverts[4]));                                                  // late
        Assert.Throws<InvalidOperationException>(() => clients[0].Unmask(new SecAggUnmaskRequest(cohort[0], [])));
        clients.ForEach(c => c.Dispose());
    }

    /// <summary>Drives a complete-graph round by hand, for tests that tamper with messages between stages.</summary>
    private sealed class ManualRound
    {
        private IReadOnlyList<SecAggShareDelivery> _deliveries = [];
        private IReadOnlyList<SecAggUnmaskRequest> _requests = [];

        public ManualRound(long[] cohort, int threshold)
        {
            Cohort = cohort;
            Parameters = Complete(cohort.Length, threshold);
            Server = new SecAggServer(Parameters);
            Clients = cohort.ToDictionary(id => id, id => new SecAggClient(Parameters, id, SeedOf(id)));
        }

        public long[] Cohort { get; }
        public SecAggParameters Parameters { get; }
        public SecAggServer Server { get; }
        public Dictionary<long, SecAggClient> Clients { get; }

        public void AdvertiseAndShare()
        {
            foreach (var c in Clients.Values) Server.Receive(c.AdvertiseKeys());
            foreach (var roster in Server.CloseKeyAdvertisement()) Server.Receive(Clients[roster.To].ShareKeys(roster));
            _deliveries = Server.CloseKeySharing();
        }

        public void Mask(long? dropAfterSharing = null)
        {
            foreach (var d in _deliveries.Where(d => d.To != dropAfterSharing))
                Server.Receive(Clients[d.To].MaskInput(d, UpdateOf(d.To, Length)));
            _requests = Server.CloseMaskedInputCollection();
        }

        public List<SecAggUnmaskResponse> Unmask() => _requests.Select(r => Clients[r.To].Unmask(r)).ToList();
    }
}
