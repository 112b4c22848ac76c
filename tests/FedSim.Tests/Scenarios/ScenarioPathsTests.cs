using FedSim.Scenario;
using FedSim.Scenarios.Configuration;
using FedSim.Data;

namespace FedSim.Tests.Scenarios;

public sealed class ScenarioPathsTests
{
    private static ScenarioSpec Spec(string? datasetPath, string? output = "results/run")
    {
        var spec = new ScenarioSpec { Name = "run", Output = output };
        spec.Dataset.Kind = DatasetKinds.Mnist;
        spec.Dataset.Path = datasetPath;
        return spec;
    }

    [Fact]
    public void Saved_scenario_names_its_own_folder_as_output_and_reaches_the_same_data_relatively()
    {
        // Prepare: the file in /work/project/examples reads ../data/mnist; the run writes /work/project/examples/results/run.
        var spec = Spec("../data/mnist");

        // Execute
        var saved = ScenarioPaths.ForResultsFolder(spec, "/work/project/examples", "/work/project/examples/results/run", seedOverride: 9);

        // Assert: relative stays relative, and from the results folder it still means /work/project/data/mnist.
        Assert.Equal(".", saved.Output);
        Assert.Equal("../../../data/mnist", saved.Dataset.Path);
        Assert.Equal("/work/project/data/mnist", Path.GetFullPath(saved.Dataset.Path!, "/work/project/examples/results/run"));
        Assert.Equal(9UL, saved.Seed);
        Assert.Equal("../data/mnist", spec.Dataset.Path); // the loaded spec is left as written
    }

    [Theory]
    [InlineData("/srv/datasets/mnist")]
    [InlineData("~/datasets/mnist")]
    public void Saved_scenario_keeps_absolute_and_home_dataset_paths_as_written(string? path)
    {
        var saved = ScenarioPaths.ForResultsFolder(Spec(path), "/work/project", "/tmp/elsewhere");

        Assert.Equal(path, saved.Dataset.Path);
    }

    [Fact]
    public void Saved_scenario_names_the_folder_a_dataset_without_a_path_was_found_in()
    {
        // Prepare: Fashion-MNIST without a path, found in Debian's dataset-fashion-mnist folder (.ci/run installs it).
        var spec = Spec(null);
        spec.Dataset.Kind = DatasetKinds.FashionMnist;
        if (!Directory.Exists(ScenarioPaths.FashionMnistDefault)) return;

        // Execute
        var saved = ScenarioPaths.ForResultsFolder(spec, "/work/project", "/tmp/elsewhere");

        // Assert
        Assert.Equal(DatasetCatalog.FindInWellKnownPlaces(DatasetKinds.FashionMnist), saved.Dataset.Path);
        Assert.NotNull(saved.Dataset.Path);
        Assert.Null(spec.Dataset.Path); // the loaded spec is left as written
    }
}
