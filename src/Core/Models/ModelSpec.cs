using FedSim.Data;

namespace FedSim.Models;

/// <summary>A resolved model architecture: what the trainer needs to lay out parameters and run it.</summary>
/// <param name="Kind">logistic | mlp | cnn | lstm | transformer (see <see cref="ModelKinds"/>).</param>
/// <param name="InputFeatures">Features per sample (for the CNN: Image.Size; for language models: the context, tokens per sample).</param>
/// <param name="Classes">Output classes (for language models: the vocabulary size).</param>
/// <param name="Hidden">MLP hidden widths; LSTM: units of each stacked layer (empty otherwise).</param>
/// <param name="Image">Input geometry, required by the CNN.</param>
/// <param name="Channels">CNN conv channels (two values).</param>
/// <param name="Dense">CNN dense width; transformer: the width of each block's MLP.</param>
/// <param name="Embedding">Language models: token embedding width (the transformer's model width).</param>
/// <param name="Layers">Transformer: number of blocks.</param>
/// <param name="Heads">Transformer: attention heads per block.</param>
[GenerateSerializer, Immutable]
public sealed record ModelSpec(
    [property: Id(0)] string Kind,
    [property: Id(1)] int InputFeatures,
    [property: Id(2)] int Classes,
    [property: Id(3)] int[] Hidden,
    [property: Id(4)] ImageShape? Image,
    [property: Id(5)] int[] Channels,
    [property: Id(6)] int Dense,
    [property: Id(7)] int Embedding = 0,
    [property: Id(8)] int Layers = 0,
    [property: Id(9)] int Heads = 0)
{
    /// <summary>Stable text key; jobs with equal keys have identical parameter layouts and can share a cohort.</summary>
    public string Key => $"{Kind}|{InputFeatures}|{Classes}|{string.Join('x', Hidden)}|{Image}|{string.Join('x', Channels)}|{Dense}|{Embedding}|{Layers}|{Heads}";

    /// <summary>A next-token model over token sequences: predicts at each of <see cref="InputFeatures"/> positions.</summary>
    public bool IsLanguageModel => ModelKinds.IsLanguageModel(Kind);

    /// <summary>Predictions per sample: one per position for language models, one for classifiers.</summary>
    public int PredictionsPerSample => IsLanguageModel ? InputFeatures : 1;
}
