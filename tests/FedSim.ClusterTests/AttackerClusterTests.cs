using FedSim.Attacks.Auditing;
using FedSim.Attackers;
using FedSim.Scenario;
using FedSim.GrainInterfaces;
using FedSim.Privacy;
using FedSim.Rounds;
using FedSim.Scenarios.Running;

namespace FedSim.ClusterTests;

/// <summary>Attacker grains audit a federation through the real grains: what each threat model is handed and when.</summary>
[Collection(nameof(OneSiloCollection))]
public sealed class AttackerClusterTests(OneSiloCluster one)
{
    private static readonly ViewGuarantee NoDp = new(null, null, "no DP mechanism is on");

    private static ScenarioSpec Audited()
    {
        var scenario = TestScenarios.SmallSynthetic(devices: 10, perRound: 10, rounds: 4, seed: 17);
        scenario.Training.LocalEpochs = 3;
        scenario.Audit = new AuditSpec { Every = 2, Members = 150 };
        scenario.Attacks =
        [
            new OutsiderAttackerOptions { Attacks = [AttackNames.Loss, AttackNames.LiraOnline], ReferenceModels = 4, ReferenceEpochs = 2 },
            new ServerAttackerOptions { MaxDevices = 2 },
            new ClientAttackerOptions { Device = 3 },
        ];
        return scenario;
    }

    private async Task<AttackerReport[]> Audit(string id, ScenarioSpec scenario)
    {
        var status = await ExperimentDriver.RunToCompletionAsync(one.Cluster.GrainFactory, id, scenario, _ => { }, TestScenarios.Deadline());
        Assert.Null(status.Error);
        var grains = scenario.Attacks.Select((a, i) => AttackerKey.Grain(one.Cluster.GrainFactory, id, i, a)).ToArray();
        return await Settled(grains);
    }

    private static async Task<AttackerReport[]> Settled(IReadOnlyList<IAttackerGrain> grains)
    {
        var deadline = TestScenarios.Deadline();
        while (true)
        {
            var reports = await Task.WhenAll(grains.Select(g => g.GetReportAsync()));
            if (reports.All(r => r.Pending == 0)) return reports;
            await Task.Delay(50, deadline);
        }
    }

    [Fact]
    public async Task Each_threat_model_audits_every_kth_round_and_repeats_exactly()
    {
        // Execute
        var first = await Audit("attack-a", Audited());
        var second = await Audit("attack-b", Audited());

        // Assert: the outsider audits rounds 2 and 4 with both attacks, on a balanced set.
        Assert.All(first, r => Assert.Empty(r.Failures));
        var outsider = first[0].Audits;
        Assert.Equal([(2, AttackNames.Loss), (2, AttackNames.LiraOnline), (4, AttackNames.Loss), (4, AttackNames.LiraOnline)],
            outsider.Select(a => (a.Round, a.Attack)).OrderBy(p => p.Round));
        Assert.All(outsider, a => Assert.Equal((150, 150), (a.Metrics.Members, a.Metrics.NonMembers)));
        // The server: two single devices per audited round, plus their pooled audit, for each of its two attacks.
        Assert.Equal(first[1].Audits.Count / 2, first[1].Audits.Count(a => a.Attack == AttackNames.LocalLoss));
        var server = first[1].Audits.Where(a => a.Attack == AttackNames.Update).ToList();
        Assert.Equal([0L, 1L, 0L, 1L], server.Where(a => a.Device is not null).OrderBy(a => a.Round).Select(a => a.Device!.Value));
        Assert.Equal(2, server.Count(a => a.Device is null));
        Assert.All(server.Where(a => a.Device is { } d), a => Assert.All(a.Devices, holder => Assert.Equal(a.Device, holder)));
        // The client ascended in rounds 1 and 3 and measured the drop at 2 and 4, never on its own records.
        var client = first[2].Audits;
        Assert.Equal([(2, AttackNames.GradientAscent), (2, AttackNames.Loss), (4, AttackNames.GradientAscent), (4, AttackNames.Loss)],
            client.Select(a => (a.Round, a.Attack)).OrderBy(p => p.Round).ThenBy(p => p.Attack, StringComparer.Ordinal));
        Assert.All(client, a => Assert.DoesNotContain(3, a.Devices));
        // Same scenario, same seed: the same audits.
        Assert.Equal(first.SelectMany(r => r.Audits).Select(a => (a.Attack, a.Round, a.Device, a.Metrics)).OrderBy(x => x.ToString()),
            second.SelectMany(r => r.Audits).Select(a => (a.Attack, a.Round, a.Device, a.Metrics)).OrderBy(x => x.ToString()));
    }

