using FedSim.Attacks.Poisoning;
using FedSim.Components;
using FedSim.Scenario;
using FedSim.GrainInterfaces;
using FedSim.Devices;
using FedSim.Scenarios.Running;
using FedSim.Strategies;
using FedSim.Strategies.Algorithms;
using Microsoft.Extensions.DependencyInjection;
using Orleans.TestingHost;
using FedSim.Data;
using FedSim.Rounds;

namespace FedSim.ClusterTests;

/// <summary>Every strategy, attack and heterogeneity feature through the real grains, on one silo.</summary>
[Collection(nameof(OneSiloCollection))]
public sealed class AlgorithmClusterTests(OneSiloCluster one)
{
    private Task<ExperimentStatus> Run(string id, ScenarioSpec scenario, Action<RoundReport>? onRound = null, TimeSpan? poll = null)
        => ExperimentDriver.RunToCompletionAsync(one.Cluster.GrainFactory, id, scenario, onRound ?? (_ => { }), TestScenarios.Deadline(), poll);

    public static TheoryData<string> Strategies()
    {
        var data = new TheoryData<string>();
        foreach (var kind in ComponentCatalog.FamilyOf(typeof(StrategyOptions))!.Kinds) data.Add(kind);
        return data;
    }

    [Theory]
    [MemberData(nameof(Strategies))]
    public async Task Every_strategy_learns_and_repeats_exactly(string kind)
    {
        // Prepare
        var scenario = TestScenarios.SmallSynthetic(rounds: 4, seed: 31);
        scenario.Strategy = (StrategyOptions)ComponentCatalog.FamilyOf(typeof(StrategyOptions))!.Create(kind);

        // Execute
        var first = await Run($"strategy-{kind}-a", scenario);
        var second = await Run($"strategy-{kind}-b", scenario);

        // Assert
        Assert.Null(first.Error);
        Assert.Equal(4, first.Reports.Count);
        Assert.All(first.Reports, r => Assert.Equal(5, r.Participants));
        Assert.True(first.Reports[^1].TestLoss < first.Reports[0].TestLoss * 1.5, "the model diverged");
        Assert.Equal(TestScenarios.WithoutWallTime(first.Reports), TestScenarios.WithoutWallTime(second.Reports));
    }

    [Fact]
    public async Task Scaffold_resumed_mid_run_replays_rounds_with_the_device_state_from_before_them()
    {
        // Prepare: few devices so each is sampled in several rounds and its c_i matters.
        var scenario = TestScenarios.SmallSynthetic(devices: 8, perRound: 4, rounds: 5, seed: 23);
        scenario.Dataset.Samples = 8_000;
        scenario.Dataset.Partition = new PartitionSpec { Kind = PartitionKinds.Dirichlet, Alpha = 0.3 };
        scenario.Training.LocalEpochs = 2;
        scenario.Strategy = new ScaffoldOptions();
        var reference = await Run("scaffold-reference", scenario);
        var experiment = one.Cluster.GrainFactory.GetGrain<IExperimentGrain>("scaffold-interrupted");

        // Execute: throw the coordinator away whenever a round ends; it resumes and replays the round it had started,
        // whose devices may already have written their next c_i.
        var interrupted = await Run("scaffold-interrupted", scenario, report =>
        {
            if (report.Round < scenario.Training.Rounds)
                experiment.Cast<Orleans.Core.Internal.IGrainManagementExtension>().DeactivateOnIdle().AsTask().GetAwaiter().GetResult();
        }, TimeSpan.FromMilliseconds(5));

        // Assert
        Assert.Equal(TestScenarios.WithoutWallTime(reference.Reports), TestScenarios.WithoutWallTime(interrupted.Reports));
        // SCAFFOLD sends c with the model and uploads Δc_i beside the delta: twice the model's bytes each way.
        long modelBytes = (await experiment.GetGlobalModelAsync()).Weights.Length * sizeof(float);
        Assert.All(reference.Reports, r => Assert.Equal((2 * modelBytes * r.Selected, 2 * modelBytes * r.Participants), (r.BytesSent, r.BytesReceived)));
    }

    public static TheoryData<string> Attacks()
    {
        var data = new TheoryData<string>();
        foreach (var kind in ComponentCatalog.FamilyOf(typeof(ByzantineOptions))!.Kinds) data.Add(kind);
        return data;
    }

    [Theory]
    [MemberData(nameof(Attacks))]
    public async Task Every_byzantine_attack_runs_and_is_deterministic(string kind)
    {
        // Prepare: 30% of 20 devices malicious, 10 per round, so most rounds have several members (colluders wait for all).
        var scenario = TestScenarios.SmallSynthetic(devices: 20, perRound: 10, rounds: 3, seed: 41);
        scenario.Byzantine = (ByzantineOptions)ComponentCatalog.FamilyOf(typeof(ByzantineOptions))!.Create(kind);
        scenario.Byzantine.Fraction = 0.3;

        // Execute
        var first = await Run($"byz-{kind}-a", scenario);
        var second = await Run($"byz-{kind}-b", scenario);

        // Assert
        Assert.Null(first.Error);
        Assert.Equal(TestScenarios.WithoutWallTime(first.Reports), TestScenarios.WithoutWallTime(second.Reports));
        Assert.All(first.Reports, r => Assert.Equal(10, r.Participants));
        Assert.Contains(first.Reports, r => r.Metric("byzantine_participants") > 0);
        if (kind == "backdoor") Assert.All(first.Reports, r => Assert.NotNull(r.Metric("backdoor_accuracy")));
    }

