using FedSim.Scenario;
using FedSim.GrainInterfaces;
using FedSim.Privacy;
using FedSim.Rounds;
using FedSim.Scenarios.Running;
using FedSim.Composition;

namespace FedSim.ClusterTests;

/// <summary>Differential privacy through the real grains: DP-FedAvg with its accountant and budget, DP-SGD on devices.</summary>
[Collection(nameof(OneSiloCollection))]
public sealed class PrivacyClusterTests(OneSiloCluster one)
{
    private Task<ExperimentStatus> Run(string id, ScenarioSpec scenario)
        => ExperimentDriver.RunToCompletionAsync(one.Cluster.GrainFactory, id, scenario, _ => { }, TestScenarios.Deadline());

    private static ScenarioSpec CentralDp(double budget = 0)
    {
        var scenario = TestScenarios.SmallSynthetic(devices: 20, rounds: 6, seed: 41);
        scenario.Training.Sampling = new PoissonSamplingOptions { Rate = 0.25 };
        scenario.Privacy = new PrivacySpec
        {
            Delta = 1e-3,
            EpsilonBudget = budget,
            Central = new CentralDpSpec { NoiseMultiplier = 1.2, Clipping = new FixedClippingOptions { ClipNorm = 0.5 } },
        };
        return scenario;
    }

    [Fact]
    public async Task Dp_fedavg_reports_epsilon_every_round_as_the_accountant_composes_it_and_repeats_exactly()
    {
        // Prepare
        var scenario = CentralDp();
        var accounting = ScenarioComposition.CentralDpAccounting(scenario)!;

        // Execute
        var first = await Run("dp-fedavg-a", scenario);
        var second = await Run("dp-fedavg-b", scenario);

        // Assert: q = 0.25, z = 1.2, one step per round; participants vary (Poisson), clip norm recorded.
        Assert.Null(first.Error);
        Assert.Equal(6, first.Reports.Count);
        for (int r = 0; r < 6; r++) Assert.Equal(accounting.EpsilonAfter(r + 1), first.Reports[r].Metric("epsilon")!.Value, 12);
        Assert.True(first.Reports.Select(r => r.Selected).Distinct().Count() > 1, "Poisson cohorts should vary in size");
        Assert.All(first.Reports, r => Assert.Equal(0.5, r.Metric("clip_norm")));
        Assert.Equal(TestScenarios.WithoutWallTime(first.Reports), TestScenarios.WithoutWallTime(second.Reports));
    }

    [Fact]
    public async Task A_spent_budget_finishes_the_run_before_the_round_that_would_exceed_it_without_an_error()
    {
        // Prepare: a budget that three rounds fit and four do not.
        var accounting = ScenarioComposition.CentralDpAccounting(CentralDp())!;
        var scenario = CentralDp(budget: (accounting.EpsilonAfter(3) + accounting.EpsilonAfter(4)) / 2);

        // Execute
        var status = await Run("dp-fedavg-budget", scenario);

        // Assert
        Assert.True(status.Finished);
        Assert.Null(status.Error);
        Assert.Equal(3, status.Reports.Count);
        Assert.StartsWith(PrivacyAccountingStage.BudgetDeclined, status.FinishReason);
        Assert.True(status.Reports[^1].Metric("epsilon") <= scenario.Privacy.EpsilonBudget);
        Assert.NotNull(status.Reports[^1].TestAccuracy); // the last model is evaluated
    }

    private static ScenarioSpec LocalDp(int devices, int perRound, int rounds, double budget = 0)
    {
        var scenario = TestScenarios.SmallSynthetic(devices: devices, perRound: perRound, rounds: rounds, seed: 43);
        scenario.Dataset.Samples = 150 * devices; // 120 training samples per device (IID), 8 Poisson batches of expected size 16
        scenario.Privacy = new PrivacySpec { Delta = 1e-3, EpsilonBudget = budget, Local = new LocalDpSpec { NoiseMultiplier = 1.1, ClipNorm = 1.0 } };
        return scenario;
    }

    [Fact]
    public async Task Dp_sgd_devices_keep_their_own_accountant_and_the_epsilon_column_is_the_largest_so_far()
    {
        // Prepare
        var scenario = LocalDp(devices: 8, perRound: 4, rounds: 4);
        var perDevice = LocalDpAccounting.For(scenario.Privacy.Local!, 16, 120, scenario.Privacy.Delta);
        var counts = new Dictionary<long, int>();

        // Execute
        var status = await Run("dp-sgd", scenario);

        // Assert: every device trains 8 steps per round it is drawn in; ε of the most-drawn device so far.
        Assert.Null(status.Error);
        foreach (var report in status.Reports)
        {
            foreach (long d in FedSim.Rounds.CohortSampler.Sample(8, 4, scenario.Seed, report.Round)) counts[d] = counts.GetValueOrDefault(d) + 1;
            Assert.Equal(4, report.Participants);
            Assert.Equal(perDevice.EpsilonAfter(8L * counts.Values.Max()), report.Metric("epsilon")!.Value, 12);
            // The devices keep their training loss (un-noised per-example losses, outside ε): none reaches the server.
            Assert.True(double.IsNaN(report.MeanTrainLoss));
            Assert.All(report.AllClients, c => Assert.True(double.IsNaN(c.TrainLoss)));
        }
        Assert.True(status.Reports[^1].TestLoss < status.Reports[0].TestLoss * 1.5, "the model diverged");
    }

    [Fact]
    public async Task Dp_sgd_devices_decline_rounds_beyond_their_budget_and_the_run_finishes_when_none_can_train()
    {
        // Prepare: every device is drawn every round; its budget affords one round (8 steps) but not two.
        var perDevice = LocalDpAccounting.For(new LocalDpSpec { NoiseMultiplier = 1.1, ClipNorm = 1.0 }, 16, 120, 1e-3);
        var scenario = LocalDp(devices: 4, perRound: 4, rounds: 5, budget: (perDevice.EpsilonAfter(8) + perDevice.EpsilonAfter(16)) / 2);

        // Execute
        var status = await Run("dp-sgd-budget", scenario);

        // Assert
        Assert.Null(status.Error);
        Assert.Equal(2, status.Reports.Count);
        Assert.Equal(4, status.Reports[0].Participants);
        Assert.Equal(0, status.Reports[1].Participants);
        Assert.All(status.Reports[1].AllFailures, f => Assert.StartsWith(PrivacyAccountingStage.BudgetDeclined, f.Reason));
        Assert.StartsWith(PrivacyAccountingStage.BudgetDeclined, status.FinishReason);
    }
}
