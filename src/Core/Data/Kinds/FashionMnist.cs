namespace FedSim.Data.Kinds;

/// <summary>Fashion-MNIST (Zalando): MNIST's layout with clothing images; Debian packages it as dataset-fashion-mnist.</summary>
public sealed class FashionMnistDataset : DatasetKind
{
    public override string Name => DatasetKinds.FashionMnist;
    public override int Order => 2;
    public override string Summary => "Fashion-MNIST clothing images, 28x28, 10 classes";
    public override string Folder => "fashion-mnist";
    public override string Expect => "a folder with the four Fashion-MNIST IDX files (train-images-idx3-ubyte.gz, ...)";
    public override string WhereToGet =>
        $"install it with `apt-get install dataset-fashion-mnist` (it lands in {DatasetCatalog.DebianDatasets}/fashion-mnist, found without a path) or get it with `fedsim data fetch fashion-mnist --to DIR` and set dataset.path to DIR";
    public override bool HasImages => true;

    public override string? FindIn(string folder) => DirWith(folder, IdxReader.MnistFiles);

    public override DatasetGeometry Geometry(DatasetSpec spec) => new(784, 10, new ImageShape(1, 28, 28), 60_000);

    public override DatasetSplit Load(DatasetSpec spec, string? path, ulong seed) => IdxReader.LoadFolder(path!, Name);

    public override bool HasOwnTestSplit => true;

    public override object CacheKey(DatasetSpec spec, string? path, ulong seed) => new FilesKey(path!);

    /// <summary>The hashes of Debian's dataset-fashion-mnist files and of their content.</summary>
    public override KnownDataset Download { get; } = new("fashion-mnist", "Fashion-MNIST (Zalando), 60,000 train + 10,000 test, 28x28, 10 classes",
        new Uri("http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/"),
        [
            new("train-images-idx3-ubyte.gz", ["b0564c3eedabfbf835052cff8503ea422014ce006caf5b757f851416ee8300c7"],
                "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888"),
            new("train-labels-idx1-ubyte.gz", ["0ae29f65d86684f32d1b9c85147786c547b9c6aebcaf235f0400a0cce308b056"],
                "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9"),
            new("t10k-images-idx3-ubyte.gz", ["cc1d090a38ace84dfa1aa66e3ada7c336ef481a96936906477e6dd344da56eaa"],
                "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b"),
            new("t10k-labels-idx1-ubyte.gz", ["8d3605d196f4be44669e46906da9733c8131fef761fdbfec72c424d5222f1a05"],
                "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34"),
        ], "MIT (Zalando SE)");
}
