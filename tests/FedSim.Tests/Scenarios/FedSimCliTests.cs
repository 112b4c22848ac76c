using FedSim.Scenario;
using FedSim.GrainInterfaces;
using FedSim.Scenarios.Cli;
using FedSim.Scenarios.Reports;
using FedSim.Scenarios.Running;

namespace FedSim.Tests.Scenarios;

public sealed class FedSimCliTests : IClassFixture<ScenarioTestFiles>
{
    private readonly ScenarioTestFiles _files;

    public FedSimCliTests(ScenarioTestFiles files) => _files = files;

    private sealed record CliRun(int Exit, string Out, string Error);

    private static async Task<CliRun> Run(CliServices? services, params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        int exit = await FedSimCli.RunAsync(args, stdout, stderr, services ?? new CliServices { Debug = false });
        return new CliRun(exit, stdout.ToString(), stderr.ToString());
    }

    [Fact]
    public async Task Validate_prints_ok_and_a_summary_for_a_good_file()
    {
        // Prepare
        string path = _files.Write("good.yaml", "name: good\ndevices: 20\ntraining:\n  rounds: 4\n  devices_per_round: 5\n");

        // Execute
        var run = await Run(null, "validate", path);

        // Assert
        Assert.Equal(0, run.Exit);
        var lines = run.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal($"{path}: ok", lines[0]);
        Assert.Contains("20 devices", lines[1]);
        Assert.Contains("4 rounds x 5 devices", lines[1]);
        Assert.Equal("", run.Error);
    }

    [Fact]
    public async Task Validate_on_a_missing_file_exits_2_with_a_clear_message()
    {
        // Prepare
        string path = Path.Combine(_files.Directory, "nope.yaml");

        // Execute
        var run = await Run(null, "validate", path);

        // Assert
        Assert.Equal(ExitCodes.InvalidInput, run.Exit);
        Assert.Contains($"{path}:1:1: scenario file not found", run.Error);
        Assert.DoesNotContain("Exception", run.Error);
    }

    [Theory]
    [InlineData("run", "x.yaml", "--nope")]
    [InlineData("run", "x.yaml", "--seed", "minus-one")]
    [InlineData("run")]
    [InlineData("validate", "x.yaml", "--bogus")]
    [InlineData("frobnicate")]
    [InlineData("schema", "--format", "xml")]
    [InlineData("data", "fetch", "mnist")]
    [InlineData("data", "fetch", "mnist", "--to", "d", "--mirror", "not a url")]
    public async Task Bad_flags_and_arguments_exit_2_with_the_parser_message(params string[] args)
    {
        // Execute
        var run = await Run(null, args);

        // Assert
        Assert.Equal(ExitCodes.InvalidInput, run.Exit);
        Assert.StartsWith("fedsim: ", run.Error);
        Assert.Contains("--help' for usage.", run.Error);
        Assert.DoesNotContain("   at ", run.Error);
        Assert.DoesNotContain("Exception", run.Error);
    }

    [Fact]
    public async Task Mistyped_command_gets_a_suggestion()
    {
        var run = await Run(null, "valdate", "x.yaml");
        Assert.Equal(ExitCodes.InvalidInput, run.Exit);
        Assert.Contains("Did you mean 'validate'?", run.Error);
    }

    [Fact]
    public async Task Bad_seed_is_explained_without_clr_type_names()
    {
        var run = await Run(null, "run", "x.yaml", "--seed", "-3");
        Assert.Equal(ExitCodes.InvalidInput, run.Exit);
        Assert.Contains("--seed must be a non-negative integer, got '-3'", run.Error);
        Assert.DoesNotContain("System.", run.Error);
    }

    [Fact]
    public async Task No_command_exits_2()
    {
        var run = await Run(null);
        Assert.Equal(ExitCodes.InvalidInput, run.Exit);
    }

    [Fact]
    public async Task Help_exits_0_and_lists_the_commands()
    {
        // Execute
        var run = await Run(null, "--help");

        // Assert
        Assert.Equal(0, run.Exit);
        Assert.Contains("run", run.Out);
        Assert.Contains("validate", run.Out);
        Assert.Contains("schema", run.Out);
        Assert.Contains("data", run.Out);
    }

