using FedSim.Data;
using FedSim.Determinism;

namespace FedSim.Models;

/// <summary>What a parameter tensor is, so trainers know how to use it and how to map it to torch modules.</summary>
public enum ParameterRole
{
    /// <summary>Dense weight stored as [in, out] (x @ W); torch's nn.Linear keeps its transpose.</summary>
    LinearWeight,
    /// <summary>Convolution kernel [out, in, kh, kw], the same layout nn.Conv2d uses.</summary>
    ConvWeight,
    Bias,
    /// <summary>Token or position embedding table [rows, width], read by row; starts U(-1, 1).</summary>
    Embedding,
    /// <summary>LayerNorm's per-feature gain; starts at 1.</summary>
    NormGain,
    /// <summary>LayerNorm's per-feature shift; starts at 0.</summary>
    NormShift,
}

/// <summary>One named parameter tensor inside the flat weight vector.</summary>
/// <param name="Name">Stable name, e.g. "fc1.weight".</param>
/// <param name="Shape">Canonical shape.</param>
/// <param name="Offset">Start index in the flat vector.</param>
/// <param name="FanIn">Inputs feeding each output unit; sets the init bound 1/sqrt(FanIn).</param>
public sealed record ParameterTensor(string Name, ParameterRole Role, int[] Shape, int Offset, int FanIn)
{
    public int Count => Shape.Aggregate(1, (a, b) => a * b);
}

/// <summary>
/// The canonical flat layout of a model's parameters: every trainer, aggregator and checkpoint agrees on it.
/// Dense layers are (weight [in, out], bias [out]); the CNN is McMahan et al. 2017's MNIST/FEMNIST CNN:
/// conv5x5(c1, pad 2) + ReLU + maxpool2, conv5x5(c2, pad 2) + ReLU + maxpool2, dense + ReLU, dense.
/// The language models read token ids: the LSTM is embedding, stacked LSTM layers (PyTorch's gate order i, f, g, o
/// and its two biases) and a dense head at every position (McMahan et al. 2017's Shakespeare model); the transformer is
/// a causal decoder: token and position embeddings, pre-LayerNorm blocks of multi-head self-attention (one [D, 3D]
/// query/key/value projection) and a GELU MLP, a final LayerNorm and a dense head.
/// </summary>
public sealed class ModelLayout
{
    public const int ConvKernel = 5;
    public const int ConvPadding = 2;

    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, ModelLayout> Cache = new();

    private ModelLayout(ModelSpec spec, IReadOnlyList<ParameterTensor> parameters)
    {
        Spec = spec;
        Parameters = parameters;
        Count = parameters.Count == 0 ? 0 : parameters[^1].Offset + parameters[^1].Count;
    }

    public ModelSpec Spec { get; }

    /// <summary>Parameter tensors in canonical order.</summary>
    public IReadOnlyList<ParameterTensor> Parameters { get; }

    /// <summary>Total number of floats in the flat weight vector.</summary>
    public int Count { get; }

    /// <summary>Dense layers (input, output) in order; for the CNN only the two after the convolutions.</summary>
    internal IReadOnlyList<(int In, int Out)> DenseLayers { get; private init; } = [];

    /// <summary>Flattened size after the CNN's second pooling (c2 * H/4 * W/4); 0 for other kinds.</summary>
    internal int ConvFlatFeatures { get; private init; }

    /// <summary>The layout of a spec (cached by <see cref="ModelSpec.Key"/>). Throws <see cref="ArgumentException"/> for an invalid spec.</summary>
    public static ModelLayout For(ModelSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        return Cache.GetOrAdd(spec.Key, _ => Build(spec));
    }

    /// <summary>
    /// Fresh weights drawn in C# from <paramref name="seed"/>, so every backend starts from the same model.
    /// Like PyTorch's defaults for Linear/Conv2d: weights and biases ~ U(-1/sqrt(fan_in), 1/sqrt(fan_in)).
    /// </summary>
    public static float[] Initialize(ModelSpec spec, ulong seed) => For(spec).Initialize(seed);

