using FedSim.Scenario;
using FedSim.Data;
using FedSim.Scenarios.Configuration;
using FedSim.Composition;

namespace FedSim.Tests.Scenarios;

/// <summary>The csv example: its data file is the generator's output, and it loads as one device per bank branch.</summary>
public sealed class CsvExampleTests
{
    /// <summary>Rows and seed of examples/data/bank-churn.csv.</summary>
    private const int Rows = 2000;
    private const ulong Seed = 7;

    private static string DataFile => Path.Combine(ScenarioTestFiles.ExamplesDirectory, "data", "bank-churn.csv");

    [Fact]
    public void Example_csv_is_what_the_synthetic_generator_writes()
    {
        // Prepare: FEDSIM_WRITE_EXAMPLE_DATA=1 rewrites the file (after a deliberate generator change).
        string expected = SyntheticTabular.ToCsv(Rows, Seed);
        if (Environment.GetEnvironmentVariable("FEDSIM_WRITE_EXAMPLE_DATA") == "1")
        {
            Directory.CreateDirectory(Path.GetDirectoryName(DataFile)!);
            File.WriteAllText(DataFile, expected);
        }

        // Execute
        string actual = File.ReadAllText(DataFile).ReplaceLineEndings("\n");

        // Assert
        Assert.True(expected == actual,
            $"{DataFile} differs from SyntheticTabular.ToCsv({Rows}, {Seed}); regenerate it with FEDSIM_WRITE_EXAMPLE_DATA=1 dotnet test --filter Example_csv_is_what");
    }

    [Fact]
    public void Example_csv_scenario_loads_one_device_per_branch()
    {
        // Prepare
        var spec = ScenarioLoader.Load(Path.Combine(ScenarioTestFiles.ExamplesDirectory, "csv-bank-branches.yaml")).GetSpecOrThrow();
        var resolved = ScenarioPaths.ResolveForRun(spec, ScenarioTestFiles.ExamplesDirectory);

        // Execute
        var data = ExperimentDataCache.Build(resolved);

        // Assert
        Assert.Equal(DatasetKinds.Csv, spec.Dataset.Kind);
        Assert.Equal(SyntheticTabular.Regions.Length * SyntheticTabular.BranchesPerRegion, data.Split.Train.GroupNames!.Length);
        Assert.Equal(spec.Devices, data.Partition.Length);
        Assert.All(data.Partition, shard => Assert.NotEmpty(shard));
        Assert.Equal(Rows, data.Split.Train.Count + data.Split.Test.Count);
        Assert.True(data.Quality.MissingValues > 0, "about 2 % of channel cells are empty in the example");
        Assert.Contains("channel=(missing)", data.Split.Train.FeatureNames!);
    }
}