    [Fact]
    public async Task Run_hands_the_loaded_scenario_and_overrides_to_the_runner()
    {
        // Prepare
        string path = _files.Write("run.yaml", "name: runme\ntraining:\n  rounds: 2\n");
        (ScenarioSpec Spec, string Path, RunOptions Options)? seen = null;
        var services = new CliServices
        {
            Debug = false,
            RunExperiment = (spec, scenarioPath, options, _) =>
            {
                seen = (spec, scenarioPath, options);
                return Task.FromResult(new RunOutcome("/tmp/results/runme", []));
            },
        };

        // Execute
        var run = await Run(services, "run", path, "--seed", "99", "--output", "outdir", "--quiet");

        // Assert
        Assert.Equal(0, run.Exit);
        Assert.NotNull(seen);
        Assert.Equal("runme", seen.Value.Spec.Name);
        Assert.Equal(2, seen.Value.Spec.Training.Rounds);
        Assert.Equal(Path.GetFullPath(path), seen.Value.Path);
        Assert.Equal(new RunOptions("outdir", 99UL, true), seen.Value.Options);
    }

    [Fact]
    public async Task Run_with_an_invalid_scenario_exits_2_without_calling_the_runner()
    {
        // Prepare
        string path = _files.Write("bad-run.yaml", "training:\n  rounds: 0\n");
        bool called = false;
        var services = new CliServices { RunExperiment = (_, _, _, _) => { called = true; return Task.FromResult(new RunOutcome("", [])); } };

        // Execute
        var run = await Run(services, "run", path);

        // Assert
        Assert.Equal(ExitCodes.InvalidInput, run.Exit);
        Assert.False(called);
        Assert.Contains($"{path}:2:11: ", run.Error);
    }

    [Fact]
    public async Task Runtime_failure_exits_1_with_one_line_and_no_stack_trace()
    {
        // Prepare
        string path = _files.Write("crash.yaml", "name: crash\n");
        var services = new CliServices { Debug = false, RunExperiment = (_, _, _, _) => throw new InvalidOperationException("silo went away") };

        // Execute
        var run = await Run(services, "run", path);

        // Assert
        Assert.Equal(ExitCodes.RuntimeFailure, run.Exit);
        Assert.StartsWith("fedsim: error: silo went away", run.Error);
        Assert.DoesNotContain("   at ", run.Error);
        Assert.DoesNotContain("InvalidOperationException", run.Error);
    }

    [Fact]
    public async Task Verbose_runtime_failure_includes_the_full_exception()
    {
        // Prepare
        string path = _files.Write("crash-verbose.yaml", "name: crash\n");
        var services = new CliServices { Debug = false, RunExperiment = (_, _, _, _) => throw new InvalidOperationException("silo went away") };

        // Execute
        var run = await Run(services, "run", path, "--verbose");

        // Assert
        Assert.Equal(ExitCodes.RuntimeFailure, run.Exit);
        Assert.Contains("System.InvalidOperationException: silo went away", run.Error);
        Assert.Contains("   at ", run.Error);
    }

    [Fact]
    public async Task Debug_setting_also_prints_the_full_exception()
    {
        // Prepare: CliServices.Debug defaults from FEDSIM_DEBUG=1.
        string path = _files.Write("crash-debug.yaml", "name: crash\n");
        var services = new CliServices { Debug = true, RunExperiment = (_, _, _, _) => throw new IOException("disk full") };

        // Execute
        var run = await Run(services, "run", path);

        // Assert
        Assert.Equal(ExitCodes.RuntimeFailure, run.Exit);
        Assert.Contains("System.IO.IOException: disk full", run.Error);
    }

    [Fact]
    public async Task Known_user_error_from_a_command_exits_2_with_just_the_message()
    {
        // Prepare: the data layer's DatasetException is matched by name, so a look-alike stands in for it.
        var services = new CliServices { FetchDataset = (name, _, _, _) => throw new FedSim.Data.DatasetException($"unknown dataset '{name}'") };

        // Execute
        var run = await Run(services, "data", "fetch", "mnits", "--to", _files.Directory);

        // Assert
        Assert.Equal(ExitCodes.InvalidInput, run.Exit);
        Assert.Equal("fedsim: unknown dataset 'mnits'", run.Error.Trim());
    }

