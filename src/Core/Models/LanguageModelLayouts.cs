namespace FedSim.Models;

/// <summary>
/// The parameter layouts of the language models (<see cref="ModelKinds.Lstm"/>, <see cref="ModelKinds.Transformer"/>)
/// and their sizes from the scenario. Names follow PyTorch's modules where one exists (nn.LSTM's weight_ih_l0, …), so a
/// reader of model.safetensors recognises them; weights are stored [in, out] like every dense weight here.
/// </summary>
public static class LanguageModelLayouts
{
    /// <summary>Resolves the scenario's language-model sizes (defaults: <see cref="LanguageModelDefaults"/>).</summary>
    public static ModelSpec Spec(ModelSpecOptions options, string kind, int context, int vocabulary)
    {
        int layers = options.Layers ?? (kind == ModelKinds.Lstm ? LanguageModelDefaults.LstmLayers : LanguageModelDefaults.TransformerLayers);
        if (kind == ModelKinds.Lstm)
        {
            int units = options.Units ?? LanguageModelDefaults.LstmUnits;
            return new ModelSpec(kind, context, vocabulary, Enumerable.Repeat(units, Math.Max(0, layers)).ToArray(), null, [], 0,
                Embedding: options.Embedding ?? LanguageModelDefaults.LstmEmbedding, Layers: layers);
        }
        return new ModelSpec(kind, context, vocabulary, [], null, [], options.Dense,
            Embedding: options.Embedding ?? LanguageModelDefaults.TransformerEmbedding, Layers: layers,
            Heads: options.Heads ?? LanguageModelDefaults.TransformerHeads);
    }

    /// <summary>Embedding [V, E]; per layer l: weight_ih_l{l} [in, 4H], weight_hh_l{l} [H, 4H], bias_ih_l{l}, bias_hh_l{l} [4H]; head [H, V].</summary>
    internal static void Lstm(ModelSpec spec, string where, Action<string, ParameterRole, int[], int> add, Action<string, int, int> dense)
    {
        if (spec.Embedding <= 0) throw new ArgumentException($"{where}: model.embedding must be positive, got {spec.Embedding}.");
        if (spec.Hidden.Length == 0) throw new ArgumentException($"{where}: model.layers must be at least 1, got {spec.Layers}.");
        if (spec.Hidden.Any(h => h <= 0)) throw new ArgumentException($"{where}: model.units must be positive, got {spec.Hidden[0]}.");
        add("embedding.weight", ParameterRole.Embedding, [spec.Classes, spec.Embedding], 1);
        int inputs = spec.Embedding;
        for (int l = 0; l < spec.Hidden.Length; l++)
        {
            int units = spec.Hidden[l];
            // PyTorch initialises every LSTM parameter from U(-1/sqrt(H), 1/sqrt(H)).
            add($"lstm.weight_ih_l{l}", ParameterRole.LinearWeight, [inputs, 4 * units], units);
            add($"lstm.weight_hh_l{l}", ParameterRole.LinearWeight, [units, 4 * units], units);
            add($"lstm.bias_ih_l{l}", ParameterRole.Bias, [4 * units], units);
            add($"lstm.bias_hh_l{l}", ParameterRole.Bias, [4 * units], units);
            inputs = units;
        }
        dense("out", inputs, spec.Classes);
    }

    /// <summary>
    /// Token [V, D] and position [T, D] embeddings; per block b: ln1, attn.qkv [D, 3D], attn.proj [D, D], ln2,
    /// mlp.fc [D, M], mlp.proj [M, D]; final LayerNorm; head [D, V].
    /// </summary>
    internal static void Transformer(ModelSpec spec, string where, Action<string, ParameterRole, int[], int> add, Action<string, int, int> dense)
    {
        int d = spec.Embedding;
        if (d <= 0) throw new ArgumentException($"{where}: model.embedding (the model width) must be positive, got {d}.");
        if (spec.Layers <= 0) throw new ArgumentException($"{where}: model.layers must be at least 1, got {spec.Layers}.");
        if (spec.Heads <= 0 || d % spec.Heads != 0)
            throw new ArgumentException($"{where}: model.heads must divide the model width {d} (model.embedding), got {spec.Heads}.");
        if (spec.Dense <= 0) throw new ArgumentException($"{where}: model.dense (the MLP width) must be positive, got {spec.Dense}.");
        add("token.weight", ParameterRole.Embedding, [spec.Classes, d], 1);
        add("position.weight", ParameterRole.Embedding, [spec.InputFeatures, d], 1);
        void Norm(string name)
        {
            add(name + ".weight", ParameterRole.NormGain, [d], 1);
            add(name + ".bias", ParameterRole.NormShift, [d], 1);
        }
        for (int b = 0; b < spec.Layers; b++)
        {
            Norm($"blocks.{b}.ln1");
            dense($"blocks.{b}.attn.qkv", d, 3 * d);
            dense($"blocks.{b}.attn.proj", d, d);
            Norm($"blocks.{b}.ln2");
            dense($"blocks.{b}.mlp.fc", d, spec.Dense);
            dense($"blocks.{b}.mlp.proj", spec.Dense, d);
        }
        Norm("ln_f");
        dense("out", d, spec.Classes);
    }

    /// <summary>Parameter count without laying the model out (double: judged before it must fit an int), or null when invalid.</summary>
    public static double? Parameters(ModelSpec spec)
    {
        double v = spec.Classes, t = spec.InputFeatures, e = spec.Embedding;
        if (spec.Kind == ModelKinds.Lstm)
        {
            if (e <= 0 || spec.Hidden.Length == 0 || spec.Hidden.Any(h => h <= 0)) return null;
            double total = v * e, inputs = e;
            foreach (double h in spec.Hidden)
            {
                total += 4 * h * (inputs + h) + 8 * h;
                inputs = h;
            }
            return total + inputs * v + v;
        }
        if (e <= 0 || spec.Layers <= 0 || spec.Heads <= 0 || spec.Dense <= 0) return null;
        double m = spec.Dense;
        double block = 2 * e + (e * 3 * e + 3 * e) + (e * e + e) + 2 * e + (e * m + m) + (m * e + e);
        return v * e + t * e + spec.Layers * block + 2 * e + e * v + v;
    }
}
