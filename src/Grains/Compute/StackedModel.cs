using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using FedSim.Scenario;
using FedSim.Data;
using TorchSharp;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;
using FedSim.Models;

namespace FedSim.Compute;

/// <summary>
/// The forward pass of K models of one layout at once. Each parameter is stacked as [K, ...canonical shape];
/// dense layers run as one batched matmul (bmm), the CNN's convolutions as one grouped convolution
/// with the K models' channels side by side (groups = K), so the cohort is one program, not K.
/// </summary>
internal static class StackedModel
{
    /// <summary>
    /// Each example's loss [K, B] for inputs <paramref name="x"/> [K, B, features] and labels <paramref name="y"/> [K, B]:
    /// its cross-entropy, or for a language model the mean cross-entropy of its positions' next tokens. Returns the
    /// logits too: [K, B, classes], or [K, B, T, V] for a language model.
    /// </summary>
    /// <param name="tape">When given, receives what DP-SGD's per-example gradients need of every parametrised map.</param>
    public static (Tensor Losses, Tensor Logits) ExampleLosses(ModelLayout layout, IReadOnlyList<Tensor> p, Tensor x, Tensor y, long k,
        List<TapedLayer>? tape = null)
    {
        // The losses in fp32 whatever the products ran in (see Autocast).
        var logits = Autocast.Float(Logits(layout, p, x, k, tape));
        long b = x.shape[1], classes = layout.Spec.Classes;
        if (!layout.Spec.IsLanguageModel)
            return (F.cross_entropy(logits.reshape(k * b, classes), y.reshape(k * b), reduction: nn.Reduction.None).view(k, b), logits);
        var targets = StackedLanguageModels.Targets(x, y);
        long t = targets.shape[2];
        var nll = F.cross_entropy(logits.reshape(k * b * t, classes), targets.reshape(k * b * t), reduction: nn.Reduction.None);
        return (nll.view(k, b, t).mean([2]), logits);
    }

    /// <summary>Correct predictions of each example [K, B]: 0 or 1 for a classifier, 0..T positions for a language model.</summary>
    public static Tensor Hits(ModelLayout layout, Tensor logits, Tensor x, Tensor y)
    {
        if (!layout.Spec.IsLanguageModel) return logits.argmax(2).eq(y).to(ScalarType.Int64);
        return logits.argmax(3).eq(StackedLanguageModels.Targets(x, y)).sum([2]);
    }

    /// <summary>Logits [K, B, classes] for per-model inputs <paramref name="x"/> [K, B, features] ([K, B, T, V] for a language model).</summary>
    /// <param name="tape">When given, receives every layer's input and pre-activation output (DP-SGD's per-example gradients).</param>
    public static Tensor Logits(ModelLayout layout, IReadOnlyList<Tensor> p, Tensor x, long k, List<TapedLayer>? tape = null)
    {
        if (layout.Spec.IsLanguageModel) return StackedLanguageModels.Logits(layout, p, x, k, tape);
        long b = x.shape[1];
        Tensor h = x;
        int next = 0;
        if (layout.Spec.Kind == ModelKinds.Cnn)
        {
            var img = layout.Spec.Image!.Value;
            int c1 = layout.Spec.Channels[0], c2 = layout.Spec.Channels[1], ks = ModelLayout.ConvKernel;
            long[] pad = [ModelLayout.ConvPadding, ModelLayout.ConvPadding];
            // [K, B, C*H*W] -> [B, K*C, H, W]: model k's channels occupy group k.
            h = x.view(k, b, img.Channels, img.Height, img.Width).transpose(0, 1).reshape(b, k * img.Channels, img.Height, img.Width);
            var z = Autocast.Conv2d(h, p[0].reshape(k * c1, img.Channels, ks, ks), p[1].reshape(k * c1), pad, k);
            tape?.Add(new ConvolutionLayer(h, z, 0));
            h = F.max_pool2d(F.relu(z), 2, 2);
            z = Autocast.Conv2d(h, p[2].reshape(k * c2, c1, ks, ks), p[3].reshape(k * c2), pad, k);
            tape?.Add(new ConvolutionLayer(h, z, 2));
            h = F.max_pool2d(F.relu(z), 2, 2);
            // [B, K*c2, h, w] -> [K, B, c2*h*w]; within a group the order is (channel, row, column) like nn.Flatten.
            h = h.reshape(b, k, layout.ConvFlatFeatures).transpose(0, 1);
            next = 4;
        }
        int layers = layout.DenseLayers.Count;
        for (int l = 0; l < layers; l++, next += 2)
        {
            var input = h;
            if (tape is null) h = Autocast.Bmm(h, p[next]).add_(p[next + 1].unsqueeze(1), HeldScalars.One);
            else
            {
                // Out of place: the pre-activation output is a tape entry whose gradient is asked for.
                h = torch.bmm(h, p[next]).add(p[next + 1].unsqueeze(1), HeldScalars.One);
                tape.Add(new DenseLayer(input, h, next));
            }
            if (l < layers - 1) h = F.relu(h);
        }
        return h;
    }
}

