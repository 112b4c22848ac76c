using TorchSharp;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;
using FedSim.Models;

namespace FedSim.Compute;

/// <summary>
/// One parametrised map of a stacked forward pass as DP-SGD needs it: its output (whose gradient autograd gives) and
/// whatever else its parameters' per-example gradients are formed from. Each kind knows its own identities.
/// </summary>
internal abstract class TapedLayer(Tensor output)
{
    /// <summary>The map's output, before any activation: the tensor whose gradient is asked for.</summary>
    public Tensor Output { get; } = output;

    /// <summary>Each example's squared gradient norm over this map's parameters [K, B], from the output gradient <paramref name="g"/>.</summary>
    public abstract Tensor SquaredNorms(ModelLayout layout, Tensor g);

    /// <summary>Sets <paramref name="sums"/>[i] = Σ_b factor_b · (example b's gradient of parameter i), [K, ...shape], for this map's parameters.</summary>
    public abstract void ClippedSums(ModelLayout layout, Tensor g, Tensor factor, Tensor[] sums);
}

/// <summary>A classifier's dense layer z = xW + b on [K, B, in] (weight at <paramref name="Weight"/>, its bias next).</summary>
internal sealed class DenseLayer(Tensor input, Tensor output, int weight) : TapedLayer(output)
{
    public override Tensor SquaredNorms(ModelLayout layout, Tensor g)
    {
        var gSquared = g.square().sum(-1); // [K, B]
        return input.square().sum(-1).mul(gSquared).add_(gSquared, HeldScalars.One);
    }

    public override void ClippedSums(ModelLayout layout, Tensor g, Tensor factor, Tensor[] sums)
    {
        var scaled = g.mul(factor.unsqueeze(-1));                    // [K, B, out]
        sums[weight] = torch.bmm(input.transpose(1, 2), scaled);      // [K, in, out]
        sums[weight + 1] = scaled.sum(1);                            // [K, out]
    }
}

/// <summary>The CNN's grouped convolution ([B, K·C, H, W] tensors); its per-example kernel gradients are materialized.</summary>
internal sealed class ConvolutionLayer(Tensor input, Tensor output, int weight) : TapedLayer(output)
{
    private Tensor? _kernels, _biases; // [B, K, C_out, C_in·k·k] and [B, K, C_out], kept from the norms for the sums

    public override Tensor SquaredNorms(ModelLayout layout, Tensor g)
    {
        var info = layout.Parameters[weight];
        long k = g.shape[1] / info.Shape[0];
        (_kernels, _biases) = Gradients(info, g, k);
        return _kernels.square().sum([2, 3]).t().add(_biases.square().sum(2).t(), HeldScalars.One);
    }

    public override void ClippedSums(ModelLayout layout, Tensor g, Tensor factor, Tensor[] sums)
    {
        var info = layout.Parameters[weight];
        long k = factor.shape[0];
        var perExampleFactor = factor.t(); // [B, K]
        sums[weight] = _kernels!.mul(perExampleFactor.unsqueeze(-1).unsqueeze(-1)).sum(dim: 0).reshape([k, .. info.Shape.Select(s => (long)s)]);
        sums[weight + 1] = _biases!.mul(perExampleFactor.unsqueeze(-1)).sum(dim: 0);
    }

    /// <summary>
    /// With U_b = unfold(x_b) (im2col, [C_in·k·k, P]) and G_b the output gradient [C_out, P], example b's kernel
    /// gradient is G_b·U_bᵀ: one batched matmul over (examples × models); the bias gradient is Σ_p G_b.
    /// </summary>
    private (Tensor Weight, Tensor Bias) Gradients(ParameterTensor info, Tensor g, long k)
    {
        long outChannels = info.Shape[0], fan = (long)info.Shape[1] * info.Shape[2] * info.Shape[3];
        long b = input.shape[0];
        var unfolded = F.unfold(input, ModelLayout.ConvKernel, padding: ModelLayout.ConvPadding); // [B, K·C_in·k·k, P]
        long positions = unfolded.shape[2];
        var u = unfolded.view(b, k, fan, positions);
        var gradient = g.reshape(b, k, outChannels, positions);
        return (torch.matmul(gradient, u.transpose(2, 3)), gradient.sum(3));
    }
}

/// <summary>
/// A dense map applied at every position of a sequence, z_t = Σ_j x_{j,t}·W_j + Σ_i b_i on [K, B, T, ·]: a head or
/// projection (one input), or an LSTM layer's gates (its input and its previous output, and two biases, all sharing
/// the gates' gradient). Example b's gradient of W_j is Σ_t x_{j,t}ᵀ·g_t, whose squared norm is Σ_{t,s} (x_t·x_s)(g_t·g_s):
/// two T×T Gram matrices instead of an [in, out] matrix per example (the "ghost" norm of Goodfellow 2015 and
/// Li et al. 2022, "Large Language Models Can Be Strong Differentially Private Learners").
/// </summary>
internal sealed class SequenceDenseLayer(Tensor output, IReadOnlyList<(Tensor Input, int Weight)> inputs, IReadOnlyList<int> biases) : TapedLayer(output)
{
    public override Tensor SquaredNorms(ModelLayout layout, Tensor g)
    {
        var gradientGram = torch.matmul(g, g.transpose(-1, -2)); // [K, B, T, T]
        var biasSquared = g.sum(2).square().sum(-1);               // [K, B], each bias alike
        var squared = torch.zeros_like(biasSquared);
        foreach (int _ in biases) squared.add_(biasSquared, HeldScalars.One);
        foreach (var (input, _) in inputs)
            squared.add_(torch.matmul(input, input.transpose(-1, -2)).mul_(gradientGram).sum([2, 3]), HeldScalars.One);
        return squared;
    }

