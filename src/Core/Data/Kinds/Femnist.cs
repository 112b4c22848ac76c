namespace FedSim.Data.Kinds;

/// <summary>LEAF's FEMNIST: handwritten characters grouped by writer, the federated benchmark with natural owners.</summary>
public sealed class FemnistDataset : DatasetKind
{
    public override string Name => DatasetKinds.Femnist;
    public override int Order => 3;
    public override string Summary => "LEAF FEMNIST handwritten characters, split by writer, 28x28, 62 classes";
    public override string Folder => "femnist-leaf";
    public override string Expect => "a LEAF FEMNIST folder with train/ and test/ subfolders of *.json.gz files";
    public override string WhereToGet =>
        "FEMNIST is generated, not downloaded: clone LEAF (https://github.com/TalwalkarLab/leaf), run `./preprocess.sh -s niid --sf 0.05 -k 0 -t sample` " +
        "in its data/femnist folder (it downloads NIST SD19 itself) and set dataset.path to data/femnist/data, which then holds train/ and test/ " +
        "(a FedSim checkout has such a subset in ../shared/datasets/femnist-leaf)";
    public override bool HasImages => true;
    public override string Owners => "its writers";
    public override IReadOnlyList<string> FetchAliases { get; } = ["femnist", "femnist-leaf", "leaf"];

    public override string? FindIn(string folder) =>
        Directory.Exists(Path.Combine(folder, "train")) && Directory.Exists(Path.Combine(folder, "test")) ? folder : null;

    // LEAF subsets differ in size, so the training count is not fixed.
    public override DatasetGeometry Geometry(DatasetSpec spec) =>
        new(LeafJsonReader.FemnistImage.Size, LeafJsonReader.FemnistClasses, LeafJsonReader.FemnistImage, null);

    public override DatasetSplit Load(DatasetSpec spec, string? path, ulong seed) => LeafJsonReader.LoadFolder(path!, Name);

    public override bool HasOwnTestSplit => true;

    public override object CacheKey(DatasetSpec spec, string? path, ulong seed) => new FilesKey(path!);
}