/// <summary>
/// Scalars that live for the whole process. TorchSharp 0.107's Scalar is freed by its finalizer, so one created for a
/// single call (an implicit conversion, or the alpha of 1 that add_(Tensor) passes itself) can be freed by a garbage
/// collection while the native call still reads it; a static one is never collected. Read-only, so any thread may use it.
/// </summary>
internal static class HeldScalars
{
    /// <summary>1, as an int64 Scalar like TorchSharp's own default alpha.</summary>
    public static readonly Scalar One = 1.ToScalar();
}

/// <summary>A zero-initialized host tensor whose memory C# writes directly (no per-element accessor calls).</summary>
internal sealed class HostBuffer
{
    public HostBuffer(long[] shape, ScalarType type)
    {
        // Zeros, not empty: padded slots are never read by the loss (weight 0) but must not hold NaN garbage.
        Tensor = torch.zeros(shape, type, torch.CPU);
        Pointer = type switch
        {
            ScalarType.Float32 => Tensor.storage<float>().data_ptr(),
            ScalarType.Int64 => Tensor.storage<long>().data_ptr(),
            _ => throw new NotSupportedException(type.ToString()),
        };
    }

    public Tensor Tensor { get; }
    public IntPtr Pointer { get; }

    public void Write(float[] source, int sourceIndex, long elementOffset, int count)
        => Marshal.Copy(source, sourceIndex, Pointer + (nint)(elementOffset * sizeof(float)), count);

    public void Write(long[] source, int sourceIndex, long elementOffset, int count)
        => Marshal.Copy(source, sourceIndex, Pointer + (nint)(elementOffset * sizeof(long)), count);
}

/// <summary>
/// Datasets copied once to an accelerator, so a cohort's batches are gathered there (index_select) instead
/// of uploading every step's inputs. Held as long as the dataset object lives.
/// </summary>
internal static class DeviceDatasetCache
{
    private sealed class Entry
    {
        public readonly Dictionary<string, (Tensor X, Tensor Y)> ByDevice = new();
    }

    private static readonly ConditionalWeakTable<Dataset, Entry> Table = new();

    public static (Tensor X, Tensor Y) Get(Dataset data, Device device)
    {
        var entry = Table.GetValue(data, _ => new Entry());
        lock (entry)
        {
            string key = device.ToString();
            if (entry.ByDevice.TryGetValue(key, out var cached)) return cached;
            Tensor x, y;
            using (torch.NewDisposeScope())
            {
                var labels = new long[data.Count];
                for (int i = 0; i < labels.Length; i++) labels[i] = data.Labels[i];
                x = torch.tensor(data.Features, [data.Count, data.FeatureCount]).to(device).DetachFromDisposeScope();
                y = torch.tensor(labels, [data.Count]).to(device).DetachFromDisposeScope();
            }
            entry.ByDevice[key] = (x, y);
            return (x, y);
        }
    }
}
