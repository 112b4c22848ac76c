using TorchSharp;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;
using FedSim.Models;

namespace FedSim.Compute;

/// <summary>
/// The forward pass of K language models of one layout at once (see <see cref="ModelLayout"/> for the architectures).
/// Every parameter is stacked [K, ...canonical shape]; dense maps run as one bmm over the cohort's B·T positions, the
/// LSTM's recurrence as one bmm per time step, attention as batched matmuls over (model, example, head). A tape, when
/// given, receives what DP-SGD's per-example gradients need (<see cref="PerExampleGradients"/>).
/// </summary>
internal static class StackedLanguageModels
{
    /// <summary>Logits [K, B, T, V] for token ids <paramref name="x"/> [K, B, T] (stored as floats).</summary>
    public static Tensor Logits(ModelLayout layout, IReadOnlyList<Tensor> p, Tensor x, long k, List<TapedLayer>? tape)
    {
        var ids = x.to(ScalarType.Int64);
        return layout.Spec.Kind == ModelKinds.Lstm ? Lstm(layout, p, ids, k, tape) : Transformer(layout, p, ids, k, tape);
    }

    /// <summary>Each position's target [.., T]: the next token of the sample, the label after the last position.</summary>
    public static Tensor Targets(Tensor x, Tensor y)
    {
        long t = x.shape[^1];
        return torch.cat([x.narrow(-1, 1, t - 1).to(ScalarType.Int64), y.unsqueeze(-1)], -1);
    }

    private static Tensor Lstm(ModelLayout layout, IReadOnlyList<Tensor> p, Tensor ids, long k, List<TapedLayer>? tape)
    {
        long b = ids.shape[1], t = ids.shape[2];
        var h = Embed(p[0], ids, k, 0, tape);
        int next = 1;
        foreach (int units in layout.Spec.Hidden)
        {
            h = LstmLayer(p, next, h, units, k, b, t, tape);
            next += 4;
        }
        return Dense(p, next, h, tape);
    }

    /// <summary>
    /// One stacked LSTM layer over [K, B, T, in]: the input projection of every position in one bmm, then the
    /// recurrence step by step (PyTorch's gate order i, f, g, o; h₀ = c₀ = 0, so step 0 has no recurrent term).
    /// </summary>
    private static Tensor LstmLayer(IReadOnlyList<Tensor> p, int first, Tensor input, int units, long k, long b, long t, List<TapedLayer>? tape)
    {
        Tensor weightIh = p[first], weightHh = p[first + 1], biasIh = p[first + 2], biasHh = p[first + 3];
        long inputs = input.shape[3];
        // pre holds every position's gates but the recurrent term; its gradient is the gates' gradient, which is all
        // DP-SGD needs for the layer's four parameters.
        var pre = Autocast.Bmm(input.reshape(k, b * t, inputs), weightIh).view(k, b, t, 4 * units)
            .add(biasIh.add(biasHh, HeldScalars.One).view(k, 1, 1, 4 * units), HeldScalars.One);
        var outputs = new Tensor[t];
        // One view per step through unbind, whose backward stacks the steps' gradients once; a select per step would
        // scatter each step's gradient into a zero tensor of all of pre (T times pre's size per layer and step).
        var steps = pre.unbind(2);
        var recurrent = Autocast.Operand(weightHh);
        Tensor? hidden = null, cell = null;
        for (long s = 0; s < t; s++)
        {
            var gates = steps[s];
            if (hidden is not null) gates = gates.add(Autocast.Bmm(hidden, recurrent), HeldScalars.One);
            var parts = gates.chunk(4, -1);
            var candidate = parts[0].sigmoid().mul(parts[2].tanh());
            cell = cell is null ? candidate : parts[1].sigmoid().mul(cell).add(candidate, HeldScalars.One);
            hidden = parts[3].sigmoid().mul(cell.tanh());
            outputs[s] = hidden;
        }
        var output = torch.stack(outputs, 2); // [K, B, T, H]
        if (tape is not null)
        {
            // Step s's recurrent input is the previous step's output (zero at step 0).
            var previous = torch.cat([torch.zeros(k, b, 1, units, device: output.device), output.narrow(2, 0, t - 1)], 2);
            tape.Add(new SequenceDenseLayer(pre, [(input, first), (previous, first + 1)], [first + 2, first + 3]));
        }
        return output;
    }

