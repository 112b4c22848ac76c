using FedSim.Compute;
using FedSim.Scenario;
using FedSim.Data;
using FedSim.Models;

namespace FedSim.Tests.Compute;

public class ModelLayoutTests
{
    [Fact]
    public void Logistic_layout_is_weight_in_by_out_then_bias()
    {
        // Prepare
        var spec = new ModelSpec(ModelKinds.Logistic, 20, 3, [], null, [], 0);

        // Execute
        var layout = ModelLayout.For(spec);

        // Assert
        Assert.Equal(["fc.weight", "fc.bias"], layout.Parameters.Select(p => p.Name));
        Assert.Equal([20, 3], layout.Parameters[0].Shape);
        Assert.Equal(60, layout.Parameters[1].Offset);
        Assert.Equal(63, layout.Count);
    }

    [Fact]
    public void Mlp_layout_chains_hidden_layers()
    {
        var spec = new ModelSpec(ModelKinds.Mlp, 784, 10, [200, 200], null, [], 0);

        var layout = ModelLayout.For(spec);

        Assert.Equal(["fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias", "out.weight", "out.bias"], layout.Parameters.Select(p => p.Name));
        Assert.Equal(784 * 200 + 200 + 200 * 200 + 200 + 200 * 10 + 10, layout.Count);
    }

    [Fact]
    public void Cnn_layout_matches_McMahan_mnist_cnn_parameter_count()
    {
        // McMahan et al. 2017 report 1,663,370 parameters for their MNIST CNN (32 and 64 channels, 512 dense).
        var spec = new ModelSpec(ModelKinds.Cnn, 784, 10, [], new ImageShape(1, 28, 28), [32, 64], 512);

        var layout = ModelLayout.For(spec);

        Assert.Equal(1_663_370, layout.Count);
        Assert.Equal([32, 1, 5, 5], layout.Parameters[0].Shape);
        Assert.Equal([64 * 7 * 7, 512], layout.Parameters[4].Shape);
    }

    [Fact]
    public void Initialize_is_deterministic_per_seed_and_bounded_by_fan_in()
    {
        var spec = new ModelSpec(ModelKinds.Cnn, 144, 5, [], new ImageShape(1, 12, 12), [4, 8], 16);
        var layout = ModelLayout.For(spec);

        var a = ModelLayout.Initialize(spec, 42);
        var b = ModelLayout.Initialize(spec, 42);
        var c = ModelLayout.Initialize(spec, 43);

        Assert.Equal(a, b);
        Assert.NotEqual(a, c);
        foreach (var p in layout.Parameters)
        {
            var slice = a.AsSpan(p.Offset, p.Count).ToArray();
            double bound = 1 / Math.Sqrt(p.FanIn);
            Assert.All(slice, v => Assert.InRange(Math.Abs(v), 0, bound));
            Assert.True(slice.Max(v => Math.Abs(v)) > bound / 2, $"{p.Name} should spread over its range");
        }
    }

    [Fact]
    public void Factory_rejects_cnn_on_a_dataset_without_image_shape()
    {
        var options = new ModelSpecOptions { Kind = ModelKinds.Cnn };

        var error = Assert.Throws<ArgumentException>(() => ModelSpecFactory.Create(options, 30, 2, null, "adult"));

        Assert.Contains("cnn needs image data", error.Message);
        Assert.Contains("adult", error.Message);
    }

    [Fact]
    public void Factory_builds_cnn_from_image_geometry_and_rejects_bad_options()
    {
        var image = new ImageShape(1, 28, 28);

        var spec = ModelSpecFactory.Create(new ModelSpecOptions { Kind = "CNN", Channels = [4, 8], Dense = 16 }, 784, 62, image);
        var badKind = Assert.Throws<ArgumentException>(() => ModelSpecFactory.Create(new ModelSpecOptions { Kind = "rnn" }, 784, 10, image));
        var noHidden = Assert.Throws<ArgumentException>(() => ModelSpecFactory.Create(new ModelSpecOptions { Kind = "mlp", Hidden = [] }, 784, 10, image));
        var channels = Assert.Throws<ArgumentException>(() => ModelSpecFactory.Create(new ModelSpecOptions { Kind = "cnn", Channels = [4] }, 784, 10, image));

        Assert.Equal(new ModelSpec(ModelKinds.Cnn, 784, 62, [], image, [4, 8], 16).Key, spec.Key);
        Assert.Contains("logistic, mlp, cnn", badKind.Message);
        Assert.Contains("model.hidden", noHidden.Message);
        Assert.Contains("model.channels", channels.Message);
    }
}
