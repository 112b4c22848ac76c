using FedSim.Compute;
using FedSim.Scenario;
using FedSim.Data;
using FedSim.Determinism;
using TorchSharp;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;
using FedSim.Models;
using FedSim.Tests.Support;

namespace FedSim.Tests.Compute;

/// <summary>
/// DP-SGD's vectorized per-example gradients (bmm identities for dense layers, unfold for convolutions, Gram-matrix
/// norms for maps applied at every position, embeddings and LayerNorm) against the plain route: a torch module
/// (nn.LSTM, nn.Embedding, nn.LayerNorm, fused attention for the language models), one example at a time, autograd
/// on that example's loss alone.
/// </summary>
public sealed class PerExampleGradientTests
{
    private static readonly ImageShape Image = new(1, 8, 8);
    private const int Classes = 4, Models = 3, Batch = 5, Vocabulary = 11, Context = 6;

    private static ModelSpec Spec(string kind) => kind switch
    {
        ModelKinds.Cnn => new ModelSpec(kind, Image.Size, Classes, [], Image, [2, 3], 6),
        ModelKinds.Lstm => new ModelSpec(kind, Context, Vocabulary, [5, 5], null, [], 0, Embedding: 3, Layers: 2),
        ModelKinds.Transformer => new ModelSpec(kind, Context, Vocabulary, [], null, [], 12, Embedding: 8, Layers: 2, Heads: 2),
        _ => new ModelSpec(kind, Image.Size, Classes, [7, 5], null, [], 0),
    };

    /// <summary>One example's input shape for the module: an image for the CNN, a row otherwise.</summary>
    private static long[] ExampleShape(ModelSpec spec)
        => spec.Kind == ModelKinds.Cnn ? [1, 1, Image.Height, Image.Width] : [1, spec.InputFeatures];

    /// <summary>Per-example norms [models, batch] and clipped sums (canonical flat) from the batched route.</summary>
    private static (float[,] Norms, float[][] Sums) Batched(ModelSpec spec, float[][] weights, float[] x, long[] y, float[] mask, double clip)
    {
        var layout = ModelLayout.For(spec);
        using var scope = torch.NewDisposeScope();
        using var grad = torch.enable_grad();
        var device = TestDevice.Torch;
        var flat = torch.tensor(weights.SelectMany(w => w).ToArray(), [Models, layout.Count], device: device);
        var parameters = layout.Parameters.Select(info => flat.narrow(1, info.Offset, info.Count)
            .reshape([Models, .. info.Shape.Select(s => (long)s)]).contiguous().requires_grad_(true)).ToArray();
        var tape = new List<TapedLayer>();
        var (losses, _) = StackedModel.ExampleLosses(layout, parameters, torch.tensor(x, [Models, Batch, spec.InputFeatures], device: device),
            torch.tensor(y, [Models, Batch], device: device), Models, tape);
        var w = torch.tensor(mask, [Models, Batch], device: device);
        var sums = PerExampleGradients.ClippedSums(layout, (losses * w).sum(), tape, w, clip, out var norms);
        var normValues = new float[Models, Batch];
        var host = norms.cpu().contiguous().data<float>().ToArray();
        for (int m = 0; m < Models; m++) for (int b = 0; b < Batch; b++) normValues[m, b] = host[m * Batch + b];
        var flatSums = new float[Models][];
        for (int m = 0; m < Models; m++)
            flatSums[m] = sums.SelectMany(s => s[m].cpu().contiguous().data<float>().ToArray()).ToArray();
        return (normValues, flatSums);
    }

