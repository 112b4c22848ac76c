using FedSim.Components;

namespace FedSim.Data.Kinds;

/// <summary>UCI Adult (census income): adult.data for training, adult.test for testing, one-hot encoded by <see cref="AdultReader"/>.</summary>
public sealed class AdultDataset : DatasetKind
{
    /// <summary>One-hot width of UCI Adult's adult.data: 6 numeric columns + the categories of the 8 categorical ones.</summary>
    public const int Features = 108;

    public override string Name => DatasetKinds.Adult;
    public override int Order => 6;
    public override string Summary => "UCI Adult census income, 14 attributes one-hot encoded, 2 classes";
    public override string Folder => "adult";
    public override string Expect => "a folder with adult.data and adult.test";
    public override string WhereToGet =>
        "get it with `fedsim data fetch adult --to DIR` (UCI's adult.data and adult.test) and set dataset.path to DIR (a FedSim checkout has ../shared/datasets/adult)";

    public override string? FindIn(string folder) => DirWith(folder, "adult.data", "adult.test");

    public override DatasetGeometry Geometry(DatasetSpec spec) => new(Features, 2, null, 32_561);

    /// <summary>Both files beside each other, checked when the scenario is validated, so the error has its line and the way to get them.</summary>
    public override IEnumerable<ComponentFinding> CheckLocation(DatasetSpec spec, string path)
    {
        string folder = Directory.Exists(path) ? path : Path.GetDirectoryName(path)!;
        foreach (string file in new[] { "adult.data", "adult.test" })
            if (!File.Exists(Path.Combine(folder, file)))
                yield return new("dataset.path", $"{Path.Combine(folder, file)}: file not found; the Adult folder must hold adult.data and adult.test: {WhereToGet}");
    }

    // Either file names the pair: the reader wants their folder.
    public override DatasetSplit Load(DatasetSpec spec, string? path, ulong seed) =>
        AdultReader.LoadFolder(Directory.Exists(path) ? path! : Path.GetDirectoryName(path!)!);

    public override bool HasOwnTestSplit => true;

    public override object CacheKey(DatasetSpec spec, string? path, ulong seed) => new FilesKey(path!);

    /// <summary>UCI's own location of the Adult files (dataset 2). The hashes are the project's pinned copies
    /// (shared/datasets/SHA256SUMS), the same values other projects pin for these two URLs.</summary>
    public override KnownDataset Download { get; } = new("adult", "UCI Adult (census income), 32,561 train (adult.data) + 16,281 test (adult.test), 14 attributes, 2 classes",
        new Uri("https://archive.ics.uci.edu/ml/machine-learning-databases/adult/"),
        [
            new("adult.data", ["5b00264637dbfec36bdeaab5676b0b309ff9eb788d63554ca0a249491c86603d"]),
            new("adult.test", ["a2a9044bc167a35b2361efbabec64e89d69ce82d9790d2980119aac5fd7e9c05"]),
        ], "CC BY 4.0 (B. Becker, R. Kohavi, UCI Machine Learning Repository)");
}