    [Fact]
    public async Task Colluding_members_sampled_in_consecutive_rounds_keep_training()
    {
        // Prepare: every device in every round, half of them colluding (ALIE). The last member's call to its coalition
        // returns only after the coalition submitted all members' updates, so the coordinator can start the next round
        // on that member while its previous round is still finishing; the member must not deactivate under it (the
        // failure seen in MNIST comparisons: "invalid activation", then a round waiting for its timeout).
        var scenario = TestScenarios.SmallSynthetic(devices: 6, perRound: 6, rounds: 12, seed: 47);
        scenario.Byzantine = new LittleIsEnoughOptions { Fraction = 0.5 };

        // Execute
        var status = await Run("alie-consecutive", scenario);

        // Assert
        Assert.Null(status.Error);
        Assert.Equal(12, status.Reports.Count);
        Assert.All(status.Reports, r => Assert.Equal((6, 0), (r.Participants, r.AllFailures.Count)));
    }

    [Fact]
    public async Task Sign_flipping_breaks_fedavg_but_not_the_median()
    {
        // Prepare
        var clean = TestScenarios.SmallSynthetic(devices: 20, perRound: 10, rounds: 5, seed: 43);
        var attacked = TestScenarios.SmallSynthetic(devices: 20, perRound: 10, rounds: 5, seed: 43);
        attacked.Byzantine = new SignFlipOptions { Fraction = 0.3 };

        // Execute
        var cleanRun = await Run("flip-clean", clean);
        var broken = await Run("flip-fedavg", attacked);
        attacked.Strategy.Aggregator = (AggregatorOptions)ComponentCatalog.FamilyOf(typeof(AggregatorOptions))!.Create(
            ComponentCatalog.FamilyOf(typeof(AggregatorOptions))!.Kinds.Contains("median") ? "median" : "mean");
        var robust = await Run("flip-median", attacked);

        // Assert
        double Final(ExperimentStatus s) => s.Reports[^1].TestAccuracy!.Value;
        Assert.True(Final(broken) < Final(cleanRun) - 0.05, $"sign flipping did not hurt FedAvg ({Final(broken)} vs {Final(cleanRun)})");
        if (attacked.Strategy.Aggregator.Kind == "median")
            Assert.True(Final(robust) > Final(broken), $"the median ({Final(robust)}) did no better than the mean ({Final(broken)})");
    }

    [Fact]
    public async Task Deadlines_dropouts_and_over_selection_are_counted_and_repeat_exactly()
    {
        // Prepare
        var scenario = TestScenarios.SmallSynthetic(devices: 40, perRound: 6, rounds: 4, seed: 47);
        scenario.Heterogeneity = new HeterogeneitySpec { OverSelection = 0.5, Dropout = 0.2, DeadlineSeconds = 2.5, KeepPartialWork = true };
        scenario.Strategy = new FedNovaOptions();

        // Execute
        var first = await Run("hetero-a", scenario);
        var second = await Run("hetero-b", scenario);

        // Assert
        Assert.Null(first.Error);
        Assert.Equal(TestScenarios.WithoutWallTime(first.Reports), TestScenarios.WithoutWallTime(second.Reports));
        Assert.All(first.Reports, r =>
        {
            Assert.Equal(9, r.Selected);
            Assert.Equal(r.Selected, r.Participants + r.Failed + r.Dropped + r.Late + r.Surplus);
            Assert.True(r.Participants <= 6);
            Assert.True(r.SimulatedRoundSeconds <= 2.5 + 1e-9);
            // clients.csv: one line per sampled device, its status matching the counts.
            Assert.Equal(r.Selected, r.AllClients.Count);
            Assert.Equal(r.Dropped, r.AllClients.Count(c => c.Status == "dropped"));
            Assert.Equal(r.Participants, r.AllClients.Count(c => c.Status is "used" or "not used"));
            Assert.All(r.AllClients.Where(c => c.Status == "used"), c => Assert.True(c.UpdateNorm > 0 && c.Steps > 0));
        });
        Assert.True(first.Reports.Sum(r => r.Dropped) > 0, "no device ever dropped out at 20%");
        Assert.Equal(first.Reports.Sum(r => r.Dropped + r.Late + r.Surplus), first.Reports.Sum(r => r.AllFailures.Count));
    }

    [Fact]
    public async Task A_run_that_accepts_no_update_stops_with_the_reason()
    {
        // Prepare: a learning rate this large overflows every update to inf/NaN.
        var scenario = TestScenarios.SmallSynthetic(rounds: 10, seed: 53);
        scenario.Training.LearningRate = 1e38;
        scenario.Training.MaxRoundsWithoutUpdates = 2;

        // Execute
        var error = await Assert.ThrowsAsync<ExperimentFailedException>(() => Run("learns-nothing", scenario));

        // Assert
        Assert.Contains("no update was accepted for 2 rounds", error.Message);
        Assert.Contains("non-finite", error.Message);
    }
}
