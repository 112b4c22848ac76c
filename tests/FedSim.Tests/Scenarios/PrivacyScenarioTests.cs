using FedSim.Privacy;
using FedSim.Rounds;
using FedSim.Scenarios.Cli;
using FedSim.Scenarios.Configuration;

namespace FedSim.Tests.Scenarios;

/// <summary>
/// The privacy section loads, and every combination whose accounting or protocol would not hold is refused at the
/// key that causes it, with the reason.
/// </summary>
public sealed class PrivacyScenarioTests(ScenarioTestFiles files) : IClassFixture<ScenarioTestFiles>
{
    private const string Poisson = "training:\n  sampling:\n    kind: poisson\n    rate: 0.1\n";

    [Fact]
    public void Privacy_section_and_poisson_sampling_load_with_their_options()
    {
        // Prepare
        const string yaml = """
            devices: 500
            training:
              sampling:
                kind: poisson
                rate: 0.2
            privacy:
              delta: 1.0e-4
              epsilon_budget: 8
              central:
                noise_multiplier: 1.3
                clipping:
                  kind: adaptive
                  target_quantile: 0.7
              local:
                clip_norm: 2
              secure_aggregation:
                graph: sparse
                neighbours: 4
            """;

        // Execute
        var result = ScenarioLoader.Parse(yaml, "p.yaml", files.Directory);

        // Assert
        Assert.True(result.Succeeded, string.Join("\n", result.Errors));
        var spec = result.Spec!;
        Assert.Equal(0.2, Assert.IsType<PoissonSamplingOptions>(spec.Training.Sampling).Rate);
        Assert.Equal(100, spec.Training.ExpectedCohort(spec.Devices));
        Assert.Equal((1e-4, 8.0, 1.3), (spec.Privacy.Delta, spec.Privacy.EpsilonBudget, spec.Privacy.Central!.NoiseMultiplier));
        Assert.Equal(0.7, Assert.IsType<AdaptiveClippingOptions>(spec.Privacy.Central.Clipping).TargetQuantile);
        Assert.Equal(2.0, spec.Privacy.Local!.ClipNorm);
        Assert.Equal((SecureAggregationGraphs.Sparse, 4), (spec.Privacy.SecureAggregation!.Graph, spec.Privacy.SecureAggregation.Neighbours));
    }

    [Fact]
    public void A_scenario_without_privacy_has_every_mechanism_off_and_fixed_size_sampling()
    {
        var result = ScenarioLoader.Parse("name: plain\n", "plain.yaml", files.Directory);

        Assert.True(result.Succeeded);
        Assert.False(result.Spec!.Privacy.Any);
        Assert.IsType<FixedSizeSamplingOptions>(result.Spec.Training.Sampling);
    }

