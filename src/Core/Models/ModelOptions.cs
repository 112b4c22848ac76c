using System.ComponentModel;

namespace FedSim.Models;

// The model section of a scenario (model:): which network every device trains.

public static class ModelKinds
{
    public const string Logistic = "logistic";
    public const string Mlp = "mlp";
    public const string Cnn = "cnn";
    public const string Lstm = "lstm";
    public const string Transformer = "transformer";
    public static readonly string[] All = [Logistic, Mlp, Cnn, Lstm, Transformer];

    /// <summary>Next-token models over token sequences (text datasets only).</summary>
    public static bool IsLanguageModel(string kind) => kind is Lstm or Transformer;
}

/// <summary>Sizes a language model gets when the scenario names none (McMahan et al. 2017's Shakespeare LSTM; a small decoder for 2 cores).</summary>
public static class LanguageModelDefaults
{
    public const int LstmEmbedding = 8;
    public const int LstmLayers = 2;
    public const int LstmUnits = 256;
    public const int TransformerEmbedding = 128;
    public const int TransformerLayers = 2;
    public const int TransformerHeads = 4;
}

[GenerateSerializer]
public sealed class ModelSpecOptions
{
    [Id(0), Description("logistic | mlp | cnn (two 5x5 conv layers with max-pooling, then a dense layer; image datasets only) | lstm (embedding, stacked LSTM, dense head at every position; text datasets only) | transformer (causal pre-LayerNorm decoder; text datasets only).")]
    public string Kind { get; set; } = ModelKinds.Mlp;

    [Id(1), Description("MLP hidden layer widths.")]
    public int[] Hidden { get; set; } = [64];

    [Id(2), Description("CNN: channels of the two conv layers.")]
    public int[] Channels { get; set; } = [32, 64];

    [Id(3), Description("CNN: width of the dense layer after the convolutions; transformer: width of each block's MLP.")]
    public int Dense { get; set; } = 512;

    [Id(4), Description("Start from this model instead of fresh weights: a model.safetensors an earlier run wrote (or PyTorch saved under the same names and shapes, see model.json); relative to the scenario file.")]
    public string? Init { get; set; }

    [Id(5), Description("Language models: token embedding width (the transformer's model width); default 8 for lstm, 128 for transformer.")]
    public int? Embedding { get; set; }

    [Id(6), Description("Language models: stacked LSTM layers or transformer blocks; default 2.")]
    public int? Layers { get; set; }

    [Id(7), Description("LSTM: units of each layer; default 256.")]
    public int? Units { get; set; }

    [Id(8), Description("Transformer: attention heads per block (they split the model width); default 4.")]
    public int? Heads { get; set; }
}
