using FedSim.Scenario;
using FedSim.Scenarios.Cli;
using FedSim.Scenarios.Configuration;
using FedSim.Scenarios.Running;

namespace FedSim.Tests.Scenarios;

/// <summary><c>--set KEY=VALUE</c> on run, attack and validate: any key, YAML values, errors located at the override.</summary>
public sealed class ScenarioOverridesTests(ScenarioTestFiles files) : IClassFixture<ScenarioTestFiles>
{
    private const string Scenario = """
        name: base
        seed: 5
        devices: 20
        training:
          rounds: 3
          devices_per_round: 10
        """;

    [Fact]
    public void Overrides_set_scalars_sections_and_new_keys_as_yaml()
    {
        // Prepare
        string path = files.Write("overrides.yaml", Scenario);

        // Execute
        var loaded = ScenarioOverrides.Load(path, ["training.rounds=7", "strategy.aggregator.kind=median", "byzantine={kind: sign-flip, fraction: 0.2}", "name=renamed"]);

        // Assert: the result is what the same keys written in the file give.
        Assert.True(loaded.Succeeded, string.Join("\n", loaded.Errors));
        var written = ScenarioLoader.Parse(Scenario.Replace("rounds: 3", "rounds: 7").Replace("name: base", "name: renamed") +
                                           "\nstrategy:\n  aggregator:\n    kind: median\nbyzantine:\n  kind: sign-flip\n  fraction: 0.2\n", path, files.Directory);
        Assert.Equal(ScenarioWriter.ToYaml(written.Spec!), ScenarioWriter.ToYaml(loaded.Spec!));
        Assert.Equal(7, loaded.Spec!.Training.Rounds);
    }

    [Theory]
    [InlineData("training.rounds=x", "--set training.rounds=x: training.rounds: expected an integer, got 'x'")]
    [InlineData("training.roundz=5", "--set training.roundz=5: 'training.roundz' is not a scenario key; did you mean 'training.rounds'?")]
    [InlineData("rounds", "--set rounds: expected KEY=VALUE")]
    [InlineData("training.rounds=[1", "--set training.rounds=[1: the value is not valid YAML")]
    [InlineData("training.devices_per_round=50", "--set training.devices_per_round=50: training.devices_per_round (50) cannot exceed devices (20)")]
    public void A_bad_override_is_reported_at_the_override(string set, string expected)
    {
        string path = files.Write("bad-override.yaml", Scenario);

        var loaded = ScenarioOverrides.Load(path, [set]);

        Assert.False(loaded.Succeeded);
        Assert.StartsWith(expected, Assert.Single(loaded.Errors).ToString());
    }

    [Fact]
    public void The_files_own_errors_are_reported_at_their_lines_and_a_clash_only_the_overrides_make_at_all_of_them()
    {
        // Prepare
        string broken = files.Write("broken.yaml", Scenario.Replace("rounds: 3", "rounds: -1"));
        string fine = files.Write("fine.yaml", Scenario);

        // Execute: 15 devices and 18 a round are each valid alone (20 devices, 10 a round in the file), not together.
        var fileErrors = ScenarioOverrides.Load(broken, ["training.rounds=5"]);
        var clash = ScenarioOverrides.Load(fine, ["devices=15", "training.devices_per_round=18"]);
        var together = ScenarioOverrides.Load(fine, ["training.devices_per_round=30", "devices=40"]);

        // Assert
        Assert.Equal($"{broken}:5:11", string.Join(":", Assert.Single(fileErrors.Errors).ToString().Split(':').Take(3)));
        Assert.StartsWith("--set devices=15 --set training.devices_per_round=18: training.devices_per_round (18) cannot exceed devices (15)",
            Assert.Single(clash.Errors).ToString());
        Assert.True(together.Succeeded, string.Join("\n", together.Errors));
    }

    [Fact]
    public async Task Run_attack_and_validate_take_set_and_exit_2_at_a_bad_one()
    {
        // Prepare
        string path = files.Write("cli-overrides.yaml", Scenario + "\nattacks:\n  - kind: outsider\n    attacks: [loss]\n");
        var seen = new List<ScenarioSpec>();
        var services = new CliServices
        {
            RunExperiment = (spec, _, options, _) =>
            {
                seen.Add(spec);
                return Task.FromResult(new RunOutcome(options.OutputDirectory ?? "out", []));
            },
            RunAttack = (spec, _, options, _) =>
            {
                seen.Add(spec);
                return Task.FromResult(new RunOutcome(options.OutputDirectory ?? "out", []));
            },
        };
        var validateOut = new StringWriter();
        var badErr = new StringWriter();

        // Execute
        int run = await FedSimCli.RunAsync(["run", path, "--set", "training.rounds=9"], new StringWriter(), new StringWriter(), services);
        int attack = await FedSimCli.RunAsync(["attack", path, "--set", "training.rounds=4", "--set", "seed=11"], new StringWriter(), new StringWriter(), services);
        int validate = await FedSimCli.RunAsync(["validate", path, "--set", "training.rounds=6"], validateOut, new StringWriter(), services);
        int bad = await FedSimCli.RunAsync(["run", path, "--set", "training.rounds=x"], new StringWriter(), badErr, services);

        // Assert
        Assert.Equal((0, 0, 0, 2), (run, attack, validate, bad));
        Assert.Equal([(9, 5UL), (4, 11UL)], seen.Select(s => (s.Training.Rounds, s.Seed)));
        Assert.Contains("6 rounds x 10 devices", validateOut.ToString());
        Assert.Contains("--set training.rounds=x: training.rounds: expected an integer, got 'x'", badErr.ToString());
    }
}
