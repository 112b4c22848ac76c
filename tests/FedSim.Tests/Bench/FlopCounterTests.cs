using FedSim.Scenarios.Bench;

namespace FedSim.Tests.Bench;

public sealed class FlopCounterTests
{
    [Fact]
    public void Dense_training_step_counts_six_flops_per_weight_per_sample()
    {
        // Prepare: the MNIST 2NN, 784-200-200-10.
        DenseLayer[] layers = [new(784, 200), new(200, 200), new(200, 10)];

        // Execute
        double flops = FlopCounter.TrainingStepFlops(layers, batch: 64);

        // Assert: 6 * 64 * (156800 + 40000 + 2000)
        Assert.Equal(6.0 * 64 * 198_800, flops);
    }

    [Fact]
    public void Mlp_spec_yields_its_dense_layers_in_order()
    {
        var layers = FlopCounter.DenseLayers(BenchWorkloads.MnistMlp);

        Assert.Equal([new DenseLayer(784, 200), new DenseLayer(200, 200), new DenseLayer(200, 10)], layers);
        Assert.Equal(76_339_200.0, FlopCounter.TrainingStepFlops(BenchWorkloads.MnistMlp, 64));
    }

    [Fact]
    public void Cnn_step_counts_both_convolutions_at_their_output_size_and_the_dense_layers()
    {
        // Prepare: FEMNIST CNN, 1x28x28 -> conv 32 (28x28) -> pool -> conv 64 (14x14) -> pool -> 3136 -> 512 -> 62.
        var spec = BenchWorkloads.FemnistCnn;

        // Execute
        var convs = FlopCounter.ConvLayers(spec);
        var dense = FlopCounter.DenseLayers(spec);
        double perSample = FlopCounter.TrainingStepFlops(spec, batch: 1);

        // Assert
        Assert.Equal([new ConvLayer(1, 32, 5, 28, 28), new ConvLayer(32, 64, 5, 14, 14)], convs);
        Assert.Equal([new DenseLayer(3136, 512), new DenseLayer(512, 62)], dense);
        double macs = 32.0 * 28 * 28 * 1 * 25 + 64.0 * 14 * 14 * 32 * 25 + 3136.0 * 512 + 512.0 * 62;
        Assert.Equal(6 * macs, perSample);
    }

    [Fact]
    public void Square_matmul_is_two_n_cubed()
        => Assert.Equal(2.0 * 2048 * 2048 * 2048, FlopCounter.MatmulFlops(2048));
}
