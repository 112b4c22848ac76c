using FedSim.Scenarios.Cli;
using FedSim.Scenarios.Reports;

namespace FedSim.ClusterTests;

/// <summary>`fedsim run` end to end: scenario file → embedded silo → results folder.</summary>
public sealed class EmbeddedRunTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("fedsim-run-").FullName;

    private const string TinyScenario = """
        name: tiny
        seed: 4
        devices: 12
        dataset:
          kind: synthetic
          samples: 2000
          partition:
            kind: dirichlet
            alpha: 0.3
        model:
          kind: logistic
        training:
          rounds: 3
          devices_per_round: 4
          batch_size: 8
          learning_rate: 0.1
        evaluation:
          every: 2
        """;

    [Fact]
    public async Task Run_writes_every_result_file_and_repeats_exactly()
    {
        // Prepare
        string scenario = Path.Combine(_folder, "tiny.yaml");
        await File.WriteAllTextAsync(scenario, TinyScenario);
        string first = Path.Combine(_folder, "first"), second = Path.Combine(_folder, "second");

        // Execute
        int exitA = await FedSimCli.RunAsync(["run", scenario, "--output", first, "--quiet"], TextWriter.Null, TextWriter.Null);
        int exitB = await FedSimCli.RunAsync(["run", scenario, "--output", second, "--quiet"], TextWriter.Null, TextWriter.Null);

        // Assert
        Assert.Equal((0, 0), (exitA, exitB));
        foreach (var file in new[] { "scenario.yaml", "metrics.csv", "summary.json", "metrics.png", "devices.csv" })
            Assert.True(File.Exists(Path.Combine(first, file)), $"{file} missing");
        var metrics = MetricsCsv.Read(Path.Combine(first, "metrics.csv"));
        Assert.Equal([1, 2, 3], metrics.Select(r => r.Round));
        Assert.Null(metrics[0].TestAccuracy); // evaluated every 2 rounds, and always the last
        Assert.NotNull(metrics[1].TestAccuracy);
        Assert.NotNull(metrics[2].TestAccuracy);
        Assert.Equal(MetricsCsv.WithoutWallTime(await File.ReadAllTextAsync(Path.Combine(first, "metrics.csv"))),
                     MetricsCsv.WithoutWallTime(await File.ReadAllTextAsync(Path.Combine(second, "metrics.csv"))));
        var summary = SummaryJson.Read(Path.Combine(first, "summary.json"));
        Assert.Equal(metrics[2].TestAccuracy, summary.FinalAccuracy);
        Assert.Equal(4UL, summary.Seed);
        Assert.NotNull(summary.DataQuality); // the data-quality summary of the training data
        Assert.Equal(summary.Dataset.TrainSamples, summary.DataQuality!.TrainSamples);
        Assert.Equal(summary.Devices, summary.DataQuality.Devices.Devices);
    }

    [Fact]
    public async Task Seed_flag_overrides_the_file_and_is_recorded_in_the_scenario_as_run()
    {
        string scenario = Path.Combine(_folder, "tiny.yaml");
        await File.WriteAllTextAsync(scenario, TinyScenario);
        string output = Path.Combine(_folder, "seeded");

        int exit = await FedSimCli.RunAsync(["run", scenario, "--output", output, "--seed", "99", "--quiet"], TextWriter.Null, TextWriter.Null);

        Assert.Equal(0, exit);
        Assert.Contains("seed: 99", await File.ReadAllTextAsync(Path.Combine(output, "scenario.yaml")));
        Assert.Equal(99UL, SummaryJson.Read(Path.Combine(output, "summary.json")).Seed);
    }

    [Fact]
    public async Task Missing_dataset_exits_2_with_where_to_get_it()
    {
        string scenario = Path.Combine(_folder, "mnist.yaml");
        await File.WriteAllTextAsync(scenario, "name: m\ndataset:\n  kind: mnist\n  path: no-such-folder\n");
        var stderr = new StringWriter();

        int exit = await FedSimCli.RunAsync(["run", scenario, "--quiet"], TextWriter.Null, stderr);

        Assert.Equal(2, exit);
        Assert.Contains("no-such-folder", stderr.ToString());
        Assert.Contains("fedsim data fetch mnist", stderr.ToString());
        Assert.DoesNotContain("   at ", stderr.ToString());
    }

    public void Dispose() => Directory.Delete(_folder, recursive: true);
}