    /// <inheritdoc cref="Initialize(ModelSpec, ulong)"/>
    public float[] Initialize(ulong seed)
    {
        var rng = new DeterministicRandom(seed);
        var w = new float[Count];
        foreach (var p in Parameters)
        {
            if (p.Role == ParameterRole.NormGain) Array.Fill(w, 1f, p.Offset, p.Count);
            if (p.Role is ParameterRole.NormGain or ParameterRole.NormShift) continue;
            double bound = p.Role == ParameterRole.Embedding ? 1.0 : 1.0 / Math.Sqrt(p.FanIn);
            for (int i = p.Offset; i < p.Offset + p.Count; i++)
                w[i] = (float)((2 * rng.NextDouble() - 1) * bound);
        }
        return w;
    }

    /// <summary>Checks a flat weight vector's length; <paramref name="what"/> names it in the message.</summary>
    public void Validate(float[] weights, string what)
    {
        ArgumentNullException.ThrowIfNull(weights, what);
        if (weights.Length != Count)
            throw new ArgumentException(
                $"{what} has {weights.Length} values but model '{Spec.Key}' needs {Count}; the weights were made for a different model.");
    }

    private static ModelLayout Build(ModelSpec spec)
    {
        string where = $"model '{spec.Kind}'";
        if (spec.InputFeatures <= 0) throw new ArgumentException($"{where}: input features must be positive, got {spec.InputFeatures}.");
        if (spec.Classes < 2) throw new ArgumentException($"{where}: needs at least 2 classes, got {spec.Classes}.");
        // Sizes beyond one float32 array would overflow the int offsets below; `fedsim validate` reports them first.
        if (ModelBudget.Parameters(spec) is { } parameters && parameters > ModelBudget.MaxParameters)
            throw new ArgumentException($"{where}: {parameters:N0} parameters do not fit one float32 array (at most {ModelBudget.MaxParameters:N0}); use narrower or fewer layers.");
        var list = new List<ParameterTensor>();
        var dense = new List<(int, int)>();
        int offset = 0;
        void Add(string name, ParameterRole role, int[] shape, int fanIn)
        {
            var p = new ParameterTensor(name, role, shape, offset, fanIn);
            list.Add(p);
            offset = checked(offset + p.Count);
        }
        void Dense(string name, int inputs, int outputs)
        {
            Add(name + ".weight", ParameterRole.LinearWeight, [inputs, outputs], inputs);
            Add(name + ".bias", ParameterRole.Bias, [outputs], inputs);
            dense.Add((inputs, outputs));
        }

        int convFlat = 0;
        switch (spec.Kind)
        {
            case ModelKinds.Logistic:
                Dense("fc", spec.InputFeatures, spec.Classes);
                break;
            case ModelKinds.Mlp:
            {
                if (spec.Hidden is null || spec.Hidden.Length == 0)
                    throw new ArgumentException($"{where}: model.hidden must list at least one layer width (e.g. [64]); use kind logistic for no hidden layer.");
                int prev = spec.InputFeatures;
                for (int i = 0; i < spec.Hidden.Length; i++)
                {
                    if (spec.Hidden[i] <= 0) throw new ArgumentException($"{where}: model.hidden[{i}] must be positive, got {spec.Hidden[i]}.");
                    Dense($"fc{i + 1}", prev, spec.Hidden[i]);
                    prev = spec.Hidden[i];
                }
                Dense("out", prev, spec.Classes);
                break;
            }
            case ModelKinds.Cnn:
            {
                if (spec.Image is not ImageShape img)
                    throw new ArgumentException($"{where}: the cnn needs an image shape (channels x height x width); use an image dataset or kind mlp.");
                if (img.Size != spec.InputFeatures)
                    throw new ArgumentException($"{where}: image {img.Channels}x{img.Height}x{img.Width} has {img.Size} values but input features is {spec.InputFeatures}.");
                if (img.Height < 4 || img.Width < 4)
                    throw new ArgumentException($"{where}: the cnn pools twice by 2, so images must be at least 4x4, got {img.Height}x{img.Width}.");
                if (spec.Channels is null || spec.Channels.Length != 2 || spec.Channels.Any(c => c <= 0))
                    throw new ArgumentException($"{where}: model.channels must be two positive values (e.g. [32, 64]), got [{string.Join(", ", spec.Channels ?? [])}].");
                if (spec.Dense <= 0) throw new ArgumentException($"{where}: model.dense must be positive, got {spec.Dense}.");
                int c1 = spec.Channels[0], c2 = spec.Channels[1], k2 = ConvKernel * ConvKernel;
                Add("conv1.weight", ParameterRole.ConvWeight, [c1, img.Channels, ConvKernel, ConvKernel], img.Channels * k2);
                Add("conv1.bias", ParameterRole.Bias, [c1], img.Channels * k2);
                Add("conv2.weight", ParameterRole.ConvWeight, [c2, c1, ConvKernel, ConvKernel], c1 * k2);
                Add("conv2.bias", ParameterRole.Bias, [c2], c1 * k2);
                // 5x5 with padding 2 keeps the size; each 2x2 max-pool floors it by half.
                convFlat = c2 * (img.Height / 2 / 2) * (img.Width / 2 / 2);
                Dense("fc1", convFlat, spec.Dense);
                Dense("fc2", spec.Dense, spec.Classes);
                break;
            }
            case ModelKinds.Lstm:
                LanguageModelLayouts.Lstm(spec, where, Add, Dense);
                break;
            case ModelKinds.Transformer:
                LanguageModelLayouts.Transformer(spec, where, Add, Dense);
                break;
            default:
                throw new ArgumentException($"Unknown model kind '{spec.Kind}'; expected one of: {string.Join(", ", ModelKinds.All)}.");
        }
        return new ModelLayout(spec, list) { DenseLayers = dense, ConvFlatFeatures = convFlat };
    }
}

