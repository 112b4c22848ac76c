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
        Assert.Equal(summary.Dataset!.TrainSamples, summary.DataQuality!.TrainSamples);
        Assert.Equal(summary.Devices, summary.DataQuality.Devices.Devices);
    }

    [Fact]
    public async Task A_run_records_the_files_it_read_with_their_hashes_and_saves_only_the_dataset_keys_its_kind_reads()
    {
        // Prepare: Fashion-MNIST without dataset.path, read from Debian's dataset-fashion-mnist folder (.ci/run installs it).
        if (!Directory.Exists(FedSim.Scenarios.Configuration.ScenarioPaths.FashionMnistDefault))
        {
            Assert.Null(Environment.GetEnvironmentVariable("CI")); // CI installs the package: this test must run there
            return;
        }
        string scenario = Path.Combine(_folder, "fashion.yaml");
        await File.WriteAllTextAsync(scenario, """
            name: fashion
            devices: 60
            dataset:
              kind: fashion-mnist
            model:
              kind: logistic
            training:
              rounds: 1
              devices_per_round: 2
            evaluation:
              max_samples: 200
            """);
        string output = Path.Combine(_folder, "fashion");

        // Execute
        int exit = await FedSimCli.RunAsync(["run", scenario, "--output", output, "--quiet"], TextWriter.Null, TextWriter.Null);

        // Assert: the four IDX files, each with its size and SHA-256 as computed here from its bytes
        Assert.Equal(0, exit);
        var provenance = SummaryJson.Read(Path.Combine(output, "summary.json")).Provenance!;
        string folder = FedSim.Data.DatasetCatalog.FindInWellKnownPlaces("fashion-mnist")!;
        Assert.Equal(4, provenance.Files.Count);
        foreach (var file in provenance.Files)
        {
            Assert.Equal("dataset", file.Role);
            Assert.Equal(folder, Path.GetDirectoryName(file.Path));
            Assert.Equal(new FileInfo(file.Path).Length, file.Bytes);
            Assert.Equal(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(file.Path))), file.Sha256);
        }
        Assert.Matches("^[0-9a-f]{40}$", provenance.Commit);
        Assert.StartsWith("libtorch-cpu-linux-x64 ", provenance.Libtorch);
        Assert.True(File.Exists(provenance.LibtorchFile), provenance.LibtorchFile);
        Assert.Contains("Math Kernel Library", provenance.Blas); // NuGet's libtorch carries MKL
        Assert.Equal("cpu", provenance.ComputeDevice);
        Assert.Contains(scenario, provenance.CommandLine);
        var saved = await File.ReadAllTextAsync(Path.Combine(output, "scenario.yaml"));
        Assert.Contains($"path: {folder}\n", saved);
        Assert.DoesNotContain("samples:", saved.Replace("max_samples:", "", StringComparison.Ordinal).Replace("min_samples:", "", StringComparison.Ordinal));
        Assert.DoesNotContain("test_fraction:", saved.Replace("device_test_fraction:", "", StringComparison.Ordinal));
        Assert.DoesNotContain("label_column:", saved);
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

    [Fact]
    public async Task A_folder_holding_results_is_refused_and_overwrite_leaves_nothing_of_the_earlier_run()
    {
        // Prepare: a finished run, and a note of the user's in the same folder.
        string scenario = Path.Combine(_folder, "tiny.yaml");
        await File.WriteAllTextAsync(scenario, TinyScenario);
        string output = Path.Combine(_folder, "owned");
        Assert.Equal(0, await FedSimCli.RunAsync(["run", scenario, "--output", output, "--quiet"], TextWriter.Null, TextWriter.Null));
        await File.WriteAllTextAsync(Path.Combine(output, "notes.txt"), "mine");
        string firstMetrics = await File.ReadAllTextAsync(Path.Combine(output, "metrics.csv"));

        // Execute: again without --overwrite, then with it but interrupted before its first round.
        var refusal = new StringWriter();
        int refused = await FedSimCli.RunAsync(["run", scenario, "--output", output, "--seed", "7", "--quiet"], TextWriter.Null, refusal);
        string metricsAfterRefusal = await File.ReadAllTextAsync(Path.Combine(output, "metrics.csv"));
        using var interrupt = new CancellationTokenSource();
        interrupt.Cancel();
        var interruptedErr = new StringWriter();
        int interrupted = await FedSimCli.RunAsync(["run", scenario, "--output", output, "--seed", "7", "--overwrite", "--quiet"],
            TextWriter.Null, interruptedErr, cancellationToken: interrupt.Token);

        // Assert: the refusal touched nothing; the overwrite removed every file of the first run before writing its own.
        Assert.Equal(2, refused);
        Assert.Contains("--overwrite", refusal.ToString());
        Assert.Contains("completed run (3 of 3 rounds)", refusal.ToString());
        Assert.Equal(firstMetrics, metricsAfterRefusal);
        Assert.Equal(130, interrupted);
        Assert.Single(interruptedErr.ToString().Trim().Split('\n'));
        var summary = SummaryJson.Read(Path.Combine(output, "summary.json"));
        Assert.Equal((RunStatuses.Interrupted, 0, 7UL), (summary.Status, summary.Rounds, summary.Seed));
        Assert.Equal(
            [".fedsim.lock", "fedsim.log", "notes.txt", "report.html", "scenario.yaml", "summary.json"],
            Directory.GetFiles(output).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        Assert.Contains("seed: 7", await File.ReadAllTextAsync(Path.Combine(output, "scenario.yaml")));
    }

    [Fact]
    public async Task A_run_stopped_before_its_first_round_is_replaced_without_overwrite()
    {
        // Prepare: a bad dataset fails before any folder exists; a run interrupted while starting leaves an
        // "interrupted" summary with no rounds.
        string bad = Path.Combine(_folder, "bad.yaml");
        await File.WriteAllTextAsync(Path.Combine(_folder, "digits.csv"), "a,b\nx,y\n");
        await File.WriteAllTextAsync(bad, "name: m\ndataset:\n  kind: sklearn-digits\n  path: digits.csv\n");
        string good = Path.Combine(_folder, "tiny.yaml");
        await File.WriteAllTextAsync(good, TinyScenario);
        string output = Path.Combine(_folder, "retry");
        var badErr = new StringWriter();
        Assert.Equal(2, await FedSimCli.RunAsync(["run", bad, "--output", output, "--quiet"], TextWriter.Null, badErr));
        bool folderAfterBadData = Directory.Exists(output);
        using var interrupt = new CancellationTokenSource();
        interrupt.Cancel();
        Assert.Equal(130, await FedSimCli.RunAsync(["run", good, "--output", output, "--quiet"], TextWriter.Null, TextWriter.Null, cancellationToken: interrupt.Token));
        var stopped = SummaryJson.Read(Path.Combine(output, "summary.json"));

        // Execute
        int exit = await FedSimCli.RunAsync(["run", good, "--output", output, "--quiet"], TextWriter.Null, TextWriter.Null);

        // Assert
        Assert.False(folderAfterBadData, "a dataset that does not parse must fail before the results folder is made");
        Assert.Contains("digits.csv:1", badErr.ToString());
        Assert.Equal((RunStatuses.Interrupted, 0), (stopped.Status, stopped.Rounds));
        Assert.Equal(0, exit);
        Assert.Equal(RunStatuses.Completed, SummaryJson.Read(Path.Combine(output, "summary.json")).Status);
    }

    [Fact]
    public async Task A_copied_results_folder_reruns_into_itself_and_leaves_the_original_alone()
    {
        // Prepare: a run whose scenario names its output relative to the file, then a copy of its results folder.
        string project = Path.Combine(_folder, "project");
        Directory.CreateDirectory(project);
        string scenario = Path.Combine(project, "tiny.yaml");
        await File.WriteAllTextAsync(scenario, TinyScenario + "\noutput: results/tiny\n");
        Assert.Equal(0, await FedSimCli.RunAsync(["run", scenario, "--quiet"], TextWriter.Null, TextWriter.Null));
        string original = Path.Combine(project, "results", "tiny");
        string copy = Path.Combine(_folder, "copy");
        Directory.CreateDirectory(copy);
        foreach (string file in Directory.GetFiles(original).Where(f => !f.EndsWith(".lock", StringComparison.Ordinal)))
            File.Copy(file, Path.Combine(copy, Path.GetFileName(file)));
        string originalSummary = await File.ReadAllTextAsync(Path.Combine(original, "summary.json"));

        // Execute
        int exit = await FedSimCli.RunAsync(["run", Path.Combine(copy, "scenario.yaml"), "--overwrite", "--quiet"], TextWriter.Null, TextWriter.Null);

        // Assert
        Assert.Contains("output: .", await File.ReadAllTextAsync(Path.Combine(original, "scenario.yaml")));
        Assert.Equal(0, exit);
        Assert.Equal(originalSummary, await File.ReadAllTextAsync(Path.Combine(original, "summary.json")));
        Assert.Equal(MetricsCsv.WithoutWallTime(await File.ReadAllTextAsync(Path.Combine(original, "metrics.csv"))),
                     MetricsCsv.WithoutWallTime(await File.ReadAllTextAsync(Path.Combine(copy, "metrics.csv"))));
        Assert.False(Directory.Exists(Path.Combine(copy, "results")));
    }

    [Fact]
    public async Task A_finished_run_leaves_only_files_the_results_folder_knows_it_writes()
    {
        // Prepare
        string scenario = Path.Combine(_folder, "tiny.yaml");
        await File.WriteAllTextAsync(scenario, TinyScenario);
        string output = Path.Combine(_folder, "known");

        // Execute
        Assert.Equal(0, await FedSimCli.RunAsync(["run", scenario, "--output", output, "--quiet"], TextWriter.Null, TextWriter.Null));

        // Assert: --overwrite clears exactly ResultsFolder.RunFileNames, so an output missing from it would survive a clear.
        var written = Directory.GetFiles(output).Select(Path.GetFileName).Where(n => n != ".fedsim.lock");
        Assert.All(written, name => Assert.Contains(name, ResultsFolder.RunFileNames));
    }

    public void Dispose() => Directory.Delete(_folder, recursive: true);
}
