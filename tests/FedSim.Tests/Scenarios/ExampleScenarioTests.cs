using FedSim.Scenario;
using FedSim.Scenarios.Cli;
using FedSim.Scenarios.Configuration;
using FedSim.Data;

namespace FedSim.Tests.Scenarios;

/// <summary>
/// The shipped examples are the files listed in the table of examples/README.md: each must exist, validate and be
/// named like its file. Any other .yaml a researcher drops into examples/ is theirs and is not checked here (so adding
/// your own scenario never breaks the tests); `fedsim validate` checks it.
/// </summary>
public sealed class ExampleScenarioTests
{
    /// <summary>File names in the first column of the examples README's table (rows like "| `quickstart.yaml` | ... |").</summary>
    public static IReadOnlyList<string> ShippedExamples()
    {
        var readme = File.ReadAllLines(Path.Combine(ScenarioTestFiles.ExamplesDirectory, "README.md"));
        return readme.Select(l => System.Text.RegularExpressions.Regex.Match(l, @"^\| `([^`]+\.yaml)` \|"))
            .Where(m => m.Success).Select(m => m.Groups[1].Value).ToList();
    }

    public static TheoryData<string> Examples()
    {
        var data = new TheoryData<string>();
        foreach (var file in ShippedExamples().Order()) data.Add(file);
        return data;
    }

    [Theory]
    [MemberData(nameof(Examples))]
    public void Example_scenario_validates(string example)
    {
        // Prepare
        string path = Path.Combine(ScenarioTestFiles.ExamplesDirectory, example);

        // Execute
        var result = ScenarioLoader.Load(path);

        // Assert
        Assert.True(result.Succeeded, string.Join("\n", result.Errors));
        Assert.Equal(Path.GetFileNameWithoutExtension(example), result.Spec!.Name);
    }

    [Fact]
    public void The_expected_examples_are_listed_and_exist()
    {
        var listed = ShippedExamples();
        Assert.Contains("quickstart.yaml", listed);
        Assert.Contains("mnist-iid-fedavg.yaml", listed);
        Assert.Contains("mnist-pathological-fedavg.yaml", listed);
        Assert.Contains("femnist-cnn.yaml", listed);
        Assert.Contains("csv-bank-branches.yaml", listed);
        Assert.Contains("location-attack.yaml", listed);
        Assert.Contains("location-attack-dp-eps2.yaml", listed);
        Assert.Contains("location-attack-secagg.yaml", listed);
        Assert.All(listed, f => Assert.True(File.Exists(Path.Combine(ScenarioTestFiles.ExamplesDirectory, f)), $"{f} is listed in examples/README.md but missing"));
    }

    [Fact]
    public void Mnist_examples_point_at_the_shared_datasets_next_to_the_checkout()
    {
        // Prepare
        string expected = Path.GetFullPath(Path.Combine(ScenarioTestFiles.RepositoryRoot, "..", "shared", "datasets", "mnist"));

        // Execute
        var result = ScenarioLoader.Load(Path.Combine(ScenarioTestFiles.ExamplesDirectory, "mnist-iid-fedavg.yaml"));

        // Assert
        Assert.Equal(expected, ScenarioPaths.ResolveDatasetPath(result.Spec!.Dataset, result.BaseDirectory));
    }

    [Fact]
    public void Mnist_fedavg_example_matches_the_paper_setup()
    {
        // Execute: McMahan et al. 2017, MNIST 2NN, C=0.1, E=1, B=10.
        var spec = ScenarioLoader.Load(Path.Combine(ScenarioTestFiles.ExamplesDirectory, "mnist-iid-fedavg.yaml")).GetSpecOrThrow();

        // Assert
        Assert.Equal(100, spec.Devices);
        Assert.Equal([200, 200], spec.Model.Hidden);
        Assert.Equal(10, spec.Training.DevicesPerRound);
        Assert.Equal(1, spec.Training.LocalEpochs);
        Assert.Equal(10, spec.Training.BatchSize);
        Assert.Equal(0.1, spec.Training.LearningRate);
        Assert.Equal(200, spec.Training.Rounds);
        Assert.Equal(PartitionKinds.Iid, spec.Dataset.Partition.Kind);
    }

    [Fact]
    public async Task Validate_command_accepts_all_examples_at_once()
    {
        // Prepare
        string[] files = ShippedExamples().Select(f => Path.Combine(ScenarioTestFiles.ExamplesDirectory, f)).ToArray();
        var stdout = new StringWriter();
        var stderr = new StringWriter();

        // Execute
        int exit = await FedSimCli.RunAsync(["validate", .. files], stdout, stderr);

        // Assert
        Assert.Equal(0, exit);
        Assert.Equal("", stderr.ToString());
        foreach (var file in files) Assert.Contains($"{file}: ok", stdout.ToString());
    }

    [Fact]
    public void Examples_readme_field_table_matches_the_model()
    {
        // Prepare: regenerate with `fedsim schema --format markdown` when this fails.
        string readme = File.ReadAllText(Path.Combine(ScenarioTestFiles.ExamplesDirectory, "README.md")).ReplaceLineEndings("\n");

        // Execute
        string table = ScenarioSchema.MarkdownFieldTable();

        // Assert
        Assert.Contains(table, readme);
    }
}