    [Fact]
    public async Task Data_fetch_passes_name_folder_and_mirror_to_the_fetcher()
    {
        // Prepare
        (string Name, string Dir, Uri? Mirror)? seen = null;
        var services = new CliServices { FetchDataset = (name, dir, mirror, _) => { seen = (name, dir, mirror); return Task.CompletedTask; } };

        // Execute
        var run = await Run(services, "data", "fetch", "mnist", "--to", "some/dir", "--mirror", "https://mirror.example/datasets/");

        // Assert
        Assert.Equal(0, run.Exit);
        Assert.Equal(("mnist", Path.GetFullPath("some/dir"), new Uri("https://mirror.example/datasets/")), seen);
    }

    [Fact]
    public async Task Cancelled_run_exits_130()
    {
        // Prepare
        string path = _files.Write("cancel.yaml", "name: cancel\n");
        using var cts = new CancellationTokenSource();
        var services = new CliServices
        {
            RunExperiment = (_, _, _, ct) => { cts.Cancel(); ct.ThrowIfCancellationRequested(); return Task.FromResult(new RunOutcome("", [])); },
        };

        // Execute
        int exit = await FedSimCli.RunAsync(["run", path], new StringWriter(), new StringWriter(), services, cts.Token);

        // Assert
        Assert.Equal(ExitCodes.Cancelled, exit);
    }

    [Fact]
    public async Task Interrupted_run_says_so_in_one_line_with_the_rounds_kept_and_exits_130()
    {
        // Prepare: the runner stops after 3 of 10 rounds when the token is cancelled.
        string path = _files.Write("interrupted.yaml", "name: cut\ntraining:\n  rounds: 10\n");
        using var cts = new CancellationTokenSource();
        var reports = Enumerable.Range(1, 3).Select(r => new RoundReport(r, null, null, 1, 0, 1, 1, 1, 1, 1, r, r)).ToList();
        var services = new CliServices
        {
            RunExperiment = (_, _, _, _) =>
            {
                cts.Cancel();
                return Task.FromResult(new RunOutcome("/tmp/results/cut", reports, null, RunStatuses.Interrupted));
            },
        };
        var stderr = new StringWriter();

        // Execute
        int exit = await FedSimCli.RunAsync(["run", path], new StringWriter(), stderr, services, cts.Token);

        // Assert
        Assert.Equal(ExitCodes.Cancelled, exit);
        Assert.Equal("fedsim: interrupted after 3 of 10 rounds; the finished rounds are in /tmp/results/cut (summary.json: \"status\": \"interrupted\"); " +
                     $"continue with `fedsim run {path} --output /tmp/results/cut --resume`",
            stderr.ToString().Trim());
    }

    [Fact]
    public async Task A_failure_caused_by_the_stop_is_reported_as_the_interruption_alone()
    {
        // Prepare: cancelling made something fail on its way out (a disposed pool, a cancelled wait).
        string path = _files.Write("stop-failure.yaml", "name: stop\n");
        using var cts = new CancellationTokenSource();
        var services = new CliServices
        {
            Debug = false,
            RunExperiment = (_, _, _, _) => { cts.Cancel(); throw new ObjectDisposedException("ComputePool"); },
        };
        var stderr = new StringWriter();

        // Execute
        int exit = await FedSimCli.RunAsync(["run", path], new StringWriter(), stderr, services, cts.Token);

        // Assert
        Assert.Equal(ExitCodes.Cancelled, exit);
        Assert.Equal("fedsim: interrupted", stderr.ToString().Trim());
    }

    [Fact]
    public async Task Overwrite_flag_reaches_the_runner()
    {
        string path = _files.Write("overwrite.yaml", "name: again\n");
        RunOptions? seen = null;
        var services = new CliServices { RunExperiment = (_, _, options, _) => { seen = options; return Task.FromResult(new RunOutcome("", [])); } };

        var run = await Run(services, "run", path, "--overwrite");

        Assert.Equal(0, run.Exit);
        Assert.True(seen!.Overwrite);
    }
}
