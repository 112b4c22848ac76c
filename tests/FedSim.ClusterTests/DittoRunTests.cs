using FedSim.Scenarios.Cli;
using FedSim.Scenarios.Compare;
using FedSim.Scenarios.Reports;

namespace FedSim.ClusterTests;

/// <summary>
/// Ditto end to end: the personal models live in the devices' stored state, so a run must repeat exactly whatever the
/// pool's cohort size, continue with <c>--resume</c> to the numbers of an uninterrupted run, and show in comparisons.
/// </summary>
public sealed class DittoRunTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("fedsim-ditto-").FullName;

    public void Dispose()
    {
        try { Directory.Delete(_folder, recursive: true); } catch (IOException) { }
    }

    private const string Scenario = """
        name: ditto
        seed: 5
        devices: 16
        dataset:
          kind: synthetic
          samples: 6000
          partition:
            kind: dirichlet
            alpha: 0.3
        model:
          kind: mlp
          hidden: [32]
        training:
          rounds: 10
          devices_per_round: 6
          local_epochs: 2
          batch_size: 10
          learning_rate: 0.05
        evaluation:
          every: 2
          per_device: true
        personalization:
          kind: ditto
          local_steps: 10
          lambda: 0.1
        """;

    [Fact]
    public async Task A_ditto_run_repeats_exactly_in_cohorts_of_one_and_resumes_to_the_uninterrupted_numbers()
    {
        // Prepare
        string scenario = Path.Combine(_folder, "ditto.yaml");
        await File.WriteAllTextAsync(scenario, Scenario);
        string reference = Path.Combine(_folder, "reference"), alone = Path.Combine(_folder, "alone"), resumed = Path.Combine(_folder, "resumed");

        // Execute: the reference; every job in a cohort of its own; and a run interrupted after two rounds, then resumed.
        int referenceExit = await FedSimCli.RunAsync(["run", scenario, "--output", reference, "--quiet"], TextWriter.Null, TextWriter.Null);
        int aloneExit = await FedSimCli.RunAsync(["run", scenario, "--output", alone, "--quiet", "--set", "compute.cohort_size=1"], TextWriter.Null, TextWriter.Null);
        using var stop = new CancellationTokenSource();
        string metrics = Path.Combine(resumed, MetricsCsv.FileName);
        var stopper = Task.Run(async () =>
        {
            while (!File.Exists(metrics) || File.ReadAllLines(metrics).Length < 1 + 2) await Task.Delay(5);
            await stop.CancelAsync();
        });
        int interruptedExit = await FedSimCli.RunAsync(["run", scenario, "--output", resumed, "--quiet"], TextWriter.Null, TextWriter.Null, cancellationToken: stop.Token);
        await stopper;
        int roundsBefore = MetricsCsv.Read(metrics).Count;
        var err = new StringWriter();
        int resumeExit = await FedSimCli.RunAsync(["run", scenario, "--output", resumed, "--quiet", "--resume"], TextWriter.Null, err);

        // Assert
        Assert.Equal((0, 0, 130), (referenceExit, aloneExit, interruptedExit));
        Assert.InRange(roundsBefore, 2, 9);
        Assert.True(resumeExit == 0, err.ToString());
        string expected = MetricsCsv.WithoutWallTime(await File.ReadAllTextAsync(Path.Combine(reference, MetricsCsv.FileName)));
        foreach (string run in new[] { alone, resumed })
        {
            Assert.Equal(expected, MetricsCsv.WithoutWallTime(await File.ReadAllTextAsync(Path.Combine(run, MetricsCsv.FileName))));
            Assert.Equal(await File.ReadAllTextAsync(Path.Combine(reference, DeviceAccuracyCsv.FileName)),
                         await File.ReadAllTextAsync(Path.Combine(run, DeviceAccuracyCsv.FileName)));
        }
        // The personal models are the devices' own: somewhere they score differently from the global model.
        var last = MetricsCsv.Read(Path.Combine(reference, MetricsCsv.FileName))[^1];
        Assert.NotEqual(last.Metric(Rounds.DeviceEvaluationStage.MeanMetric), last.Metric(Rounds.PersonalizationStage.Metric + "_mean"));
    }

    [Fact]
    public async Task A_comparison_reports_the_personalized_accuracy_of_ditto_runs_beside_the_global_models()
    {
        // Prepare
        string file = Path.Combine(_folder, "sweep.yaml");
        await File.WriteAllTextAsync(file, """
            name: ditto-sweep
            scenario:
              name: tiny
              devices: 12
              dataset:
                kind: synthetic
                samples: 2000
              model:
                kind: logistic
              training:
                rounds: 3
                devices_per_round: 6
              evaluation:
                per_device: true
            grid:
              personalization: [{local_steps: 0}, {kind: ditto, local_steps: 5, lambda: 0.5}]
            seeds: [1]
            """);
        string output = Path.Combine(_folder, "compare");
        var stdout = new StringWriter();

        // Execute
        int exit = await FedSimCli.RunAsync(["compare", file, "--output", output], stdout, TextWriter.Null);

        // Assert: the global model's columns for both, the personalized ones for the Ditto row only.
        Assert.Equal(0, exit);
        var lines = (await File.ReadAllTextAsync(Path.Combine(output, CompareCsv.FileName))).TrimEnd('\n').Split('\n');
        var header = lines[0].Split(',');
        // Counted from the end: the grid's cells are quoted mappings with commas inside.
        string Cell(int line, string column) => lines[line].Split(',')[^(header.Length - Array.IndexOf(header, column))];
        Assert.Equal(3, lines.Length);
        Assert.NotEqual("", Cell(1, "device_accuracy_p10"));
        Assert.Equal("", Cell(1, "personalized_accuracy_p10"));
        Assert.NotEqual("", Cell(2, "personalized_accuracy_mean"));
        Assert.NotEqual("", Cell(2, "personalized_accuracy_p10"));
        // The printed table's p10 column (its header wraps in a narrow console) holds the same figure.
        Assert.Contains(string.Create(System.Globalization.CultureInfo.InvariantCulture,
            $"{double.Parse(Cell(2, "personalized_accuracy_p10"), System.Globalization.CultureInfo.InvariantCulture):0.0000}"), stdout.ToString());
    }
}
