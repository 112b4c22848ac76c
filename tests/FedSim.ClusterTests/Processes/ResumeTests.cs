using FedSim.Scenarios.Reports;

namespace FedSim.ClusterTests.Processes;

/// <summary>
/// A real <c>fedsim run</c> killed outright (SIGKILL: no handler, no summary) or interrupted, then continued with
/// <c>--resume</c>, ends with exactly the metrics.csv an uninterrupted run writes (wall time aside).
/// </summary>
[Collection(nameof(ProcessCollection))]
public sealed class ResumeTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("fedsim-resume-").FullName;

    public void Dispose()
    {
        try { Directory.Delete(_folder, recursive: true); } catch (IOException) { }
    }

    /// <summary>Device state and server state (SCAFFOLD) and dropouts: everything a resume must restore.</summary>
    private static readonly string Scenario = ProcessScenarios.Scaffold("resumable", rounds: 14, dropout: 0.1);

    [Theory]
    [InlineData(FedSimProcess.SigKill)]
    [InlineData(FedSimProcess.SigInt)]
    public async Task A_run_stopped_mid_way_and_resumed_ends_with_the_uninterrupted_metrics(int signal)
    {
        // Prepare: the uninterrupted reference, in-process.
        string scenario = Path.Combine(_folder, "resumable.yaml");
        await File.WriteAllTextAsync(scenario, Scenario);
        string reference = Path.Combine(_folder, "reference"), resumed = Path.Combine(_folder, $"resumed-{signal}");
        Assert.Equal(0, await Scenarios.Cli.FedSimCli.RunAsync(["run", scenario, "--output", reference, "--quiet"], TextWriter.Null, TextWriter.Null));

        // Execute: stop a real process once a few rounds are on disk, then resume it.
        using (var fedsim = FedSimProcess.Start(_folder, "run", scenario, "--output", resumed, "--quiet"))
        {
            string metrics = Path.Combine(resumed, MetricsCsv.FileName);
            var wait = System.Diagnostics.Stopwatch.StartNew();
            // The wait ends at the fourth round; its bound only matters on a machine loaded by other work.
            while (wait.Elapsed < TimeSpan.FromMinutes(5) && (!File.Exists(metrics) || File.ReadAllLines(metrics).Length < 1 + 4))
                await Task.Delay(20);
            Assert.True(fedsim.Signal(signal), "the run ended before it could be stopped:\n" + fedsim.Transcript());
            await fedsim.WaitForExitAsync(TimeSpan.FromSeconds(60));
        }
        int roundsBefore = MetricsCsv.Read(Path.Combine(resumed, MetricsCsv.FileName)).Count;
        var refusal = new StringWriter();
        int refused = await Scenarios.Cli.FedSimCli.RunAsync(["run", scenario, "--output", resumed, "--quiet"], TextWriter.Null, refusal);
        var err = new StringWriter();
        int exit = await Scenarios.Cli.FedSimCli.RunAsync(["run", scenario, "--output", resumed, "--resume", "--quiet"], TextWriter.Null, err);

        // Assert
        Assert.InRange(roundsBefore, 4, 13);
        Assert.Equal(2, refused);
        Assert.Contains("--resume", refusal.ToString());
        Assert.True(exit == 0, err.ToString());
        Assert.Equal(MetricsCsv.WithoutWallTime(await File.ReadAllTextAsync(Path.Combine(reference, MetricsCsv.FileName))),
                     MetricsCsv.WithoutWallTime(await File.ReadAllTextAsync(Path.Combine(resumed, MetricsCsv.FileName))));
        Assert.Equal(await File.ReadAllTextAsync(Path.Combine(reference, FailuresCsv.FileName)),
                     await File.ReadAllTextAsync(Path.Combine(resumed, FailuresCsv.FileName)));
        Assert.Equal(RunStatuses.Completed, SummaryJson.Read(Path.Combine(resumed, SummaryJson.FileName)).Status);
    }

    [Fact]
    public async Task Resume_refuses_a_folder_with_another_scenario_or_nothing_to_resume()
    {
        string scenario = Path.Combine(_folder, "resumable.yaml");
        await File.WriteAllTextAsync(scenario, ProcessScenarios.Scaffold("resumable", rounds: 2, dropout: 0.1));
        string done = Path.Combine(_folder, "done");
        Assert.Equal(0, await Scenarios.Cli.FedSimCli.RunAsync(["run", scenario, "--output", done, "--quiet"], TextWriter.Null, TextWriter.Null));

        var complete = new StringWriter();
        int completeExit = await Scenarios.Cli.FedSimCli.RunAsync(["run", scenario, "--output", done, "--resume", "--quiet"], TextWriter.Null, complete);
        var empty = new StringWriter();
        int emptyExit = await Scenarios.Cli.FedSimCli.RunAsync(["run", scenario, "--output", Path.Combine(_folder, "none"), "--resume", "--quiet"], TextWriter.Null, empty);
        var both = new StringWriter();
        int bothExit = await Scenarios.Cli.FedSimCli.RunAsync(["run", scenario, "--resume", "--overwrite"], TextWriter.Null, both);

        Assert.Equal((2, 2, 2), (completeExit, emptyExit, bothExit));
        Assert.Contains("already complete", complete.ToString());
        Assert.Contains("no run to resume", empty.ToString());
        Assert.Contains("exclude each other", both.ToString());
    }
}
