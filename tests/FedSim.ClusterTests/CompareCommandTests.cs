using FedSim.Scenarios.Cli;
using FedSim.Scenarios.Compare;
using FedSim.Scenarios.Reports;

namespace FedSim.ClusterTests;

/// <summary>`fedsim compare` end to end: a sweep of tiny synthetic runs on one shared silo.</summary>
public sealed class CompareCommandTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("fedsim-compare-").FullName;

    public void Dispose()
    {
        try { Directory.Delete(_folder, recursive: true); } catch (IOException) { }
    }

    private const string Sweep = """
        name: tiny-sweep
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
            batch_size: 8
            learning_rate: 0.1
        grid:
          strategy.aggregator.kind: [mean, median]
          byzantine: [null, {kind: sign-flip, fraction: 0.25}]
        seeds: [1, 2]
        target_accuracy: 0.5
        concurrency: 3
        """;

    [Fact]
    public async Task Compare_runs_every_configuration_and_seed_repeats_exactly_and_keeps_finished_runs()
    {
        // Prepare
        string file = Path.Combine(_folder, "sweep.yaml");
        await File.WriteAllTextAsync(file, Sweep);
        string first = Path.Combine(_folder, "first"), second = Path.Combine(_folder, "second");

        // Execute: two comparisons into two folders, then the first again (everything already finished).
        var out1 = new StringWriter();
        int exitA = await FedSimCli.RunAsync(["compare", file, "--output", first], out1, TextWriter.Null);
        int exitB = await FedSimCli.RunAsync(["compare", file, "--output", second], TextWriter.Null, TextWriter.Null);
        File.Delete(Path.Combine(first, "runs", "c01-mean-null", "seed-2", SummaryJson.FileName)); // as if that run had been interrupted
        var again = new StringWriter();
        int exitC = await FedSimCli.RunAsync(["compare", file, "--output", first], again, TextWriter.Null);

        // Assert
        Assert.Equal((0, 0, 0), (exitA, exitB, exitC));
        string csvA = await File.ReadAllTextAsync(Path.Combine(first, CompareCsv.FileName));
        string csvB = await File.ReadAllTextAsync(Path.Combine(second, CompareCsv.FileName));
        Assert.Equal(CompareCsv.WithoutWallTime(csvA), CompareCsv.WithoutWallTime(csvB));
        var lines = csvA.TrimEnd('\n').Split('\n');
        Assert.Equal(5, lines.Length); // header + 4 configurations
        Assert.StartsWith("config,strategy.aggregator.kind,byzantine,seeds,final_accuracy_mean,final_accuracy_ci95_low,final_accuracy_ci95_high", lines[0]);
        Assert.All(lines.Skip(1), l => Assert.Contains(",1 2,", l));
        foreach (var name in new[] { "accuracy.png", "final_accuracy.png", "report.html" })
            Assert.True(new FileInfo(Path.Combine(first, name)).Length > 1000, $"{name} is missing or empty");
        Assert.Equal(8, Directory.GetDirectories(Path.Combine(first, "runs"), "seed-*", SearchOption.AllDirectories).Length);
        Assert.Contains("8 run(s), 3 at a time", out1.ToString());
        Assert.Contains("(1 run(s) trained, 7 kept from before)", again.ToString());
        Assert.Equal(CompareCsv.WithoutWallTime(csvA), CompareCsv.WithoutWallTime(await File.ReadAllTextAsync(Path.Combine(first, CompareCsv.FileName))));
    }

    [Fact]
    public async Task A_bad_comparison_file_exits_2_with_the_location()
    {
        string file = Path.Combine(_folder, "bad.yaml");
        await File.WriteAllTextAsync(file, Sweep.Replace("strategy.aggregator.kind: [mean, median]", "strategy.aggregator.kind: [mean, medain]"));
        var err = new StringWriter();

        int exit = await FedSimCli.RunAsync(["compare", file, "--dry-run"], TextWriter.Null, err);

        Assert.Equal(2, exit);
        Assert.Contains("bad.yaml:16:36:", err.ToString()); // at the bad value
        Assert.Contains("did you mean 'median'", err.ToString());
    }
}

/// <summary>Relative paths in a comparison's base scenario resolve against the base file, whatever the current folder.</summary>
public sealed class CompareRelativePathTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("fedsim-compare-paths-").FullName;

    public void Dispose()
    {
        try { Directory.Delete(_folder, recursive: true); } catch (IOException) { }
    }

    [Fact]
    public async Task A_base_scenario_reads_its_dataset_relative_to_its_own_file()
    {
        // Prepare: base/scenario.yaml reads base/data.csv; the comparison lives elsewhere and so does the output.
        string baseDir = Directory.CreateDirectory(Path.Combine(_folder, "base")).FullName;
        var rows = new System.Text.StringBuilder("x,y,label\n");
        for (int i = 0; i < 200; i++) rows.Append($"{i % 7},{(i * 3) % 11},{i % 2}\n");
        await File.WriteAllTextAsync(Path.Combine(baseDir, "data.csv"), rows.ToString());
        await File.WriteAllTextAsync(Path.Combine(baseDir, "scenario.yaml"), """
            name: csv-base
            devices: 4
            dataset:
              kind: csv
              path: data.csv
            model:
              kind: logistic
            training:
              rounds: 2
              devices_per_round: 2
            """);
        string sweepDir = Directory.CreateDirectory(Path.Combine(_folder, "sweeps")).FullName;
        string file = Path.Combine(sweepDir, "sweep.yaml");
        await File.WriteAllTextAsync(file, "base: ../base/scenario.yaml\ngrid:\n  training.learning_rate: [0.05, 0.1]\n");
        string output = Path.Combine(_folder, "out");

        // Execute
        var err = new StringWriter();
        int exit = await FedSimCli.RunAsync(["compare", file, "--output", output], TextWriter.Null, err);
        var again = new StringWriter();
        int rerun = await FedSimCli.RunAsync(["compare", file, "--output", output], again, TextWriter.Null);

        // Assert
        Assert.True(exit == 0, err.ToString());
        Assert.Equal(3, File.ReadAllLines(Path.Combine(output, CompareCsv.FileName)).Length);
        Assert.Equal(0, rerun);
        Assert.Contains("(0 run(s) trained, 2 kept from before)", again.ToString());
    }
}
