using FedSim.Scenario;

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
public sealed record DatasetGeometry(int Features, int Classes, ImageShape? Image, int? TrainSamples)
{
    /// <summary>One-hot width of UCI Adult's adult.data: 6 numeric columns + the categories of the 8 categorical ones.</summary>
    public const int AdultFeatures = 108;

    /// <summary>
    /// The geometry of <paramref name="data"/>'s kind, or null when it cannot be known without reading (csv: see
    /// <see cref="ForCsv"/>). Split-based datasets count the training part the way <see cref="Tabular.StratifiedSplit"/>
    /// does, roughly: the exact count differs by rounding per class, so the value is a slight over-estimate at most.
    /// </summary>
    public static DatasetGeometry? Of(DatasetSpec data) => data.Kind switch
    {
        DatasetKinds.Mnist or DatasetKinds.FashionMnist => new(784, 10, new ImageShape(1, 28, 28), 60_000),
        DatasetKinds.Femnist => new(LeafJsonReader.FemnistImage.Size, LeafJsonReader.FemnistClasses, LeafJsonReader.FemnistImage, null),
        DatasetKinds.SklearnDigits => new(SklearnCsvReader.DigitsImage.Size, 10, SklearnCsvReader.DigitsImage, TrainPart(1_797, data.TestFraction)),
        DatasetKinds.SklearnBreastCancer => new(30, 2, null, TrainPart(569, data.TestFraction)),
        DatasetKinds.Adult => new(AdultFeatures, 2, null, 32_561),
        DatasetKinds.Location => new(LocationReader.Features, LocationReader.Classes, null, TrainPart(LocationReader.Rows, data.TestFraction)),
        DatasetKinds.Synthetic => new(SyntheticTabular.FeatureNames.Length, 2, null, TrainPart(data.Samples, data.TestFraction)),
        _ => null,
    };

    /// <summary>A csv file's lower-bound geometry from its header: every column but the label and owner is at least one feature.</summary>
    public static DatasetGeometry ForCsv(int headerColumns, bool hasOwner) =>
        new(Math.Max(1, headerColumns - 1 - (hasOwner ? 1 : 0)), 2, null, null);

    private static int TrainPart(int samples, double testFraction) =>
        (int)Math.Ceiling(samples * (1 - Math.Clamp(testFraction, 0, 1)));
}