/// <summary>Builds a <see cref="ModelSpec"/> from the scenario's model options and the dataset's geometry.</summary>
public static class ModelSpecFactory
{
    /// <summary>
    /// Resolves <paramref name="options"/> against a dataset with <paramref name="featureCount"/> features,
    /// <paramref name="classCount"/> classes and an optional image shape. Throws <see cref="ArgumentException"/>
    /// with a message naming the scenario field to fix.
    /// </summary>
    public static ModelSpec Create(ModelSpecOptions options, int featureCount, int classCount, ImageShape? image, string? datasetName = null,
        TextShape? text = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        string kind = (options.Kind ?? "").Trim().ToLowerInvariant();
        string data = datasetName is null ? "the dataset" : $"dataset '{datasetName}'";
        if (!ModelKinds.All.Contains(kind))
            throw new ArgumentException($"model.kind: '{options.Kind}' is not a model; use one of: {string.Join(", ", ModelKinds.All)}.");
        if (kind == ModelKinds.Cnn && image is null)
            throw new ArgumentException($"model.kind: cnn needs image data, but {data} has no image shape; use an image dataset (mnist, fashion-mnist, femnist) or model.kind mlp/logistic.");
        if (ModelKinds.IsLanguageModel(kind) != text is not null)
            throw new ArgumentException(text is null
                ? $"model.kind: {kind} reads token sequences, but {data} is not text; use a text dataset (shakespeare) or model.kind mlp/logistic/cnn."
                : $"model.kind: {data} holds token sequences (its features are token ids, not measurements); use model.kind lstm or transformer.");
        var spec = kind switch
        {
            ModelKinds.Logistic => new ModelSpec(kind, featureCount, classCount, [], null, [], 0),
            ModelKinds.Mlp => new ModelSpec(kind, featureCount, classCount, options.Hidden?.ToArray() ?? [], null, [], 0),
            ModelKinds.Cnn => new ModelSpec(kind, featureCount, classCount, [], image, options.Channels?.ToArray() ?? [], options.Dense),
            _ => LanguageModelLayouts.Spec(options, kind, featureCount, classCount),
        };
        ModelLayout.For(spec); // validates sizes now, with the field names in the message
        return spec;
    }

    /// <summary>Same, reading the geometry from <paramref name="dataset"/>.</summary>
    public static ModelSpec Create(ModelSpecOptions options, Dataset dataset)
        => Create(options, dataset.FeatureCount, dataset.ClassCount, dataset.Image, dataset.Name, dataset.Text);
}
