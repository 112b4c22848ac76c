using FedSim.Scenario;
using FedSim.Scenarios.Configuration;
using FedSim.Data;
using FedSim.Models;
using FedSim.Training;

namespace FedSim.Tests.Scenarios;

public sealed class ScenarioLoaderTests : IClassFixture<ScenarioTestFiles>
{
    private readonly ScenarioTestFiles _files;

    public ScenarioLoaderTests(ScenarioTestFiles files) => _files = files;

    [Fact]
    public void Valid_file_loads_and_keys_left_out_keep_their_defaults()
    {
        // Prepare
        const string yaml = "name: small\ntraining:\n  rounds: 3\n";
        var defaults = new ScenarioSpec();

        // Execute
        var result = ScenarioLoader.Parse(yaml, "small.yaml", _files.Directory);

        // Assert
        Assert.True(result.Succeeded, string.Join("\n", result.Errors));
        var spec = result.Spec!;
        Assert.Equal("small", spec.Name);
        Assert.Equal(3, spec.Training.Rounds);
        Assert.Equal(defaults.Training.DevicesPerRound, spec.Training.DevicesPerRound);
        Assert.Equal(defaults.Training.LearningRate, spec.Training.LearningRate);
        Assert.Equal(defaults.Devices, spec.Devices);
        Assert.Equal(defaults.Dataset.Kind, spec.Dataset.Kind);
        Assert.Equal(defaults.Model.Hidden, spec.Model.Hidden);
        Assert.Null(spec.Output); // the results/<name> default is resolved by ScenarioPaths, not the loader
    }

    [Fact]
    public void Snake_case_keys_map_to_their_properties()
    {
        // Prepare
        const string yaml = """
            seed: 18446744073709551615
            devices: 40
            dataset:
              test_fraction: 0.25
              samples: 4000
              partition:
                kind: shards
                shards_per_device: 3
                min_samples: 5
            model:
              hidden: [32, 16]
            training:
              devices_per_round: 7
              local_epochs: 2
              batch_size: 32
              learning_rate: 1e-2
              optimizer: momentum
            strategy:
              server_learning_rate: 0.5
            evaluation:
              every: 2
              max_samples: 500
            compute:
              device: cpu
              cohort_size: 16
              workers: 2
            output: out/here
            """;

        // Execute
        var spec = ScenarioLoader.Parse(yaml, "s.yaml", _files.Directory).GetSpecOrThrow();

        // Assert
        Assert.Equal(ulong.MaxValue, spec.Seed);
        Assert.Equal(40, spec.Devices);
        Assert.Equal(0.25, spec.Dataset.TestFraction);
        Assert.Equal(4000, spec.Dataset.Samples);
        Assert.Equal(PartitionKinds.Shards, spec.Dataset.Partition.Kind);
        Assert.Equal(3, spec.Dataset.Partition.ShardsPerDevice);
        Assert.Equal(5, spec.Dataset.Partition.MinSamples);
        Assert.Equal([32, 16], spec.Model.Hidden);
        Assert.Equal(7, spec.Training.DevicesPerRound);
        Assert.Equal(2, spec.Training.LocalEpochs);
        Assert.Equal(32, spec.Training.BatchSize);
        Assert.Equal(0.01, spec.Training.LearningRate);
        Assert.Equal(OptimizerKinds.Momentum, spec.Training.Optimizer);
        Assert.Equal(0.5, Assert.IsType<FedSim.Strategies.Algorithms.FedAvgOptions>(spec.Strategy).ServerLearningRate);
        Assert.Equal(2, spec.Evaluation.Every);
        Assert.Equal(500, spec.Evaluation.MaxSamples);
        Assert.Equal(ComputeDevices.Cpu, spec.Compute.Device);
        Assert.Equal(16, spec.Compute.CohortSize);
        Assert.Equal(2, spec.Compute.Workers);
        Assert.Equal("out/here", spec.Output);
    }

    [Fact]
    public void Model_exposes_every_property_as_a_documented_snake_case_key()
    {
        // Prepare
        var fields = ScenarioModel.AllFields.ToList();

        // Execute
        var undocumented = fields.Where(f => string.IsNullOrWhiteSpace(f.Description)).Select(f => f.Path).ToList();

        // Assert
        Assert.Empty(undocumented);
        Assert.All(fields, f => Assert.Matches("^[a-z][a-z0-9_]*$", f.Name));
        Assert.Contains(fields, f => f.Path == "training.devices_per_round" && f.Kind == FieldKind.Integer);
        Assert.Contains(fields, f => f.Path == "dataset.partition.shards_per_device");
        Assert.Contains(fields, f => f.Path == "output" && f.Nullable);
        Assert.Contains(fields, f => f.Path == "model.hidden" && f.Kind == FieldKind.List && f.ItemKind == FieldKind.Integer);
    }

    [Theory]
    [InlineData("DevicesPerRound", "devices_per_round")]
    [InlineData("Seed", "seed")]
    [InlineData("ServerLearningRate", "server_learning_rate")]
    [InlineData("HTTPServer", "http_server")]
    [InlineData("Layer2Width", "layer2_width")]
    public void Property_names_become_snake_case_keys(string property, string key)
    {
        Assert.Equal(key, ScenarioModel.SnakeCase(property));
    }

