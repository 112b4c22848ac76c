using System.ComponentModel;

namespace FedSim.Models;

// The model section of a scenario (model:): which network every device trains.

public static class ModelKinds
{
    public const string Logistic = "logistic";
    public const string Mlp = "mlp";
    public const string Cnn = "cnn";
    public static readonly string[] All = [Logistic, Mlp, Cnn];
}

[GenerateSerializer]
public sealed class ModelSpecOptions
{
    [Id(0), Description("logistic | mlp | cnn (two 5x5 conv layers with max-pooling, then a dense layer; image datasets only).")]
    public string Kind { get; set; } = ModelKinds.Mlp;

    [Id(1), Description("MLP hidden layer widths.")]
    public int[] Hidden { get; set; } = [64];

    [Id(2), Description("CNN: channels of the two conv layers.")]
    public int[] Channels { get; set; } = [32, 64];

    [Id(3), Description("CNN: width of the dense layer after the convolutions.")]
    public int Dense { get; set; } = 512;

    [Id(4), Description("Start from this model instead of fresh weights: a model.safetensors an earlier run wrote (or PyTorch saved under the same names and shapes, see model.json); relative to the scenario file.")]
    public string? Init { get; set; }
}
