namespace FedSim.Data.Kinds;

/// <summary>scikit-learn's breast cancer set (UCI Wisconsin diagnostic): 569 tumours, 30 measurements, benign or malignant.</summary>
public sealed class SklearnBreastCancerDataset : SklearnDataset
{
    public override string Name => DatasetKinds.SklearnBreastCancer;
    public override int Order => 5;
    public override string Summary => "scikit-learn's breast cancer set, 569 rows of 30 features, 2 classes";
    public override IReadOnlyList<string> FetchAliases { get; } = ["breast-cancer", "breast_cancer", "sklearn-breast-cancer"];
    protected override IReadOnlyList<string> FileNames { get; } = ["breast_cancer.csv", "breast_cancer.csv.gz"];

    public override DatasetGeometry Geometry(DatasetSpec spec) => new(30, 2, null, DatasetGeometry.TrainPart(569, spec.TestFraction));

    protected override DatasetSplit Read(string file, double testFraction, ulong seed) => SklearnCsvReader.LoadBreastCancer(file, testFraction, seed);
}
