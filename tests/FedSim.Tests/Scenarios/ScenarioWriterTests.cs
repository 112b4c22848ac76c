using FedSim.Scenario;
using FedSim.Scenarios.Configuration;
using FedSim.Data;
using FedSim.Rounds;
using FedSim.Models;
using FedSim.Training;

namespace FedSim.Tests.Scenarios;

public sealed class ScenarioWriterTests : IClassFixture<ScenarioTestFiles>
{
    private readonly ScenarioTestFiles _files;

    public ScenarioWriterTests(ScenarioTestFiles files) => _files = files;

    private static ScenarioSpec NonDefaultSpec() => new()
    {
        Name = "round trip #1 'quoted' [not a list]",
        Seed = 987654321987654321,
        Devices = 33,
        Dataset = new DatasetSpec
        {
            Kind = DatasetKinds.Mnist,
            Path = "data",
            Samples = 777,
            TestFraction = 0.1234567890123,
            Partition = new PartitionSpec { Kind = PartitionKinds.Dirichlet, Alpha = 1e-3, ShardsPerDevice = 4, Sigma = 0, MinSamples = 3 },
        },
        Model = new ModelSpecOptions { Kind = ModelKinds.Cnn, Hidden = [], Channels = [8, 16], Dense = 100 },
        Training = new TrainingSpec { Rounds = 5, DevicesPerRound = 20, LocalEpochs = 3, BatchSize = 64, LearningRate = 0.3, Optimizer = OptimizerKinds.Adam, Momentum = 0 },
        Strategy = new FedSim.Strategies.Algorithms.FedProxOptions { Mu = 0.125, ServerLearningRate = 0.75 },
        Byzantine = new FedSim.Attacks.Poisoning.SignFlipOptions { Fraction = 0.3, Scale = 2.5 },
        Heterogeneity = new HeterogeneitySpec
        {
            DeadlineSeconds = 30, KeepPartialWork = true, OverSelection = 0.3, Dropout = 0.1, Availability = 0.9,
            Classes = [new DeviceClassSpec { Name = "slow", Share = 2, SamplesPerSecond = [1, 2], UplinkMbps = [3, 4], DownlinkMbps = [5, 6] }],
        },
        Evaluation = new EvaluationSpec { Every = 4, MaxSamples = 1000 },
        Compute = new ComputeSpec { Device = ComputeDevices.Cpu, // not cuda: validation checks that CUDA is present
                                    CohortSize = 128, Workers = 3 },
        Output = "out dir/run",
    };

    [Theory]
    [InlineData(DatasetKinds.Mnist, "path", "samples test_fraction label_column owner_column min_samples_per_owner")]
    [InlineData(DatasetKinds.Synthetic, "samples test_fraction", "path label_column owner_column min_samples_per_owner")]
    [InlineData(DatasetKinds.Csv, "path test_fraction label_column owner_column", "samples min_samples_per_owner")]
    [InlineData(DatasetKinds.Location, "path test_fraction", "samples label_column owner_column min_samples_per_owner")]
    [InlineData(DatasetKinds.Shakespeare, "path min_samples_per_owner", "samples test_fraction label_column owner_column")]
    public void Written_dataset_section_holds_exactly_the_keys_its_kind_reads(string kind, string written, string leftOut)
    {
        // Prepare: every key set
        var spec = new ScenarioSpec
        {
            Dataset = new DatasetSpec { Kind = kind, Path = "data", Samples = 777, TestFraction = 0.1234567890123, LabelColumn = "y", OwnerColumn = "site" },
        };

        // Execute
        string yaml = ScenarioWriter.ToYaml(spec);
        var keys = DatasetKeys(yaml);

        // Assert
        foreach (string key in written.Split(' ')) Assert.Contains(key, keys);
        foreach (string key in leftOut.Split(' ')) Assert.DoesNotContain(key, keys);
        if (written.Contains("test_fraction", StringComparison.Ordinal)) Assert.Contains("  test_fraction: 0.1234567890123\n", yaml);
    }

