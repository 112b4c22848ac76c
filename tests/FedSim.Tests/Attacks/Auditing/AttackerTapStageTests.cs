using FedSim.Attacks.Auditing;
using FedSim.GrainInterfaces;
using FedSim.Rounds;
using FedSim.Strategies;

namespace FedSim.Tests.Attacks.Auditing;

/// <summary>The attacker tap hands each threat model exactly what it grants, on the rounds it should.</summary>
public sealed class AttackerTapStageTests
{
    private sealed class RecordingChannel : IAttackerChannel
    {
        public List<(int Attacker, RoundTruth Truth, ReleasedModel? Release)> Outsider { get; } = [];
        public List<(int Attacker, RoundTruth Truth, ServerObservation? View)> Server { get; } = [];
        public List<(int Attacker, RoundTruth Truth, ReleasedModel Release)> Client { get; } = [];
        public List<(int Attacker, ViewGuarantee Canaries, ReleasedModel? Release)> OneRun { get; } = [];

        public Task ToOutsiderAsync(int attacker, RoundTruth truth, ReleasedModel? release) { Outsider.Add((attacker, truth, release)); return Task.CompletedTask; }
        public Task ToServerAsync(int attacker, RoundTruth truth, ServerObservation? view) { Server.Add((attacker, truth, view)); return Task.CompletedTask; }
        public Task ToClientAsync(int attacker, RoundTruth truth, ReleasedModel release) { Client.Add((attacker, truth, release)); return Task.CompletedTask; }
        public Task ToOneRunAuditorAsync(int attacker, RoundTruth truth, ViewGuarantee canaries, ReleasedModel? release)
        {
            OneRun.Add((attacker, canaries, release));
            return Task.CompletedTask;
        }
    }

    private static readonly AttackerOptions[] All = [new OutsiderAttackerOptions(), new ServerAttackerOptions(), new ClientAttackerOptions()];

    /// <summary>A finished round: devices 4 and 7 delivered, the aggregator used only 7; the run reports ε (at δ = 1e-6, the tap's).</summary>
    private static RoundResults Round(int number)
    {
        var results = new[] { new DeviceResult(4, [1f, 1f], 10), new DeviceResult(7, [3f, -1f], 30) };
        var round = new RoundResults(new RoundContext(number, 1, 10, 2, number - 1, new ServerState()), [0.5f, 0.5f], results, [])
        {
            Update = [3.0, -1.0],
            Used = [7],
            NextWeights = [3.5f, -0.5f],
        };
        round.Metrics.Add(new RoundMetric("epsilon", 2.5));
        return round;
    }

    private static async Task<RecordingChannel> Run(bool secureAggregation, params int[] rounds)
    {
        var channel = new RecordingChannel();
        var tap = new AttackerTapStage(All, channel, every: 3, lastRound: 4, secureAggregation,
            new PrivacyCoverage(Central: true, Local: false, secureAggregation, Delta: 1e-6));
        foreach (int r in rounds) await tap.RunAsync(Round(r), CancellationToken.None);
        return channel;
    }

    [Fact]
    public async Task Outsiders_get_the_released_model_only_on_audited_rounds_and_the_truth_every_round()
    {
        // Execute: rounds 1..4 with every = 3 and 4 the last round.
        var channel = await Run(secureAggregation: false, 1, 2, 3, 4);

        // Assert
        Assert.Equal([1, 2, 3, 4], channel.Outsider.Select(o => o.Truth.Round));
        Assert.Equal([false, false, true, true], channel.Outsider.Select(o => o.Truth.Audit));
        Assert.Equal([false, false, true, true], channel.Outsider.Select(o => o.Release is not null));
        Assert.Equal([3.5f, -0.5f], channel.Outsider[2].Release!.Weights);
        Assert.All(channel.Outsider, o => Assert.Equal([7L], o.Truth.UsedDevices));
        Assert.All(channel.Outsider, o => Assert.Equal((2.5, 1e-6), (o.Truth.Released.Epsilon, o.Truth.Released.Delta)));
        // Central DP noises the released model only: the server's view of the same rounds carries no ε.
        Assert.All(channel.Server, o => Assert.Null(o.Truth.GuaranteeFor(ThreatModels.Server).Epsilon));
        Assert.All(channel.Server, o => Assert.StartsWith("central DP does not protect individual updates", o.Truth.Updates.Basis));
    }

