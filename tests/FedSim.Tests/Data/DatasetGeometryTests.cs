using FedSim.Compute;
using FedSim.Contracts;
using FedSim.Data;
using FedSim.Tests.Support;

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
}