    /// <summary>The keys written directly under dataset: (two-space indent).</summary>
    private static List<string> DatasetKeys(string yaml) =>
        yaml.Split('\n').SkipWhile(l => l != "dataset:").Skip(1).TakeWhile(l => l.StartsWith("  ", StringComparison.Ordinal))
            .Where(l => !l.StartsWith("   ", StringComparison.Ordinal) && !l.TrimStart().StartsWith('#'))
            .Select(l => l.Trim().Split(':')[0]).ToList();

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Written_scenario_loads_back_to_an_equal_spec(bool withDescriptions)
    {
        // Prepare
        var original = NonDefaultSpec();

        // Execute
        string yaml = ScenarioWriter.ToYaml(original, withDescriptions, header: "scenario as run");
        var result = ScenarioLoader.Parse(yaml, "rt.yaml", _files.Directory);

        // Assert
        Assert.True(result.Succeeded, string.Join("\n", result.Errors) + "\n" + yaml);
        var loaded = result.Spec!;
        Assert.Equal(ScenarioWriter.ToYaml(original), ScenarioWriter.ToYaml(loaded));
        Assert.Equal(original.Name, loaded.Name);
        Assert.Equal(original.Seed, loaded.Seed);
        Assert.Equal(original.Dataset.Partition.Alpha, loaded.Dataset.Partition.Alpha);
        Assert.Empty(loaded.Model.Hidden);
        Assert.Equal(original.Model.Channels, loaded.Model.Channels);
        Assert.Equal(original.Output, loaded.Output);
        var prox = Assert.IsType<FedSim.Strategies.Algorithms.FedProxOptions>(loaded.Strategy);
        Assert.Equal(0.125, prox.Mu);
        Assert.Equal(2.5, Assert.IsType<FedSim.Attacks.Poisoning.SignFlipOptions>(loaded.Byzantine).Scale);
        Assert.Equal([5.0, 6.0], loaded.Heterogeneity.Classes.Single().DownlinkMbps);
    }

    [Fact]
    public void Descriptions_are_written_as_comments()
    {
        // Execute
        string yaml = ScenarioWriter.ToYaml(new ScenarioSpec(), withDescriptions: true, header: "scenario as run");

        // Assert
        Assert.StartsWith("# scenario as run", yaml);
        Assert.Contains("# Local minibatch size (B).", yaml);
        Assert.Contains("devices_per_round: 10", yaml);
        Assert.Contains("hidden: [64]", yaml);
    }

    [Theory]
    [InlineData("123")]
    [InlineData("null")]
    [InlineData("true")]
    [InlineData("1e5")]
    [InlineData("~")]
    public void Strings_that_look_like_other_types_stay_strings(string name)
    {
        // Prepare
        var spec = new ScenarioSpec { Name = name };

        // Execute
        var loaded = ScenarioLoader.Parse(ScenarioWriter.ToYaml(spec), "s.yaml", _files.Directory).GetSpecOrThrow();

        // Assert
        Assert.Equal(name, loaded.Name);
    }

    [Fact]
    public void Saved_file_keeps_cli_overrides()
    {
        // Prepare
        var spec = ScenarioLoader.Parse("name: saved\n", "saved.yaml", _files.Directory).GetSpecOrThrow();
        var asRun = ScenarioPaths.ResolveForRun(spec, _files.Directory, Path.Combine(_files.Directory, "out"), seedOverride: 7);
        string path = Path.Combine(_files.Directory, "out", "scenario.yaml");

        // Execute
        ScenarioWriter.Save(asRun, path, header: "scenario as run");
        var reloaded = ScenarioLoader.Load(path).GetSpecOrThrow();

        // Assert
        Assert.Equal(7UL, reloaded.Seed);
        Assert.Equal(Path.Combine(_files.Directory, "out"), reloaded.Output);
    }
}
