using FedSim.Attacks.Auditing;
using FedSim.Data;
using FedSim.GrainInterfaces;
using FedSim.Models;
using FedSim.Privacy;
using FedSim.Rounds;
using FedSim.Scenario;
using FedSim.Training;
using FedSim.Scenarios.Running;

namespace FedSim.ClusterTests;

/// <summary>
/// One-run auditing (Steinke, Nasr and Jagielski 2023) through the real grains: canaries in the federation's data, the
/// auditor's guesses on the released model, and an ε lower bound that never exceeds the ε the run's accountant reports.
/// </summary>
[Collection(nameof(OneSiloCollection))]
public sealed class OneRunAuditClusterTests(OneSiloCluster one)
{
    /// <summary>
    /// Two devices of scikit-learn's digits (a fifth of them for training, so the canaries are a fair share of each shard)
    /// and 300 record canaries: random records with random labels, which a model fits only by seeing them. A wide layer
    /// and a large step let it memorise them in two rounds.
    /// </summary>
    private static ScenarioSpec Digits(ulong seed) => new()
    {
        Name = "one-run-digits",
        Seed = seed,
        Devices = 2,
        Dataset = new DatasetSpec
        {
            Kind = DatasetKinds.SklearnDigits, Path = TestScenarios.SharedDataset("sklearn"), TestFraction = 0.8,
            Partition = new PartitionSpec { Kind = PartitionKinds.Iid },
        },
        Model = new ModelSpecOptions { Kind = ModelKinds.Mlp, Hidden = [256] },
        Training = new TrainingSpec { Rounds = 2, DevicesPerRound = 2, LocalEpochs = 15, BatchSize = 10, LearningRate = 0.3, Optimizer = OptimizerKinds.Sgd },
        Evaluation = new EvaluationSpec { Every = 2 },
        Audit = new AuditSpec { Every = 2 },
        Attacks = [new OneRunAuditOptions { Canaries = 300 }],
    };

    private async Task<(AuditRecord Audit, IReadOnlyList<RoundReport> Rounds)> Audit(string id, ScenarioSpec scenario)
    {
        var rounds = new List<RoundReport>();
        var status = await ExperimentDriver.RunToCompletionAsync(one.Cluster.GrainFactory, id, scenario, rounds.Add, TestScenarios.Deadline());
        Assert.Null(status.Error);
        var grain = AttackerKey.Grain(one.Cluster.GrainFactory, id, 0, scenario.Attacks[0]);
        var deadline = TestScenarios.Deadline();
        while (true)
        {
            var report = await grain.GetReportAsync();
            if (report.Pending == 0)
            {
                Assert.Empty(report.Failures);
                return (Assert.Single(report.Audits), rounds);
            }
            await Task.Delay(50, deadline);
        }
    }

    [Fact]
    public async Task Without_noise_the_audit_proves_more_than_dp_sgds_epsilon_and_under_dp_sgd_it_stays_below_it()
    {
        // Prepare: the same federation and canaries, once as it is and once with DP-SGD on both devices (z = 3: about
        // 780 steps at q ≈ 10/255 give ε ≈ 1.6 at δ = 1e-5).
        var plain = Digits(seed: 3);
        var dp = Digits(seed: 3);
        dp.Privacy = new PrivacySpec { Delta = 1e-5, Local = new LocalDpSpec { NoiseMultiplier = 3.0, ClipNorm = 1.0 } };

        // Execute
        var (leaky, _) = await Audit("one-run-plain", plain);
        var (audited, _) = await Audit("one-run-dp", dp);

        // Assert: the DP run reports its ε (the largest device ε, at the run's δ) and the audit proves no more than it ...
        var protectedRun = audited.OneRun!;
        double epsilon = audited.Guarantee.Epsilon ?? throw new InvalidOperationException("a DP-SGD run reports its ε");
        Assert.InRange(epsilon, 1.0, 2.0);
        Assert.Equal(1e-5, protectedRun.Delta);
        Assert.True(protectedRun.EpsilonLowerBound <= epsilon, $"one-run bound {protectedRun.EpsilonLowerBound} exceeds the accountant's ε = {epsilon}");
        // ... while without the noise the same audit proves more than that ε: a DP-SGD that failed to add its noise
        // would be caught. (Random-label canaries left out are rarely fitted: the worst-fitted ones are the sure guesses.)
        var unprotected = leaky.OneRun!;
        Assert.Equal((300, OneRunAuditUnits.Record), (unprotected.Canaries, unprotected.Unit));
        Assert.Equal(leaky.IsMember.Count(m => m), unprotected.Included);
        Assert.Null(leaky.Guarantee.Epsilon);
        Assert.True(unprotected.EpsilonLowerBound > epsilon, $"without DP the one-run audit proves only ε ≥ {unprotected.EpsilonLowerBound}");
    }

    [Fact]
    public async Task Under_dp_fedavg_the_canaries_are_whole_devices_and_left_out_ones_never_deliver()
    {
        // Prepare: DP-FedAvg over 30 devices with Poisson sampling; 10 of them are canary devices of one random record each.
        var scenario = TestScenarios.SmallSynthetic(devices: 30, rounds: 3, seed: 19);
        scenario.Training.Sampling = new PoissonSamplingOptions { Rate = 0.5 };
        scenario.Privacy = new PrivacySpec
        {
            Delta = 1e-4,
            Central = new CentralDpSpec { NoiseMultiplier = 1.0, Clipping = new FixedClippingOptions { ClipNorm = 0.5 } },
        };
        scenario.Audit = new AuditSpec { Every = 3 };
        scenario.Attacks = [new OneRunAuditOptions { Canaries = 10 }];
        var canaries = Composition.ExperimentDataCache.Build(scenario).Canaries!;

        // Execute
        var (audit, rounds) = await Audit("one-run-central", scenario);

        // Assert: device canaries, judged against the central ε; a left-out canary device never delivers an update.
        Assert.Equal(OneRunAuditUnits.Device, audit.OneRun!.Unit);
        Assert.Equal(canaries.Holders.Select(h => (int)h), audit.Devices);
        Assert.True(audit.Guarantee.Epsilon > 0);
        Assert.StartsWith("central DP (DP-FedAvg) protects each device", audit.Guarantee.Basis);
        Assert.True(audit.OneRun.EpsilonLowerBound <= audit.Guarantee.Epsilon);
        var leftOut = canaries.Holders.Where((_, i) => !canaries.Included[i]).ToHashSet();
        var declined = rounds.SelectMany(r => r.Failures?.AsEnumerable() ?? []).Where(f => f.Reason == OneRunCanarySet.LeftOutReason).Select(f => f.DeviceId).ToHashSet();
        Assert.NotEmpty(declined);
        Assert.Subset(leftOut, declined);
        Assert.All(rounds.SelectMany(r => r.Clients?.AsEnumerable() ?? []).Where(c => leftOut.Contains(c.Device)), c => Assert.Equal("failed", c.Status));
    }
}
