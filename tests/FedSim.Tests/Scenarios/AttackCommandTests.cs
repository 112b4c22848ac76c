using FedSim.Attacks.Auditing;
using FedSim.Scenario;
using FedSim.Scenarios.Cli;
using FedSim.Scenarios.Running;

namespace FedSim.Tests.Scenarios;

public sealed class AttackCommandTests(ScenarioTestFiles files) : IClassFixture<ScenarioTestFiles>
{
    private static async Task<(int Exit, string Out, string Error)> Run(CliServices services, params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        int exit = await FedSimCli.RunAsync(args, stdout, stderr, services);
        return (exit, stdout.ToString(), stderr.ToString());
    }

    private static CliServices Recording(List<(ScenarioSpec Spec, RunOptions Options)> calls) => new()
    {
        Debug = false,
        RunAttack = (spec, _, options, _) =>
        {
            calls.Add((spec, options));
            return Task.FromResult(new RunOutcome(options.OutputDirectory ?? "out", []));
        },
        RunExperiment = (_, _, _, _) => throw new InvalidOperationException("fedsim attack must not call the plain runner"),
    };

    [Fact]
    public async Task Attack_runs_the_scenario_with_its_attackers_and_the_output_flag()
    {
        // Prepare
        var calls = new List<(ScenarioSpec Spec, RunOptions Options)>();
        string path = files.Write("audited.yaml", "name: audited\nattacks:\n  - kind: outsider\n    attacks: [loss]\n  - kind: server\n");

        // Execute
        var run = await Run(Recording(calls), "attack", path, "--output", "there", "--quiet");

        // Assert
        Assert.Equal(0, run.Exit);
        var (spec, options) = Assert.Single(calls);
        Assert.Equal([ThreatModels.Outsider, ThreatModels.Server], spec.Attacks.Select(a => a.Kind));
        Assert.Equal("there", options.OutputDirectory);
        Assert.True(options.Quiet);
    }

    [Fact]
    public async Task Attack_on_a_scenario_without_attackers_exits_2_and_says_what_to_add()
    {
        var calls = new List<(ScenarioSpec, RunOptions)>();
        string path = files.Write("plain.yaml", "name: plain\n");

        var run = await Run(Recording(calls), "attack", path);

        Assert.Equal(2, run.Exit);
        Assert.Contains("lists no attacker; add an attacks: list", run.Error);
        Assert.Empty(calls);
    }

    [Fact]
    public async Task Attack_on_a_bad_attacker_exits_2_at_its_line()
    {
        var calls = new List<(ScenarioSpec, RunOptions)>();
        string path = files.Write("bad.yaml", "name: bad\nattacks:\n  - kind: outsider\n    reference_models: 3\n");

        var run = await Run(Recording(calls), "attack", path);

        Assert.Equal(2, run.Exit);
        Assert.Contains($"{path}:4:", run.Error);
        Assert.Contains("even number", run.Error);
        Assert.Empty(calls);
    }

    [Fact]
    public async Task Attack_passes_resume_and_overwrite_on_and_refuses_both_at_once()
    {
        // Prepare
        var calls = new List<(ScenarioSpec Spec, RunOptions Options)>();
        string path = files.Write("resumed.yaml", "name: resumed\nattacks:\n  - kind: outsider\n    attacks: [loss]\n");

        // Execute
        var resumed = await Run(Recording(calls), "attack", path, "--resume");
        var overwritten = await Run(Recording(calls), "attack", path, "--overwrite");
        var both = await Run(Recording(calls), "attack", path, "--resume", "--overwrite");

        // Assert
        Assert.Equal((0, 0, 2), (resumed.Exit, overwritten.Exit, both.Exit));
        Assert.Equal([(true, false), (false, true)], calls.Select(c => (c.Options.Resume, c.Options.Overwrite)));
        Assert.Contains("--overwrite and --resume exclude each other", both.Error);
    }
}
