using FedSim.Determinism;
using FedSim.Scenarios.Reports;

namespace FedSim.ClusterTests.Processes;

/// <summary>
/// Ctrl+C and SIGTERM sent to real <c>fedsim run</c> processes at random moments (start-up, first rounds, later):
/// the exit code a shell expects, exactly one line on stderr, no stack trace, no native crash, a consistent results
/// folder. Each test runs a few processes; <c>FEDSIM_SIGNAL_SOAK=N</c> runs N per test instead (the soak), with
/// <c>FEDSIM_SIGNAL_SOAK_SEED</c> choosing the moments and <c>FEDSIM_SIGNAL_SOAK_SCENARIO</c> another scenario file
/// (e.g. the MNIST example).
/// </summary>
[Collection(nameof(ProcessCollection))]
public sealed class ProcessSignalTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("fedsim-signal-").FullName;

    /// <summary>Long enough to be interrupted in any phase; small enough to start in about a second.</summary>
    internal const string LongScenario = """
        name: long
        seed: 3
        devices: 40
        dataset:
          kind: synthetic
          samples: 4000
          partition:
            kind: iid
        model:
          kind: mlp
          hidden: [64]
        training:
          rounds: 400
          devices_per_round: 10
          batch_size: 10
          learning_rate: 0.05
        """;

    private static readonly TimeSpan ExitTimeout = TimeSpan.FromSeconds(90);

    [Fact]
    public async Task First_signal_at_a_random_moment_stops_cleanly_with_one_line_and_exit_130_or_143()
    {
        // Prepare: moments spread over start-up (from launch) and the first rounds (from the first progress output).
        string scenario = Scenario();
        var random = new DeterministicRandom(SoakSeed());
        int attempts = SoakCount(defaultCount: 4);
        var failures = new List<string>();

        for (int attempt = 0; attempt < attempts; attempt++)
        {
            int signal = attempt % 2 == 0 ? FedSimProcess.SigInt : FedSimProcess.SigTerm;
            bool duringStartUp = attempt % 4 < 2;
            string output = Path.Combine(_folder, $"first-{attempt}");

            // Execute
            using var fedsim = FedSimProcess.Start(_folder, "run", scenario, "--output", output);
            string moment;
            if (duringStartUp)
            {
                int delay = random.NextInt(1500);
                await Task.Delay(delay);
                moment = $"{delay} ms after launch";
            }
            else
            {
                await fedsim.WaitForStdoutAsync(l => l.StartsWith("model:", StringComparison.Ordinal), ExitTimeout);
                int delay = random.NextInt(400);
                await Task.Delay(delay);
                moment = $"{delay} ms into the first rounds";
            }
            bool sent = fedsim.Signal(signal);
            int exit = await fedsim.WaitForExitAsync(ExitTimeout);

            // Assert (collected, so one run shows every attempt that went wrong)
            string what = $"attempt {attempt}: signal {signal} {moment}, exit {exit}";
            if (!sent) { failures.Add($"{what}: the process had ended before the signal\n{fedsim.Transcript()}"); continue; }
            int expected = signal == FedSimProcess.SigTerm ? 143 : 130;
            var problems = ProcessChecks.Problems(fedsim, exit, expected, output);
            if (problems.Count > 0) failures.Add($"{what}: {string.Join("; ", problems)}\n{fedsim.Transcript()}");
        }

        Assert.True(failures.Count == 0, string.Join("\n\n", failures));
    }

    [Fact]
    public async Task Second_signal_quits_at_once_with_one_line_and_no_crash()
    {
        // Prepare
        string scenario = Scenario();
        var random = new DeterministicRandom(SoakSeed() + 1);
        int attempts = SoakCount(defaultCount: 2);
        var failures = new List<string>();

        for (int attempt = 0; attempt < attempts; attempt++)
        {
            string output = Path.Combine(_folder, $"second-{attempt}");

            // Execute: the second Ctrl+C lands while the first is still being handled.
            using var fedsim = FedSimProcess.Start(_folder, "run", scenario, "--output", output);
            await fedsim.WaitForStdoutAsync(l => l.StartsWith("model:", StringComparison.Ordinal), ExitTimeout);
            await Task.Delay(random.NextInt(300));
            bool sent = fedsim.Signal(FedSimProcess.SigInt);
            await Task.Delay(random.NextInt(40));
            fedsim.Signal(FedSimProcess.SigInt);
            int exit = await fedsim.WaitForExitAsync(ExitTimeout);

            // Assert: 130 however far the first stop got; the folder may lack summary.json, but what is there is whole.
            string what = $"attempt {attempt}: exit {exit}";
            if (!sent) { failures.Add($"{what}: the process had ended before the signal"); continue; }
            var problems = ProcessChecks.Problems(fedsim, exit, 130, output, summaryRequired: false);
            if (problems.Count > 0) failures.Add($"{what}: {string.Join("; ", problems)}\n{fedsim.Transcript()}");
        }

        Assert.True(failures.Count == 0, string.Join("\n\n", failures));
    }

    [Fact]
    public async Task A_run_killed_outright_leaves_a_lock_the_next_run_takes_over()
    {
        // Prepare: a run killed with SIGKILL leaves its pid in .fedsim.lock and never releases it by itself.
        string scenario = Scenario();
        string output = Path.Combine(_folder, "killed");
        using (var killed = FedSimProcess.Start(_folder, "run", scenario, "--output", output))
        {
            Assert.True(await killed.WaitForStdoutAsync(l => l.Contains(" round 2/", StringComparison.Ordinal), ExitTimeout), killed.Transcript());
            killed.Signal(FedSimProcess.SigKill);
            await killed.WaitForExitAsync(ExitTimeout);
        }
        Assert.False(File.Exists(Path.Combine(output, SummaryJson.FileName)));

        // Execute: the folder holds the killed run's rounds, so replacing them takes --overwrite; the lock is no obstacle.
        using var next = FedSimProcess.Start(_folder, "run", scenario, "--output", output, "--overwrite");
        Assert.True(await next.WaitForStdoutAsync(l => l.StartsWith("model:", StringComparison.Ordinal), ExitTimeout), next.Transcript());
        next.Signal(FedSimProcess.SigInt);
        int exit = await next.WaitForExitAsync(ExitTimeout);

        // Assert
        Assert.True(exit == 130, $"exit {exit}\n{next.Transcript()}");
        Assert.Equal(RunStatuses.Interrupted, SummaryJson.Read(Path.Combine(output, SummaryJson.FileName)).Status);
    }

    [Fact]
    public async Task A_second_run_into_a_busy_folder_exits_2_naming_the_owner_pid()
    {
        // Prepare: a real run holds the folder.
        string scenario = Scenario();
        string output = Path.Combine(_folder, "busy");
        using var owner = FedSimProcess.Start(_folder, "run", scenario, "--output", output);
        Assert.True(await owner.WaitForStdoutAsync(l => l.StartsWith("model:", StringComparison.Ordinal), ExitTimeout), owner.Transcript());

        // Execute
        var stderr = new StringWriter();
        int exit = await FedSim.Scenarios.Cli.FedSimCli.RunAsync(["run", scenario, "--output", output, "--overwrite"], TextWriter.Null, stderr);
        owner.Signal(FedSimProcess.SigInt);
        int ownerExit = await owner.WaitForExitAsync(ExitTimeout);

        // Assert: refused before touching anything, even with --overwrite; the owner is unharmed.
        Assert.Equal(2, exit);
        Assert.Contains($"pid {owner.Pid}", stderr.ToString());
        Assert.Single(stderr.ToString().Trim().Split('\n'));
        var problems = ProcessChecks.Problems(owner, ownerExit, 130, output);
        Assert.True(problems.Count == 0, string.Join("; ", problems) + owner.Transcript());
    }

    [Fact]
    public async Task A_finished_quickstart_keeps_library_logs_off_stdout_and_logs_no_warning()
    {
        // Prepare: the shipped quickstart, shortened.
        string quickstart = Path.Combine(GoldenOutputTests.RepositoryRoot, "src", "Scenarios", "examples", "quickstart.yaml");
        string output = Path.Combine(_folder, "quickstart");

        // Execute
        using var fedsim = FedSimProcess.Start(_folder, "run", quickstart, "--set", "training.rounds=5", "--output", output);
        int exit = await fedsim.WaitForExitAsync(ExitTimeout);

        // Assert: logs are in the file, not on stdout or stderr; a clean run's log has no warning or
        // error (server GC on, a graceful stop); real warnings still show (the interrupted runs above log theirs).
        Assert.True(exit == 0, fedsim.Transcript());
        string log = File.ReadAllText(Path.Combine(output, "fedsim.log"));
        Assert.Contains(" INF FedSim.Coordination.ExperimentGrain", log);
        var warnings = log.Split('\n').Where(l => l.Contains(" WRN ", StringComparison.Ordinal) || l.Contains(" ERR ", StringComparison.Ordinal)
                                                  || l.Contains(" FTL ", StringComparison.Ordinal)).ToList();
        Assert.True(warnings.Count == 0, string.Join('\n', warnings));
        Assert.DoesNotContain(fedsim.Stderr, l => l.Trim().Length > 0);
        Assert.Contains(fedsim.Stdout, l => l.StartsWith("quickstart round 5/5", StringComparison.Ordinal));
        Assert.DoesNotContain(fedsim.Stdout, l => l.Contains("Orleans", StringComparison.Ordinal) || l.StartsWith("warn:", StringComparison.Ordinal));
        Assert.Equal(RunStatuses.Completed, SummaryJson.Read(Path.Combine(output, SummaryJson.FileName)).Status);
    }

    /// <summary>The scenario file the signal tests run (the soak may name another).</summary>
    private string Scenario()
    {
        if (Environment.GetEnvironmentVariable("FEDSIM_SIGNAL_SOAK_SCENARIO") is { Length: > 0 } chosen) return Path.GetFullPath(chosen);
        string path = Path.Combine(_folder, "long.yaml");
        File.WriteAllText(path, LongScenario);
        return path;
    }

    private static int SoakCount(int defaultCount) =>
        int.TryParse(Environment.GetEnvironmentVariable("FEDSIM_SIGNAL_SOAK"), out int n) && n > 0 ? n : defaultCount;

    private static ulong SoakSeed() =>
        ulong.TryParse(Environment.GetEnvironmentVariable("FEDSIM_SIGNAL_SOAK_SEED"), out ulong seed) ? seed : 20_261_201UL;

    public void Dispose()
    {
        try { Directory.Delete(_folder, recursive: true); }
        catch (IOException) { }
    }
}

/// <summary>Process tests start heavy programs: one at a time, never beside each other's runs.</summary>
[CollectionDefinition(nameof(ProcessCollection), DisableParallelization = true)]
public sealed class ProcessCollection;