    public static TheoryData<string, string, int, int, string> Refused => new()
    {
        // case, YAML, line, column, phrase expected in the message
        { "central DP with fixed-size sampling", "privacy:\n  central:\n    noise_multiplier: 1\n", 2, 3, "training.sampling.kind is 'fixed'" },
        { "central DP with SCAFFOLD", Poisson + "privacy:\n  central: {}\nstrategy:\n  kind: scaffold\n", 8, 9, "server read each client's result" },
        { "central DP with FedNova", Poisson + "strategy:\n  kind: fednova\nprivacy:\n  central: {}\n", 6, 9, "fednova" },
        { "poisson with over-selection", Poisson + "heterogeneity:\n  over_selection: 0.3\n", 6, 19, "fixed target that Poisson sampling" },
        { "budget below one round", Poisson + "devices: 100\nprivacy:\n  epsilon_budget: 0.001\n  central:\n    noise_multiplier: 0.5\n", 7, 19, "spent before the first round ends" },
        { "budget without a mechanism", "privacy:\n  epsilon_budget: 3\n", 2, 19, "no mechanism spends" },
        { "adaptive clipping with too little count noise", Poisson + "privacy:\n  central:\n    noise_multiplier: 2\n    clipping:\n      kind: adaptive\n      count_noise_std: 0.5\n", 10, 24, "too small for noise multiplier" },
        { "secure aggregation with SCAFFOLD", "strategy:\n  kind: scaffold\nprivacy:\n  secure_aggregation: {}\n", 2, 9, "secure aggregation hides" },
        { "secure aggregation with a colluding attack", "byzantine:\n  kind: alie\nprivacy:\n  secure_aggregation: {}\n", 2, 9, "submits them to the" },
        { "secure aggregation over two devices", "training:\n  devices_per_round: 2\nprivacy:\n  secure_aggregation: {}\n", 2, 22, "hides nothing" },
        { "secure aggregation with an odd k", "privacy:\n  secure_aggregation:\n    graph: sparse\n    neighbours: 3\n", 4, 17, "even k" },
        { "secure aggregation threshold above the cohort", "privacy:\n  secure_aggregation:\n    threshold: 11\n", 3, 16, "exceeds the 10 devices" },
        { "unknown secure aggregation graph", "privacy:\n  secure_aggregation:\n    graph: ring\n", 3, 12, "expected one of: complete, sparse" },
        { "poisson rate above one", "training:\n  sampling:\n    kind: poisson\n    rate: 1.5\n", 4, 11, "at most 1" },
        { "zero local noise", "privacy:\n  local:\n    noise_multiplier: 0\n", 3, 23, "greater than 0" },
        { "secure noise without a DP mechanism", "privacy:\n  secure_noise: true\n  secure_aggregation: {}\n", 2, 17, "no mechanism adds noise" },
        { "secure noise that is not a boolean", "privacy:\n  secure_noise: always\n  local: {}\n", 2, 17, "always" },
    };

    [Theory]
    [MemberData(nameof(Refused))]
    public void Combinations_without_valid_accounting_or_protocol_are_refused_where_they_are_written(string name, string yaml, int line, int column, string phrase)
    {
        // Execute
        var result = ScenarioLoader.Parse(yaml, name.Replace(' ', '-') + ".yaml", files.Directory);

        // Assert
        Assert.False(result.Succeeded, name);
        Assert.True(result.Errors.Any(e => e.Line == line && e.Column == column && e.Message.Contains(phrase, StringComparison.Ordinal)),
            $"expected '{phrase}' at {line}:{column}, got:\n{string.Join("\n", result.Errors)}");
    }

    [Fact]
    public async Task Validate_explains_why_central_dp_needs_poisson_sampling_and_exits_2()
    {
        // Prepare
        string path = files.Write("central-fixed.yaml", "privacy:\n  central:\n    noise_multiplier: 1\n");
        var stdout = new StringWriter();
        var stderr = new StringWriter();

        // Execute
        int exit = await FedSimCli.RunAsync(["validate", path], stdout, stderr);

        // Assert
        Assert.Equal(ExitCodes.InvalidInput, exit);
        Assert.Contains($"{path}:2:3: privacy.central (DP-FedAvg) is accounted as the Poisson-subsampled Gaussian mechanism", stderr.ToString());
        Assert.Contains("Set training.sampling: {kind: poisson, rate: Q}", stderr.ToString());
    }

    [Fact]
    public void Secure_noise_with_local_dp_loads_and_defaults_to_off()
    {
        var on = ScenarioLoader.Parse("privacy:\n  secure_noise: true\n  local: {}\n", "secure-noise.yaml", files.Directory);
        var off = ScenarioLoader.Parse("privacy:\n  local: {}\n", "seeded-noise.yaml", files.Directory);

        Assert.True(on.Succeeded, string.Join("\n", on.Errors));
        Assert.True(on.Spec!.Privacy.SecureNoise);
        Assert.False(off.Spec!.Privacy.SecureNoise);
    }

    [Fact]
    public void Central_dp_with_poisson_sampling_secure_aggregation_and_a_budget_is_accepted()
    {
        var result = ScenarioLoader.Parse(Poisson + "privacy:\n  epsilon_budget: 10\n  central:\n    noise_multiplier: 1\n  secure_aggregation: {}\n",
            "ok.yaml", files.Directory);

        Assert.True(result.Succeeded, string.Join("\n", result.Errors));
    }
}