    public override void ClippedSums(ModelLayout layout, Tensor g, Tensor factor, Tensor[] sums)
    {
        long k = g.shape[0], positions = g.shape[1] * g.shape[2], outputs = g.shape[3];
        var scaled = g.mul(factor.view(k, -1, 1, 1)).reshape(k, positions, outputs);
        foreach (var (input, weight) in inputs)
            sums[weight] = torch.bmm(input.reshape(k, positions, input.shape[3]).transpose(1, 2), scaled);
        var bias = scaled.sum(1);
        foreach (int index in biases) sums[index] = bias;
    }
}

/// <summary>
/// A stacked embedding lookup [K, B, T] → [K, B, T, D]. Example b's gradient adds g_t to row id_t, so its squared norm
/// is Σ_{t,s} [id_t = id_s]·(g_t·g_s).
/// </summary>
internal sealed class EmbeddingLayer(Tensor output, Tensor ids, int weight) : TapedLayer(output)
{
    public override Tensor SquaredNorms(ModelLayout layout, Tensor g)
    {
        var same = ids.unsqueeze(-1).eq(ids.unsqueeze(-2)).to(g.dtype); // [K, B, T, T]
        return torch.matmul(g, g.transpose(-1, -2)).mul_(same).sum([2, 3]);
    }

    public override void ClippedSums(ModelLayout layout, Tensor g, Tensor factor, Tensor[] sums)
    {
        var info = layout.Parameters[weight];
        long k = g.shape[0], rows = info.Shape[0], width = info.Shape[1];
        var scaled = g.mul(factor.view(k, -1, 1, 1)).reshape(-1, width);
        var flat = ids.add(StackedLanguageModels.Steps(k, rows, ids.device).view(k, 1, 1), HeldScalars.One).reshape(-1);
        sums[weight] = torch.zeros(k * rows, width, device: g.device).index_add_(0, flat, scaled, HeldScalars.One).view(k, rows, width);
    }
}

/// <summary>LayerNorm's affine part y = x̂·γ + β on [K, B, T, D]: example b's gradients Σ_t x̂_t ⊙ g_t and Σ_t g_t, materialized ([K, B, D]).</summary>
internal sealed class NormLayer(Tensor output, Tensor normalized, int gain) : TapedLayer(output)
{
    public override Tensor SquaredNorms(ModelLayout layout, Tensor g)
        => normalized.mul(g).sum(2).square().sum(-1).add_(g.sum(2).square().sum(-1), HeldScalars.One);

    public override void ClippedSums(ModelLayout layout, Tensor g, Tensor factor, Tensor[] sums)
    {
        long k = g.shape[0];
        var scaled = g.mul(factor.view(k, -1, 1, 1));
        sums[gain] = normalized.mul(scaled).sum([1, 2]);
        sums[gain + 1] = scaled.sum([1, 2]);
    }
}

/// <summary>
/// Per-example gradients of a whole cohort from its layers' inputs and output gradients, without a loop over examples
/// and, for dense layers, without materializing them (Goodfellow 2015, "Efficient Per-Example Gradient Computations";
/// the same identities Opacus' grad samplers use):
/// e.g. a dense layer z = xW + b: example b's weight gradient is the outer product x_bᵀ·g_b, so its squared norm is
/// ‖x_b‖²·‖g_b‖², its bias gradient g_b, and the clipped sum Σ_b c_b·x_bᵀ·g_b is one bmm: xᵀ·(c ⊙ g). Each
/// <see cref="TapedLayer"/> kind holds its own identities (convolution, sequence dense map, embedding, LayerNorm).
/// Every example's norm is over all parameters of its model; its clip factor is min(1, C / (‖g‖ + 10⁻⁶)).
/// </summary>
internal static class PerExampleGradients
{
    /// <summary>
    /// Clipped per-example gradient sums of every parameter, stacked [K, ...canonical shape], for a loss that is the
    /// plain sum of per-example losses (weighted by <paramref name="mask"/> [K, B]: 1 for real examples, 0 for padding).
    /// </summary>
    public static Tensor[] ClippedSums(ModelLayout layout, Tensor loss, IReadOnlyList<TapedLayer> tape, Tensor mask, double clipNorm, out Tensor norms)
    {
        var outputGradients = torch.autograd.grad([loss], tape.Select(l => l.Output).ToArray());
        using var noGrad = torch.no_grad();
        long k = mask.shape[0], b = mask.shape[1];
        var squared = torch.zeros(k, b, device: mask.device);
        for (int l = 0; l < tape.Count; l++) squared.add_(tape[l].SquaredNorms(layout, outputGradients[l]), HeldScalars.One);
        norms = squared.sqrt();
        // min(1, C / (‖g‖ + ε)), every Scalar held for the native calls (see HeldScalars).
        using var clip = clipNorm.ToScalar();
        using var epsilon = Training.DpSgd.NormEpsilon.ToScalar();
        using var largest = 1.0.ToScalar();
        var factor = norms.add(epsilon).reciprocal_().mul_(clip).clamp_max_(largest).mul_(mask); // [K, B]

        var sums = new Tensor[layout.Parameters.Count];
        for (int l = 0; l < tape.Count; l++) tape[l].ClippedSums(layout, outputGradients[l], factor, sums);
        return sums;
    }
}
