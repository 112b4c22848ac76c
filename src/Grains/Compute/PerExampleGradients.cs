using TorchSharp;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;
using FedSim.Models;

namespace FedSim.Compute;

/// <summary>One layer of a stacked forward pass as DP-SGD needs it: its input, and its output before the activation.</summary>
/// <param name="Convolution">A grouped convolution ([B, K·C, H, W] tensors) rather than a dense bmm ([K, B, features]).</param>
/// <param name="Weight">Index of the layer's weight in the canonical parameter list (its bias follows it).</param>
internal sealed record TapedLayer(bool Convolution, Tensor Input, Tensor Output, int Weight);

/// <summary>
/// Per-example gradients of a whole cohort from its layers' inputs and output gradients, without a loop over examples
/// and, for dense layers, without materializing them (Goodfellow 2015, "Efficient Per-Example Gradient Computations";
/// the same identities Opacus' grad samplers use):
/// <list type="bullet">
/// <item>dense layer z = xW + b: example b's weight gradient is the outer product x_bᵀ·g_b, so its squared norm is
/// ‖x_b‖²·‖g_b‖², its bias gradient g_b, and the clipped sum Σ_b c_b·x_bᵀ·g_b is one bmm: xᵀ·(c ⊙ g);</item>
/// <item>convolution: with U_b = unfold(x_b) (im2col, [C_in·k·k, P]) and G_b the output gradient [C_out, P], example b's
/// weight gradient is G_b·U_bᵀ: one batched matmul over (examples × models), materialized because a convolution
/// shares its kernel across positions; the bias gradient is Σ_p G_b.</item>
/// </list>
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
        var one = HeldScalars.One;
        var convGradients = new Tensor?[tape.Count];
        var convBiasGradients = new Tensor?[tape.Count];
        for (int l = 0; l < tape.Count; l++)
        {
            var layer = tape[l];
            var g = outputGradients[l];
            if (!layer.Convolution)
            {
                var x = layer.Input;                                         // [K, B, in]
                var gSquared = g.square().sum(-1);                           // [K, B]
                squared.add_(x.square().sum(-1).mul(gSquared), one).add_(gSquared, one);
                continue;
            }
            var (perExample, bias) = ConvolutionGradients(layout, layer, g, k);
            squared.add_(perExample.square().sum([2, 3]).t(), one).add_(bias.square().sum(2).t(), one);
            convGradients[l] = perExample;
            convBiasGradients[l] = bias;
        }
        norms = squared.sqrt();
        // min(1, C / (‖g‖ + ε)), every Scalar held for the native calls (see HeldScalars).
        using var clip = clipNorm.ToScalar();
        using var epsilon = Training.DpSgd.NormEpsilon.ToScalar();
        using var largest = 1.0.ToScalar();
        var factor = norms.add(epsilon).reciprocal_().mul_(clip).clamp_max_(largest).mul_(mask); // [K, B]

        var sums = new Tensor[layout.Parameters.Count];
        for (int l = 0; l < tape.Count; l++)
        {
            var layer = tape[l];
            var g = outputGradients[l];
            var weight = layout.Parameters[layer.Weight];
            long[] weightShape = [k, .. weight.Shape.Select(s => (long)s)];
            if (!layer.Convolution)
            {
                var scaled = g.mul(factor.unsqueeze(-1));                   // [K, B, out]
                sums[layer.Weight] = torch.bmm(layer.Input.transpose(1, 2), scaled); // [K, in, out]
                sums[layer.Weight + 1] = scaled.sum(1);                      // [K, out]
            }
            else
            {
                var perExampleFactor = factor.t();                           // [B, K]
                sums[layer.Weight] = convGradients[l]!.mul(perExampleFactor.unsqueeze(-1).unsqueeze(-1)).sum(dim: 0).reshape(weightShape);
                sums[layer.Weight + 1] = convBiasGradients[l]!.mul(perExampleFactor.unsqueeze(-1)).sum(dim: 0);
            }
        }
        return sums;
    }

    /// <summary>[B, K, C_out, C_in·k·k] per-example kernel gradients and [B, K, C_out] bias gradients of a grouped convolution.</summary>
    private static (Tensor Weight, Tensor Bias) ConvolutionGradients(ModelLayout layout, TapedLayer layer, Tensor g, long k)
    {
        var weight = layout.Parameters[layer.Weight];
        long outChannels = weight.Shape[0], fan = (long)weight.Shape[1] * weight.Shape[2] * weight.Shape[3];
        long b = layer.Input.shape[0];
        var unfolded = F.unfold(layer.Input, ModelLayout.ConvKernel, padding: ModelLayout.ConvPadding); // [B, K·C_in·k·k, P]
        long positions = unfolded.shape[2];
        var u = unfolded.view(b, k, fan, positions);
        var gradient = g.reshape(b, k, outChannels, positions);
        return (torch.matmul(gradient, u.transpose(2, 3)), gradient.sum(3));
    }
}
