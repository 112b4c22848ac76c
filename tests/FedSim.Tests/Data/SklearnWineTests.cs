using FedSim.Data;
using FedSim.Data.Kinds;
using FedSim.Scenarios.Configuration;
using FedSim.Tests.Support;

namespace FedSim.Tests.Data;

/// <summary>scikit-learn's wine set as dataset kind sklearn-wine: found, described, loaded and validated like the other kinds.</summary>
public class SklearnWineTests
{
    private const string Kind = "sklearn-wine";

    [Fact]
    public void Wine_is_a_discovered_dataset_kind_listed_after_breast_cancer()
    {
        // Prepare / Execute
        var kind = DatasetKinds.Of(Kind);
        int index = Array.IndexOf(DatasetKinds.All, Kind);

        // Assert
        Assert.IsType<SklearnWineDataset>(kind);
        Assert.Equal(Array.IndexOf(DatasetKinds.All, DatasetKinds.SklearnBreastCancer) + 1, index);
        Assert.Contains(Kind, ScenarioRules.For("dataset.kind")!.AllowedValues!);
        Assert.Contains("sklearn-wine (scikit-learn's wine set", ScenarioSchema.MarkdownFieldTable());
    }

    [Fact]
    public void Wine_geometry_is_known_before_loading()
    {
        // Prepare
        var spec = new DatasetSpec { Kind = Kind, TestFraction = 0.25 };

        // Execute
        var geometry = DatasetGeometry.Of(spec)!;

        // Assert
        Assert.Equal(new DatasetGeometry(13, 3, null, 134), geometry);
    }

    [SharedDataFact]
    public void Wine_loads_178_standardized_rows_of_13_features_in_3_classes_from_the_sklearn_folder()
    {
        // Prepare: the path names the folder; the kind finds wine_data.csv in it.
        var spec = new DatasetSpec { Kind = Kind, Path = "sklearn", TestFraction = 0.25 };

        // Execute
        var split = DatasetCatalog.Load(spec, SharedDatasets.PathOf(), seed: 5);

        // Assert
        var geometry = DatasetGeometry.Of(spec)!;
        Assert.Equal(178, split.Train.Count + split.Test.Count);
        Assert.Equal(geometry.Features, split.Train.FeatureCount);
        Assert.Equal(geometry.Classes, split.Train.ClassCount);
        Assert.Null(split.Train.Image);
        Assert.InRange(split.Train.Count, geometry.TrainSamples!.Value - 3, geometry.TrainSamples.Value);
        Assert.All(Enumerable.Range(0, 3), c => Assert.Contains(c, split.Test.Labels));
        // Proline (hundreds) and hue (near 1) end up on one scale: every training column has mean 0.
        for (int column = 0; column < 13; column++)
        {
            double mean = Enumerable.Range(0, split.Train.Count).Average(row => split.Train.Features[row * 13 + column]);
            Assert.InRange(mean, -1e-4, 1e-4);
        }
    }

    [SharedDataFact]
    public void A_scenario_on_the_shared_wine_file_validates()
    {
        // Prepare
        const string yaml = """
            name: wine
            devices: 10
            dataset:
              kind: sklearn-wine
              path: sklearn/wine_data.csv
              partition:
                kind: dirichlet
                alpha: 0.5
            """;

        // Execute
        var result = ScenarioLoader.Parse(yaml, "wine.yaml", SharedDatasets.PathOf());

        // Assert
        Assert.True(result.Succeeded, string.Join("\n", result.Errors));
        Assert.Equal(Kind, result.Spec!.Dataset.Kind);
    }

    [Fact]
    public void A_wine_scenario_with_more_devices_than_rows_is_refused_from_the_known_geometry()
    {
        // Prepare: 178 x (1 - 0.2) leaves about 143 training rows.
        const string yaml = """
            name: wine
            devices: 500
            dataset:
              kind: sklearn-wine
              path: wine_data.csv
            """;

        // Execute
        var result = ScenarioLoader.Parse(yaml, "wine.yaml", Path.GetTempPath());

        // Assert
        Assert.Contains(result.Errors, e => e.Message.Contains("more than the about 143 training samples of 'sklearn-wine'"));
    }

    [Fact]
    public void Data_fetch_of_wine_says_it_ships_inside_scikit_learn()
    {
        // Prepare / Execute
        var e = Assert.Throws<DatasetException>(() => DatasetFetcher.Find("wine"));

        // Assert
        Assert.Contains("'wine' has no download: wine_data.csv ships inside scikit-learn", e.Message);
    }
}