    /// <summary>The same from a torch module, one example at a time (gradients read back in the canonical layout).</summary>
    private static (float[,] Norms, float[][] Sums) OneAtATime(ModelSpec spec, float[][] weights, float[] x, long[] y, float[] mask, double clip)
    {
        var layout = ModelLayout.For(spec);
        var norms = new float[Models, Batch];
        var sums = new float[Models][];
        for (int m = 0; m < Models; m++)
        {
            using var scope = torch.NewDisposeScope();
            using var grad = torch.enable_grad();
            var device = TestDevice.Torch;
            var model = ReferenceTrainer.Build(layout);
            model.to(device);
            var parameters = ReferenceTrainer.ModuleParameters(model, layout);
            ReferenceTrainer.Load(layout, parameters, weights[m], device);
            sums[m] = new float[layout.Count];
            for (int b = 0; b < Batch; b++)
            {
                if (mask[m * Batch + b] == 0) continue;
                foreach (var p in parameters) p.grad?.zero_();
                int features = spec.InputFeatures;
                var input = torch.tensor(x.AsSpan((m * Batch + b) * features, features).ToArray(), ExampleShape(spec), device: device);
                ReferenceTrainer.BatchLoss(layout, model, input, torch.tensor(new[] { y[m * Batch + b] }, device: device)).backward();
                var g = ReferenceTrainer.Save(layout, parameters.Select(p => new TorchSharp.Modules.Parameter(p.grad!.clone())).ToArray());
                double norm = Math.Sqrt(g.Sum(v => (double)v * v));
                norms[m, b] = (float)norm;
                double factor = Math.Min(1, clip / (norm + 1e-6));
                for (int i = 0; i < g.Length; i++) sums[m][i] += (float)(factor * g[i]);
            }
        }
        return (norms, sums);
    }

    [Theory]
    [InlineData(ModelKinds.Mlp)]
    [InlineData(ModelKinds.Cnn)]
    [InlineData(ModelKinds.Lstm)]
    [InlineData(ModelKinds.Transformer)]
    public void Per_example_norms_and_clipped_sums_match_one_example_at_a_time(string kind)
    {
        // Prepare: three models with different weights, five examples each, one padding slot per model. Token ids repeat
        // within an example, so an embedding row gathers several positions' gradients.
        var spec = Spec(kind);
        var weights = Enumerable.Range(0, Models).Select(m => ModelLayout.Initialize(spec, (ulong)m + 5)).ToArray();
        var rng = new DeterministicRandom(77);
        var x = Enumerable.Range(0, Models * Batch * spec.InputFeatures)
            .Select(_ => spec.IsLanguageModel ? rng.NextInt(4) : (float)rng.NextGaussian()).ToArray();
        var y = Enumerable.Range(0, Models * Batch).Select(_ => (long)rng.NextInt(spec.Classes)).ToArray();
        var mask = Enumerable.Range(0, Models * Batch).Select(i => i % Batch == (i / Batch) ? 0f : 1f).ToArray();

        foreach (double clip in new[] { 1e6, 0.3 }) // no clipping, then most examples clipped
        {
            // Execute
            var batched = Batched(spec, weights, x, y, mask, clip);
            var reference = OneAtATime(spec, weights, x, y, mask, clip);

            // Assert
            for (int m = 0; m < Models; m++)
            {
                for (int b = 0; b < Batch; b++)
                    if (mask[m * Batch + b] != 0)
                        Assert.True(Math.Abs(batched.Norms[m, b] - reference.Norms[m, b]) <= 1e-5 * reference.Norms[m, b],
                            $"{kind} model {m} example {b}: norm {batched.Norms[m, b]} vs {reference.Norms[m, b]}");
                double scale = ComputeTestData.MaxAbs(reference.Sums[m]);
                Assert.True(scale > 0);
                double diff = ComputeTestData.MaxAbsDiff(batched.Sums[m], reference.Sums[m]) / scale;
                Assert.True(diff <= 1e-5, $"{kind} model {m}, clip {clip}: clipped sums differ by {diff:E2} relative");
            }
            if (clip < 1) Assert.Contains(reference.Norms.Cast<float>(), n => n > clip); // clipping did happen
        }
    }
}
