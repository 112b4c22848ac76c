using FedSim.Attacks.Auditing;
using FedSim.Privacy;
using FedSim.Privacy.SecureAggregation;
using FedSim.Rounds;
using FedSim.Strategies;

namespace FedSim.Tests.Attacks.Auditing;

/// <summary>
/// The server attacker is handed exactly what the server holds, in every privacy mode: the updates it received (none
/// under secure aggregation) and the aggregate as it computed it, before any noise it adds itself.
/// </summary>
public sealed class ServerViewTests
{
    private sealed class ServerChannel : IAttackerChannel
    {
        public ServerObservation? View { get; private set; }
        public Task ToOutsiderAsync(int attacker, RoundTruth truth, ReleasedModel? release) => Task.CompletedTask;
        public Task ToServerAsync(int attacker, RoundTruth truth, ServerObservation? view) { View = view; return Task.CompletedTask; }
        public Task ToClientAsync(int attacker, RoundTruth truth, ReleasedModel release) => Task.CompletedTask;
        public Task ToOneRunAuditorAsync(int attacker, RoundTruth truth, ViewGuarantee canaries, ReleasedModel? release) => Task.CompletedTask;
    }

    // A long update (norm 5) and a short one: clipped to S = 1 they are (0.6, 0.8, 0) and (0, 0, 0.5).
    private static readonly DeviceResult[] Received = [new(1, [3f, 4f, 0f], 10), new(2, [0f, 0f, 0.5f], 30)];
    private static readonly double[] ClippedSumOverM = [0.15, 0.2, 0.125]; // over the expected participants m = 4

    private static RoundResults Round(IReadOnlyList<DeviceResult> results) =>
        new(new RoundContext(1, 3, 100, 2, 0, new ServerState()), new float[3], results, []);

    private static CentralDpAggregationStage CentralDp(bool secure) =>
        new(new CentralDpSpec { NoiseMultiplier = 2, Clipping = new FixedClippingOptions { ClipNorm = 1 } }, new CentralDpAccounting(0.1, 2, 4.0, 1e-5), 3, secure);

    private static async Task<ServerObservation> ViewOf(RoundResults round, bool secure)
    {
        var channel = new ServerChannel();
        var tap = new AttackerTapStage([new ServerAttackerOptions()], channel, every: 1, lastRound: 1, secure, new PrivacyCoverage(false, false, secure, 1e-5));
        await tap.RunAsync(round, CancellationToken.None);
        return channel.View!;
    }

    [Theory]
    [InlineData("plain")]
    [InlineData("local DP")] // the devices noised their updates themselves: what arrived is what the server holds
    public async Task Without_central_dp_the_server_holds_every_update_and_their_aggregate(string mode)
    {
        // Prepare: the aggregator's weighted mean (10·Δ₁ + 30·Δ₂) / 40.
        var round = Round(Received);
        round.Update = [0.75, 1.0, 0.375];

        // Execute
        var view = await ViewOf(round, secure: false);

        // Assert
        Assert.Equal(Received.Select(r => (r.DeviceId, r.Delta)), view.Individual!.Select(u => (u.Device, u.Delta)));
        Assert.Equal([0.75f, 1.0f, 0.375f], view.Aggregate);
        Assert.False(view.SecureAggregation, mode);
    }

    [Fact]
    public async Task Under_central_dp_the_server_holds_the_raw_updates_and_the_clipped_sum_before_its_noise()
    {
        // Prepare
        var round = Round(Received);

        // Execute: DP-FedAvg with z = 2, then the tap
        await CentralDp(secure: false).RunAsync(round, CancellationToken.None);
        var view = await ViewOf(round, secure: false);

        // Assert: the released update is noised; what the server computed before the noise is what it holds.
        Assert.Equal(Received.Select(r => r.Delta), view.Individual!.Select(u => u.Delta));
        Assert.Equal(ClippedSumOverM, view.Aggregate.Select(v => Math.Round(v, 6)));
        Assert.NotEqual(round.Update!.Select(v => (float)v), view.Aggregate);
    }

    [Fact]
    public async Task Under_secure_aggregation_the_server_holds_only_the_decoded_mean()
    {
        // Prepare: devices with weights 1 and 0.25 sent w·Δ and w·c (c = 4): Δ₁ = (1, 1, 0), Δ₂ = (2, −2, 0).
        var encoding = new SecAggEncoding(3, SecAggExtraCoordinate.Weight, 4);
        var round = Round([]);
        round.SecureSum = new SecureSum(encoding.Encode([1f, 1f, 0f], weight: 1).Zip(encoding.Encode([2f, -2f, 0f], weight: 0.25), (a, b) => (double)a + b).ToArray(),
            [1, 2], encoding);

        // Execute
        await new SecureMeanStage().RunAsync(round, CancellationToken.None);
        var view = await ViewOf(round, secure: true);

        // Assert
        Assert.Null(view.Individual);
        Assert.Equal([1.2f, 0.4f, 0f], view.Aggregate.Select(v => MathF.Round(v, 5)));
    }

    [Fact]
    public async Task Under_secure_aggregation_and_central_dp_the_server_holds_the_decoded_sum_before_its_noise()
    {
        // Prepare: the protocol revealed the sum of the two clipped updates and 1 unclipped bit.
        var encoding = new SecAggEncoding(3, SecAggExtraCoordinate.UnclippedBit, 2);
        var round = Round([]);
        round.SecureSum = new SecureSum([0.6, 0.8, 0.5, 2], [1, 2], encoding);

        // Execute
        await CentralDp(secure: true).RunAsync(round, CancellationToken.None);
        var view = await ViewOf(round, secure: true);

        // Assert: the server decodes the un-noised sum and adds the noise itself, so the un-noised sum is in its view.
        Assert.Null(view.Individual);
        Assert.Equal(ClippedSumOverM, view.Aggregate.Select(v => Math.Round(v, 6)));
        Assert.NotEqual(round.Update!.Select(v => (float)v), view.Aggregate);
    }
}
