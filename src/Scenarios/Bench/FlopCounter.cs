using FedSim.Compute;
using FedSim.Scenario;
using FedSim.Models;

namespace FedSim.Scenarios.Bench;

/// <summary>A dense layer as FLOP counting sees it.</summary>
public readonly record struct DenseLayer(int In, int Out);

/// <summary>A 2-D convolution as FLOP counting sees it (output spatial size after padding, before pooling).</summary>
public readonly record struct ConvLayer(int In, int Out, int Kernel, int OutHeight, int OutWidth);

/// <summary>
/// Counts the floating-point work of one training step, the usual way (Kaplan et al. 2020, "Scaling laws",
/// section 2.1): a multiply-add is 2 FLOPs, the forward pass of a dense layer is 2·B·in·out, and the backward
/// pass twice that (gradients for the inputs and for the weights), so one step costs 6·B·Σ in·out.
/// Biases, activations, pooling and the loss are left out: they are a few percent of the matmul work.
/// </summary>
public static class FlopCounter
{
    /// <summary>Forward + backward FLOPs of one step of <paramref name="batch"/> samples through dense layers.</summary>
    public static double TrainingStepFlops(IEnumerable<DenseLayer> layers, int batch)
        => 6.0 * batch * layers.Sum(l => (double)l.In * l.Out);

    /// <summary>Same, for convolutions: the forward multiply-adds of a conv layer are Cout·H·W·Cin·k² per sample.</summary>
    public static double TrainingStepFlops(IEnumerable<ConvLayer> layers, int batch)
        => 6.0 * batch * layers.Sum(l => (double)l.Out * l.OutHeight * l.OutWidth * l.In * l.Kernel * l.Kernel);

    /// <summary>The dense layers of a model, in order (for the CNN: the two after the convolutions).</summary>
    public static IReadOnlyList<DenseLayer> DenseLayers(ModelSpec spec)
    {
        var layers = new List<DenseLayer>();
        switch (spec.Kind)
        {
            case ModelKinds.Logistic:
                layers.Add(new DenseLayer(spec.InputFeatures, spec.Classes));
                break;
            case ModelKinds.Mlp:
                int previous = spec.InputFeatures;
                foreach (int width in spec.Hidden)
                {
                    layers.Add(new DenseLayer(previous, width));
                    previous = width;
                }
                layers.Add(new DenseLayer(previous, spec.Classes));
                break;
            case ModelKinds.Cnn:
                var image = spec.Image ?? throw new ArgumentException("a cnn model spec needs an image shape", nameof(spec));
                int flat = spec.Channels[1] * (image.Height / 4) * (image.Width / 4);
                layers.Add(new DenseLayer(flat, spec.Dense));
                layers.Add(new DenseLayer(spec.Dense, spec.Classes));
                break;
            default:
                throw new ArgumentException($"unknown model kind '{spec.Kind}'", nameof(spec));
        }
        return layers;
    }

    /// <summary>The CNN's convolutions (5x5, padding 2 keeps the size; each is followed by a 2x2 pool).</summary>
    public static IReadOnlyList<ConvLayer> ConvLayers(ModelSpec spec)
    {
        if (spec.Kind != ModelKinds.Cnn || spec.Image is not { } image) return [];
        int k = ModelLayout.ConvKernel;
        return
        [
            new ConvLayer(image.Channels, spec.Channels[0], k, image.Height, image.Width),
            new ConvLayer(spec.Channels[0], spec.Channels[1], k, image.Height / 2, image.Width / 2),
        ];
    }

    /// <summary>All matmul-like work of one training step of <paramref name="spec"/>.</summary>
    public static double TrainingStepFlops(ModelSpec spec, int batch)
        => spec.IsLanguageModel
            ? 6.0 * batch * spec.InputFeatures * LanguageModelMultiplyAdds(spec)
            : TrainingStepFlops(DenseLayers(spec), batch) + TrainingStepFlops(ConvLayers(spec), batch);

    /// <summary>
    /// A language model's multiply-adds per position in the forward pass: the LSTM's 4H·(in + H) per layer; a transformer
    /// block's projections (4D²), MLP (2DM) and attention over the causal context (on average T/2 keys, for scores and
    /// for the weighted values: T·D); the head's D·V.
    /// </summary>
    public static double LanguageModelMultiplyAdds(ModelSpec spec)
    {
        double v = spec.Classes;
        if (spec.Kind == ModelKinds.Lstm)
        {
            double total = 0, inputs = spec.Embedding;
            foreach (double h in spec.Hidden)
            {
                total += 4 * h * (inputs + h);
                inputs = h;
            }
            return total + inputs * v;
        }
        double d = spec.Embedding, block = 4 * d * d + 2 * d * spec.Dense + spec.InputFeatures * d;
        return spec.Layers * block + d * v;
    }

    /// <summary>FLOPs of one n x n by n x n matrix product.</summary>
    public static double MatmulFlops(int n) => 2.0 * n * n * n;
}
