namespace FedSim.Data;

/// <summary>
/// The shape of a dataset known before loading it: features per sample, classes, image geometry and, for datasets
/// whose training part has a fixed size, that size. <c>fedsim validate</c> uses it to check model size and device
/// counts without reading the data; DatasetGeometryTests check every value against the real loaders.
/// </summary>
/// <param name="Features">Features per sample (for csv: a lower bound, each categorical column counted once).</param>
/// <param name="Classes">Label classes (for csv: 2, the least a classifier has).</param>
/// <param name="Image">Image geometry for datasets a CNN can read.</param>
/// <param name="TrainSamples">Training samples, when fixed by the files (not for LEAF subsets or csv).</param>
/// <param name="Text">Token geometry for datasets of token sequences (their features are token ids).</param>
public sealed record DatasetGeometry(int Features, int Classes, ImageShape? Image, int? TrainSamples, TextShape? Text = null)
{
    /// <summary>
    /// The geometry of <paramref name="data"/>'s kind (<see cref="DatasetKind.Geometry"/>), or null when it cannot be
    /// known without reading (csv: see <see cref="DatasetKind.GeometryFromFile"/>) or the kind is unknown.
    /// </summary>
    public static DatasetGeometry? Of(DatasetSpec data) => DatasetKinds.Of(data.Kind)?.Geometry(data);

    /// <summary>
    /// The training part of <paramref name="samples"/> split off by <paramref name="testFraction"/>, counted the way
    /// <see cref="Tabular.StratifiedSplit"/> does, roughly: the exact count differs by rounding per class, so the
    /// value is a slight over-estimate at most.
    /// </summary>
    public static int TrainPart(int samples, double testFraction) =>
        (int)Math.Ceiling(samples * (1 - Math.Clamp(testFraction, 0, 1)));
}