    private static Tensor Transformer(ModelLayout layout, IReadOnlyList<Tensor> p, Tensor ids, long k, List<TapedLayer>? tape)
    {
        long b = ids.shape[1], t = ids.shape[2];
        int width = layout.Spec.Embedding, heads = layout.Spec.Heads;
        var positions = Steps(t, 1, ids.device).view(1, 1, t).expand(k, b, t);
        var h = Embed(p[0], ids, k, 0, tape).add(Embed(p[1], positions, k, 1, tape), HeldScalars.One);
        using var causal = torch.ones(t, t, ScalarType.Bool, device: ids.device).triu(1); // true above the diagonal: the future
        int next = 2;
        for (int block = 0; block < layout.Spec.Layers; block++)
        {
            var qkv = Dense(p, next + 2, Norm(p, next, h, tape), tape);
            h = h.add(Dense(p, next + 4, Attention(qkv, causal, k, b, t, width, heads), tape), HeldScalars.One);
            var hidden = F.gelu(Dense(p, next + 8, Norm(p, next + 6, h, tape), tape));
            h = h.add(Dense(p, next + 10, hidden, tape), HeldScalars.One);
            next += 12;
        }
        return Dense(p, next + 2, Norm(p, next, h, tape), tape);
    }

    /// <summary>Causal multi-head self-attention of [K, B, T, 3D] queries, keys and values; [K, B, T, D] out.</summary>
    private static Tensor Attention(Tensor qkv, Tensor causal, long k, long b, long t, int width, int heads)
    {
        long headWidth = width / heads;
        // [K, B, T, 3, heads, d] -> three [K, B, heads, T, d]
        var split = qkv.view(k, b, t, 3, heads, headWidth).permute(3, 0, 1, 4, 2, 5);
        Tensor q = split[0], key = split[1], v = split[2];
        using var scale = (1 / Math.Sqrt(headWidth)).ToScalar();
        using var never = double.NegativeInfinity.ToScalar();
        // Softmax in fp32 whatever the products ran in (see Autocast).
        var scores = Autocast.Float(Autocast.Matmul(q, key.transpose(-1, -2))).mul_(scale).masked_fill_(causal, never);
        var mixed = Autocast.Matmul(scores.softmax(-1), v); // [K, B, heads, T, d]
        return mixed.permute(0, 1, 3, 2, 4).reshape(k, b, t, width);
    }

    /// <summary>Rows of a stacked table [K, V, D] for ids [K, B, T]: one gather over the K tables laid end to end.</summary>
    private static Tensor Embed(Tensor table, Tensor ids, long k, int index, List<TapedLayer>? tape)
    {
        long rows = table.shape[1], width = table.shape[2];
        var flat = ids.add(Steps(k, rows, ids.device).view(k, 1, 1), HeldScalars.One).reshape(-1);
        var output = table.reshape(k * rows, width).index_select(0, flat).view([.. ids.shape, width]);
        tape?.Add(new EmbeddingLayer(output, ids, index));
        return output;
    }

    /// <summary>x·W + b over every position: [K, B, T, in] to [K, B, T, out] as one bmm.</summary>
    private static Tensor Dense(IReadOnlyList<Tensor> p, int weight, Tensor input, List<TapedLayer>? tape)
    {
        long k = input.shape[0], b = input.shape[1], t = input.shape[2], inputs = input.shape[3], outputs = p[weight].shape[2];
        var output = Autocast.Bmm(input.reshape(k, b * t, inputs), p[weight]).view(k, b, t, outputs).add(p[weight + 1].view(k, 1, 1, outputs), HeldScalars.One);
        tape?.Add(new SequenceDenseLayer(output, [(input, weight)], [weight + 1]));
        return output;
    }

    /// <summary>LayerNorm over the last dimension (ε = 10⁻⁵, as nn.LayerNorm), with each model's own gain and shift.</summary>
    private static Tensor Norm(IReadOnlyList<Tensor> p, int gain, Tensor input, List<TapedLayer>? tape)
    {
        long k = input.shape[0], width = input.shape[3];
        var normalized = F.layer_norm(Autocast.Float(input), [width], eps: LayerNormEpsilon);
        var output = normalized.mul(p[gain].view(k, 1, 1, width)).add(p[gain + 1].view(k, 1, 1, width), HeldScalars.One);
        tape?.Add(new NormLayer(output, normalized, gain));
        return output;
    }

    /// <summary>0, step, 2·step, … (<paramref name="count"/> values) as int64, made on the host: no temporary Scalar (see HeldScalars).</summary>
    internal static Tensor Steps(long count, long step, Device device)
    {
        var values = new long[count];
        for (long i = 0; i < count; i++) values[i] = i * step;
        return torch.tensor(values, device: device);
    }

    /// <summary>nn.LayerNorm's default ε.</summary>
    public const double LayerNormEpsilon = 1e-5;
}