    [Fact]
    public void Every_rule_names_a_field_of_the_model()
    {
        // Prepare
        var paths = ScenarioModel.AllFields.Select(f => f.Path).ToHashSet();

        // Execute
        var orphans = ScenarioRules.Fields.Where(r => !paths.Contains(r.Path)).Select(r => r.Path).ToList();

        // Assert
        Assert.Empty(orphans);
        Assert.Equal(ScenarioRules.Fields.Count, ScenarioRules.Fields.Select(r => r.Path).Distinct().Count());
    }

    [Fact]
    public void Enum_like_fields_are_checked_against_their_kinds_arrays()
    {
        Assert.Equal(DatasetKinds.All, ScenarioRules.For("dataset.kind")!.AllowedValues);
        Assert.Equal(PartitionKinds.All, ScenarioRules.For("dataset.partition.kind")!.AllowedValues);
        Assert.Equal(ModelKinds.All, ScenarioRules.For("model.kind")!.AllowedValues);
        Assert.Equal(OptimizerKinds.All, ScenarioRules.For("training.optimizer")!.AllowedValues);
        Assert.Equal(ComputeDevices.All, ScenarioRules.For("compute.device")!.AllowedValues);
    }

    [Fact]
    public void Default_scenario_passes_every_rule()
    {
        // Prepare
        string yaml = ScenarioWriter.ToYaml(new ScenarioSpec());

        // Execute
        var result = ScenarioLoader.Parse(yaml, "defaults.yaml", _files.Directory);

        // Assert
        Assert.True(result.Succeeded, string.Join("\n", result.Errors));
    }

    [Fact]
    public void Relative_dataset_path_resolves_against_the_scenario_folder_not_the_current_directory()
    {
        // Prepare: the dataset sits next to the scenario, in a folder the current directory knows nothing of.
        Directory.CreateDirectory(Path.Combine(_files.Directory, "nested", "mnist-copy"));
        string path = _files.Write("nested/mnist.yaml", "dataset:\n  kind: mnist\n  path: mnist-copy\n");

        // Execute
        var result = ScenarioLoader.Load(path);

        // Assert
        Assert.True(result.Succeeded, string.Join("\n", result.Errors));
        Assert.Equal("mnist-copy", result.Spec!.Dataset.Path); // kept as written
        Assert.Equal(Path.Combine(_files.Directory, "nested", "mnist-copy"),
            ScenarioPaths.ResolveDatasetPath(result.Spec.Dataset, result.BaseDirectory));
    }

    [Fact]
    public void Missing_scenario_file_is_an_error_not_an_exception()
    {
        // Prepare
        string path = Path.Combine(_files.Directory, "does-not-exist.yaml");

        // Execute
        var result = ScenarioLoader.Load(path);

        // Assert
        var error = Assert.Single(result.Errors);
        Assert.Contains("scenario file not found", error.Message);
        Assert.Throws<ScenarioException>(() => result.GetSpecOrThrow());
    }

    [Fact]
    public void Resolving_for_a_run_applies_overrides_and_makes_paths_absolute_without_touching_the_original()
    {
        // Prepare
        var spec = ScenarioLoader.Parse("name: r\ndataset:\n  kind: mnist\n  path: data\n", "r.yaml", _files.Directory).GetSpecOrThrow();

        // Execute
        var resolved = ScenarioPaths.ResolveForRun(spec, _files.Directory, outputOverride: null, seedOverride: 42);

        // Assert
        Assert.Equal(42UL, resolved.Seed);
        Assert.Equal(Path.Combine(_files.Directory, "data"), resolved.Dataset.Path);
        Assert.Equal(Path.GetFullPath(Path.Combine("results", "r")), resolved.Output);
        Assert.Equal(1UL, spec.Seed);
        Assert.Equal("data", spec.Dataset.Path);
        Assert.Null(spec.Output);
    }

    [Fact]
    public void Output_written_in_the_file_resolves_against_the_file_and_the_cli_flag_wins()
    {
        // Prepare
        var spec = new ScenarioSpec { Name = "o", Output = "runs/o" };

        // Execute
        string fromFile = ScenarioPaths.ResolveOutputDirectory(spec, _files.Directory);
        string fromFlag = ScenarioPaths.ResolveOutputDirectory(spec, _files.Directory, "elsewhere");

        // Assert
        Assert.Equal(Path.Combine(_files.Directory, "runs", "o"), fromFile);
        Assert.Equal(Path.GetFullPath("elsewhere"), fromFlag);
    }

    [Theory]
    [InlineData("mnsit", "mnist")]
    [InlineData("lerning_rate", "learning_rate")]
    [InlineData("devices-per-round", "devices_per_round")]
    [InlineData("epochs", "local_epochs")]
    [InlineData("zzzz", null)]
    public void Suggestions_find_the_intended_name(string input, string? expected)
    {
        string[] candidates = ["mnist", "learning_rate", "devices_per_round", "local_epochs", "rounds", "batch_size"];
        Assert.Equal(expected, Suggestions.Closest(input, candidates));
    }

    [Fact]
    public void Adjacent_transposition_costs_one_edit()
    {
        Assert.Equal(1, Suggestions.DamerauLevenshtein("alpah", "alpha"));
        Assert.Equal(3, Suggestions.DamerauLevenshtein("kitten", "sitting"));
    }
}