    [Fact]
    public async Task Without_an_epsilon_metric_the_truth_carries_no_dp_guarantee()
    {
        // Prepare: a run without DP reports no epsilon, so there is no bound to check at any δ.
        var channel = new RecordingChannel();
        var tap = new AttackerTapStage(All, channel, every: 1, lastRound: 1, secureAggregation: false,
            new PrivacyCoverage(Central: false, Local: false, SecureAggregation: false, Delta: 1e-6));
        var round = Round(1);
        round.Metrics.Clear();

        // Execute
        await tap.RunAsync(round, CancellationToken.None);

        // Assert
        Assert.All(channel.Outsider, o => Assert.Equal((null, null), (o.Truth.Released.Epsilon, o.Truth.Released.Delta)));
        Assert.All(channel.Outsider, o => Assert.StartsWith("no DP mechanism is on", o.Truth.Released.Basis));
    }

    [Fact]
    public async Task The_server_sees_every_delivered_update_and_the_model_they_started_from()
    {
        // Execute
        var channel = await Run(secureAggregation: false, 3);

        // Assert
        var view = Assert.Single(channel.Server).View!;
        Assert.False(view.SecureAggregation);
        Assert.Equal([0.5f, 0.5f], view.GlobalWeights);
        Assert.Equal([4L, 7L], view.Individual!.Select(u => u.Device));
        Assert.Equal([3f, -1f], view.Individual![1].Delta);
        Assert.Equal([3f, -1f], view.Aggregate);
    }

    [Fact]
    public async Task Under_secure_aggregation_the_servers_view_holds_the_aggregate_and_no_individual_update()
    {
        // Execute: the switch is the privacy section's; here it is set directly.
        var channel = await Run(secureAggregation: true, 3);

        // Assert
        var view = Assert.Single(channel.Server).View!;
        Assert.True(view.SecureAggregation);
        Assert.Null(view.Individual);
        Assert.Equal([3f, -1f], view.Aggregate);
    }

    [Fact]
    public async Task A_malicious_client_receives_every_released_model_as_a_participant_would()
    {
        // Execute
        var channel = await Run(secureAggregation: false, 1, 2);

        // Assert
        Assert.Equal([1, 2], channel.Client.Select(c => c.Release.Round));
        Assert.All(channel.Client, c => Assert.Equal(2, c.Attacker));
        Assert.All(channel.Server, s => Assert.Null(s.View));
    }

    [Theory]
    [InlineData(true, false, OneRunAuditUnits.Auto, 2.5)] // central DP alone: device canaries, covered by its ε
    [InlineData(true, false, OneRunAuditUnits.Record, null)] // central DP does not protect one record
    [InlineData(false, true, OneRunAuditUnits.Auto, 2.5)] // local DP: record canaries, the largest device ε (the epsilon metric)
    [InlineData(false, true, OneRunAuditUnits.Device, null)] // local DP does not hide whether a device takes part
    public async Task A_one_run_auditor_gets_released_models_on_audited_rounds_with_the_guarantee_on_its_canaries_unit(
        bool central, bool local, string unit, double? epsilon)
    {
        // Prepare
        var channel = new RecordingChannel();
        var tap = new AttackerTapStage([new OneRunAuditOptions { Unit = unit }], channel, every: 3, lastRound: 4, secureAggregation: false,
            new PrivacyCoverage(central, local, SecureAggregation: false, Delta: 1e-6));

        // Execute
        foreach (int r in new[] { 1, 2, 3 }) await tap.RunAsync(Round(r), CancellationToken.None);

        // Assert
        Assert.Equal([false, false, true], channel.OneRun.Select(o => o.Release is not null));
        Assert.All(channel.OneRun, o => Assert.Equal(epsilon, o.Canaries.Epsilon));
        Assert.All(channel.OneRun, o => Assert.Equal(epsilon is null ? null : 1e-6, o.Canaries.Delta));
    }
}
