using FedSim.Compute;
using FedSim.Scenario;
using FedSim.Data;
using FedSim.Tests.Support;
using FedSim.Models;

namespace FedSim.Tests.Data;

/// <summary>The shapes `fedsim validate` assumes without reading data must be what the loaders produce.</summary>
public class DatasetGeometryTests
{
    [SharedDataTheory]
    [InlineData(DatasetKinds.Mnist, "mnist")]
    [InlineData(DatasetKinds.Femnist, "femnist-leaf")]
    [InlineData(DatasetKinds.SklearnDigits, "sklearn")]
    [InlineData(DatasetKinds.SklearnBreastCancer, "sklearn/breast_cancer.csv")]
    [InlineData(DatasetKinds.Adult, "adult")]
    [InlineData(DatasetKinds.Location, "location")]
    [InlineData(DatasetKinds.Shakespeare, "tinyshakespeare")]
    public void Known_geometry_matches_the_loaded_dataset(string kind, string path)
    {
        // Prepare
        var spec = new DatasetSpec { Kind = kind, Path = path };

        // Execute
        var split = DatasetCatalog.Load(spec, SharedDatasets.PathOf(), seed: 1);
        var geometry = DatasetGeometry.Of(spec)!;

        // Assert
        Assert.Equal(split.Train.FeatureCount, geometry.Features);
        Assert.Equal(split.Train.ClassCount, geometry.Classes);
        Assert.Equal(split.Train.Image, geometry.Image);
        Assert.Equal(split.Train.Text?.Context, geometry.Text?.Context);
        Assert.Equal(split.Train.Text?.Vocabulary, geometry.Text?.Vocabulary);
        if (geometry.TrainSamples is { } expected) Assert.InRange(split.Train.Count, expected - 10, expected);
    }

    [Fact]
    public void Known_geometry_of_synthetic_data_matches_the_generator()
    {
        var spec = new DatasetSpec { Kind = DatasetKinds.Synthetic, Samples = 500, TestFraction = 0.2 };
        var split = DatasetCatalog.Load(spec, ".", seed: 3);
        var geometry = DatasetGeometry.Of(spec)!;
        Assert.Equal(split.Train.FeatureCount, geometry.Features);
        Assert.Equal(split.Train.Count, geometry.TrainSamples);
    }

    [Theory]
    [InlineData(ModelKinds.Logistic, new int[0])]
    [InlineData(ModelKinds.Mlp, new[] { 200, 200 })]
    [InlineData(ModelKinds.Cnn, new int[0])]
    public void Parameter_estimate_equals_the_model_layout(string kind, int[] hidden)
    {
        // Prepare: McMahan et al.'s MNIST models.
        var options = new ModelSpecOptions { Kind = kind, Hidden = hidden, Channels = [32, 64], Dense = 512 };
        var image = new ImageShape(1, 28, 28);

        // Execute
        double? estimate = ModelBudget.Parameters(options, 784, 10, image);
        var layout = ModelLayout.For(ModelSpecFactory.Create(options, 784, 10, image));

        // Assert
        Assert.Equal(layout.Count, estimate);
    }

    [Fact]
    public void A_model_beyond_one_float_array_is_refused_by_the_layout_without_overflowing()
    {
        // Prepare: 784 x 2e9 + 2e9 + 2e9 x 10 + 10 = 1,590,000,000,010 parameters: an int would wrap around.
        var spec = new ModelSpec(ModelKinds.Mlp, 784, 10, [2_000_000_000], null, [], 0);

        // Execute
        var e = Assert.Throws<ArgumentException>(() => ModelLayout.For(spec));

        // Assert
        Assert.Contains("1,590,000,000,010 parameters do not fit one float32 array", e.Message);
    }
}
