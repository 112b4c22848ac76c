using FedSim.Scenarios.Configuration;
using FedSim.Strategies.Aggregators;
using FedSim.Tests.Scenarios;

namespace FedSim.Tests.Strategies.Aggregators;

/// <summary>The aggregators' options and preconditions as a scenario file sees them (through the generic loader).</summary>
public sealed class AggregatorScenarioTests(ScenarioTestFiles files) : IClassFixture<ScenarioTestFiles>
{
    [Fact]
    public void Krum_with_too_small_a_cohort_is_reported_at_devices_per_round()
    {
        // Prepare: 30% of 6 is 1.8, so f = 2 expected Byzantine clients, and Krum needs 2·2 + 3 = 7.
        const string yaml = """
            name: k
            training:
              devices_per_round: 6
            strategy:
              aggregator:
                kind: krum
            byzantine:
              kind: sign-flip
              fraction: 0.3
            """;

        // Execute
        var result = ScenarioLoader.Parse(yaml, "k.yaml", files.Directory);

        // Assert
        var error = Assert.Single(result.Errors);
        Assert.Equal(3, error.Line);
        Assert.Contains("krum needs n ≥ 2f + 3", error.Message);
        Assert.Contains("raise training.devices_per_round to ≥ 7", error.Message);
    }

    [Fact]
    public void Aggregator_options_load_from_their_snake_case_keys()
    {
        // Prepare: an explicit f = 1 (2·1 + 3 = 5 ≤ 6) and m = 4 instead of the defaults.
        const string yaml = """
            name: mk
            training:
              devices_per_round: 6
            strategy:
              aggregator:
                kind: multi-krum
                f: 1
                m: 4
            """;

        // Execute
        var spec = ScenarioLoader.Parse(yaml, "mk.yaml", files.Directory).GetSpecOrThrow();

        // Assert
        var options = Assert.IsType<MultiKrumOptions>(spec.Strategy.Aggregator);
        Assert.Equal(1, options.F);
        Assert.Equal(4, options.M);
    }

    [Fact]
    public void Trimmed_mean_beta_too_small_for_the_attack_is_reported_at_beta()
    {
        // Prepare: 20% of 10 → f = 2, but beta 0.1 trims ⌊1⌋ = 1 per side.
        const string yaml = """
            name: t
            training:
              devices_per_round: 10
            strategy:
              aggregator:
                kind: trimmed-mean
                beta: 0.1
            byzantine:
              kind: gaussian
              fraction: 0.2
            """;

        // Execute
        var result = ScenarioLoader.Parse(yaml, "t.yaml", files.Directory);

        // Assert
        var error = Assert.Single(result.Errors);
        Assert.Equal(7, error.Line);
        Assert.Contains("raise beta to ≥ 0.2", error.Message);
    }
}
