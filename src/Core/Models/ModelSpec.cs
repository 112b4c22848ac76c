using FedSim.Data;

namespace FedSim.Models;

/// <summary>A resolved model architecture: what the trainer needs to lay out parameters and run it.</summary>
/// <param name="Kind">logistic | mlp | cnn (see <see cref="ModelKinds"/>).</param>
/// <param name="InputFeatures">Features per sample (for the CNN: Image.Size).</param>
/// <param name="Classes">Output classes.</param>
/// <param name="Hidden">MLP hidden widths (empty for logistic).</param>
/// <param name="Image">Input geometry, required by the CNN.</param>
/// <param name="Channels">CNN conv channels (two values).</param>
/// <param name="Dense">CNN dense width.</param>
[GenerateSerializer, Immutable]
public sealed record ModelSpec(
    [property: Id(0)] string Kind,
    [property: Id(1)] int InputFeatures,
    [property: Id(2)] int Classes,
    [property: Id(3)] int[] Hidden,
    [property: Id(4)] ImageShape? Image,
    [property: Id(5)] int[] Channels,
    [property: Id(6)] int Dense)
{
    /// <summary>Stable text key; jobs with equal keys have identical parameter layouts and can share a cohort.</summary>
    public string Key => $"{Kind}|{InputFeatures}|{Classes}|{string.Join('x', Hidden)}|{Image}|{string.Join('x', Channels)}|{Dense}";
}
