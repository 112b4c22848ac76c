namespace FedSim.Data.Kinds;

/// <summary>
/// scikit-learn's wine set (UCI Wine): 178 wines from three cultivars, 13 chemical measurements each, on very
/// different scales (proline in the hundreds, hue near 1), so the features are z-scored with training statistics.
/// </summary>
public sealed class SklearnWineDataset : SklearnDataset
{
    public const string KindName = "sklearn-wine";

    public override string Name => KindName;
    public override int Order => 5;
    public override string Summary => "scikit-learn's wine set, 178 rows of 13 features, 3 classes";
    public override IReadOnlyList<string> FetchAliases { get; } = ["wine", KindName];
    protected override IReadOnlyList<string> FileNames { get; } = ["wine_data.csv", "wine_data.csv.gz"];

    public override DatasetGeometry Geometry(DatasetSpec spec) => new(13, 3, null, DatasetGeometry.TrainPart(178, spec.TestFraction));

    protected override DatasetSplit Read(string file, double testFraction, ulong seed) => SklearnCsvReader.LoadTabular(file, Name, testFraction, seed);
}
