using FedSim.Privacy;
using FedSim.Rounds;
using FedSim.Scenarios.Compare;
using FedSim.Scenarios.Configuration;
using FedSim.Composition;

namespace FedSim.Tests.Privacy;

/// <summary>The MNIST DP example: its base scenario and the comparison that sweeps the noise multiplier.</summary>
public sealed class PrivacyExampleTests
{
    private static string Examples => Scenarios.ScenarioTestFiles.ExamplesDirectory;

    [Fact]
    public void The_noise_sweep_expands_into_dp_fedavg_runs_at_three_or_more_noise_levels_with_falling_epsilon()
    {
        // Execute: the lead's loader and expansion, as `fedsim compare` reads the file.
        var (sweep, errors) = SweepFile.Load(Path.Combine(Examples, "compare", "mnist-dp-noise.yaml"));
        Assert.Empty(errors);
        var (runs, expansionErrors) = SweepExpansion.Expand(sweep!);

        // Assert
        Assert.Empty(expansionErrors);
        Assert.Equal(["privacy.central.noise_multiplier"], sweep!.Grid.Select(a => a.Key));
        var levels = runs.Select(r => r.Scenario.Privacy.Central!.NoiseMultiplier).ToList();
        Assert.True(levels.Distinct().Count() >= 3, $"only {levels.Distinct().Count()} noise levels");
        Assert.All(runs, r => Assert.IsType<PoissonSamplingOptions>(r.Scenario.Training.Sampling));
        var epsilons = runs.OrderBy(r => r.Scenario.Privacy.Central!.NoiseMultiplier)
            .Select(r => ScenarioComposition.CentralDpAccounting(r.Scenario)!.EpsilonAfter(r.Scenario.Training.Rounds)).ToList();
        Assert.Equal(epsilons.OrderDescending(), epsilons);
    }

    [Fact]
    public void The_base_scenario_accounts_at_a_delta_below_one_over_the_devices()
    {
        var spec = ScenarioLoader.Load(Path.Combine(Examples, "mnist-dp-fedavg.yaml")).GetSpecOrThrow();

        Assert.True(spec.Privacy.Delta < 1.0 / spec.Devices);
        Assert.NotNull(spec.Privacy.Central);
        Assert.Equal(0.1, ((PoissonSamplingOptions)spec.Training.Sampling).Rate);
    }
}