    [Fact]
    public async Task Under_secure_aggregation_the_server_attacks_the_aggregate_and_says_so()
    {
        // Prepare: what the tap hands the server when secure aggregation is on (no individual update in the view).
        var scenario = TestScenarios.SmallSynthetic(devices: 6, perRound: 6, rounds: 1, seed: 5);
        scenario.Attacks = [new ServerAttackerOptions()];
        scenario.Audit = new AuditSpec { Members = 100 };
        int parameters = Models.ModelLayout.For(Composition.ExperimentDataCache.Build(scenario).Model).Count;
        var global = Models.ModelLayout.Initialize(Composition.ExperimentDataCache.Build(scenario).Model, 1);
        var aggregate = Enumerable.Range(0, parameters).Select(i => 0.01f * MathF.Sin(i)).ToArray();
        var grain = one.Cluster.GrainFactory.GetGrain<IServerAttackerGrain>(new AttackerKey("secagg", 0).ToString());

        // Execute
        await grain.ObserveAsync(scenario, new RoundTruth(1, [0, 1, 2, 3, 4, 5], Audit: true, NoDp, NoDp),
            new ServerObservation(1, global, Individual: null, aggregate, SecureAggregation: true));
        var report = (await Settled([grain]))[0];

        // Assert
        Assert.Empty(report.Failures);
        Assert.Equal([AttackNames.Update, AttackNames.LocalLoss], report.Audits.Select(a => a.Attack));
        Assert.All(report.Audits, audit =>
        {
            Assert.Null(audit.Device);
            Assert.Equal(ServerAttackerGrain.AggregateOnlyNote, audit.Note);
            Assert.Equal(6, audit.Devices.Distinct().Count());
        });
    }

    [Fact]
    public async Task A_run_with_secure_aggregation_and_dp_sgd_audits_the_aggregate_and_checks_the_bound_at_the_runs_delta()
    {
        // Prepare: the real wiring, not a handcrafted view: secure aggregation on, DP-SGD on every device at δ = 1e-3
        // (the audit's own δ stays at its default, 1e-5).
        var scenario = TestScenarios.SmallSynthetic(devices: 6, perRound: 6, rounds: 2, seed: 29);
        scenario.Privacy = new PrivacySpec
        {
            Delta = 1e-3,
            Local = new LocalDpSpec { NoiseMultiplier = 1.1, ClipNorm = 1.0 },
            SecureAggregation = new SecureAggregationSpec { ClipRange = 0.5 },
        };
        scenario.Audit = new AuditSpec { Every = 2, Members = 100 };
        scenario.Attacks = [new OutsiderAttackerOptions { Attacks = [AttackNames.Loss] }, new ServerAttackerOptions()];

        // Execute
        var reports = await Audit("attack-secagg-dp", scenario);

        // Assert: the server attacked the aggregate of all six devices and said so; nobody audited a single update.
        Assert.All(reports, r => Assert.Empty(r.Failures));
        Assert.Equal([AttackNames.Update, AttackNames.LocalLoss], reports[1].Audits.Select(a => a.Attack));
        Assert.All(reports[1].Audits, server =>
        {
            Assert.Null(server.Device);
            Assert.Equal(ServerAttackerGrain.AggregateOnlyNote, server.Note);
            Assert.Equal(6, server.Devices.Distinct().Count());
        });
        // Both audits checked the DP bound at the δ the run's ε was accounted at.
        Assert.All(reports.SelectMany(r => r.Audits), a =>
        {
            Assert.NotNull(a.Dp);
            Assert.Equal(1e-3, a.Dp!.Delta);
            Assert.Equal(1e-3, a.Delta);
            Assert.True(a.Dp.Epsilon > 0);
        });
    }

    [Fact]
    public async Task Under_central_dp_the_outsider_is_checked_against_its_epsilon_and_the_server_carries_none_with_the_reason()
    {
        // Prepare: DP-FedAvg at δ = 1e-3 (Poisson sampling, as its accountant needs); an outsider and a server attacker.
        var scenario = TestScenarios.SmallSynthetic(devices: 12, rounds: 2, seed: 43);
        scenario.Training.Sampling = new PoissonSamplingOptions { Rate = 0.5 };
        scenario.Privacy = new PrivacySpec
        {
            Delta = 1e-3,
            Central = new CentralDpSpec { NoiseMultiplier = 1.2, Clipping = new FixedClippingOptions { ClipNorm = 0.5 } },
        };
        scenario.Audit = new AuditSpec { Every = 2, Members = 100 };
        scenario.Attacks = [new OutsiderAttackerOptions { Attacks = [AttackNames.Loss] }, new ServerAttackerOptions()];

        // Execute
        var reports = await Audit("attack-central-dp", scenario);

        // Assert: central DP protects the released model, which the outsider queries ...
        Assert.All(reports, r => Assert.Empty(r.Failures));
        Assert.NotEmpty(reports[0].Audits);
        Assert.All(reports[0].Audits, outsider =>
        {
            Assert.True(outsider.Guarantee.Epsilon > 0);
            Assert.Equal(outsider.Guarantee.Epsilon, outsider.Dp!.Epsilon);
            Assert.Equal(1e-3, outsider.Dp.Delta);
        });
        // ... not the raw updates the server receives: no ε, no bound check, and the reason.
        Assert.NotEmpty(reports[1].Audits);
        Assert.All(reports[1].Audits, server =>
        {
            Assert.Null(server.Guarantee.Epsilon);
            Assert.Null(server.Dp);
            Assert.StartsWith("central DP does not protect individual updates from the server", server.Guarantee.Basis);
        });
    }
}
