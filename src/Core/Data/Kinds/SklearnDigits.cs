namespace FedSim.Data.Kinds;

/// <summary>scikit-learn's digits: 1,797 8x8 images of handwritten digits (UCI optdigits), small enough for quick CNN runs.</summary>
public sealed class SklearnDigitsDataset : SklearnDataset
{
    public override string Name => DatasetKinds.SklearnDigits;
    public override int Order => 4;
    public override string Summary => "scikit-learn's handwritten digits, 1,797 images of 8x8, 10 classes";
    public override bool HasImages => true;
    public override IReadOnlyList<string> FetchAliases { get; } = ["sklearn", "digits", "sklearn-digits"];
    protected override IReadOnlyList<string> FileNames { get; } = ["digits.csv.gz", "digits.csv"];

    public override DatasetGeometry Geometry(DatasetSpec spec) =>
        new(SklearnCsvReader.DigitsImage.Size, 10, SklearnCsvReader.DigitsImage, DatasetGeometry.TrainPart(1_797, spec.TestFraction));

    protected override DatasetSplit Read(string file, double testFraction, ulong seed) => SklearnCsvReader.LoadDigits(file, testFraction, seed);
}
