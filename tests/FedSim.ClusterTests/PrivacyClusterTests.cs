using FedSim.Contracts;
using FedSim.Privacy;
using FedSim.Rounds;
using FedSim.Scenarios.Running;

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
        var accounting = CentralDpAccounting.For(scenario)!;

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
        var accounting = CentralDpAccounting.For(CentralDp())!;
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
}
