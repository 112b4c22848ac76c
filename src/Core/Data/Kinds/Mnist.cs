namespace FedSim.Data.Kinds;

/// <summary>MNIST handwritten digits (LeCun et al.): four IDX files, 60,000 train + 10,000 test images of 28x28.</summary>
public sealed class MnistDataset : DatasetKind
{
    public override string Name => DatasetKinds.Mnist;
    public override int Order => 1;
    public override string Summary => "MNIST handwritten digits, 28x28, 10 classes";
    public override string Folder => "mnist";
    public override string Expect => "a folder with the four MNIST IDX files (train-images-idx3-ubyte.gz, ...)";
    public override string WhereToGet =>
        "get it with `fedsim data fetch mnist --to DIR` and set dataset.path to DIR (a FedSim checkout has a copy in ../shared/datasets/mnist)";
    public override bool HasImages => true;

    public override string? FindIn(string folder) => DirWith(folder, IdxReader.MnistFiles);

    public override DatasetGeometry Geometry(DatasetSpec spec) => new(784, 10, new ImageShape(1, 28, 28), 60_000);

    public override DatasetSplit Load(DatasetSpec spec, string? path, ulong seed) => IdxReader.LoadFolder(path!, Name);

    public override bool HasOwnTestSplit => true;

    public override object CacheKey(DatasetSpec spec, string? path, ulong seed) => new FilesKey(path!);

    /// <summary>The project's pinned copies (shared/datasets/SHA256SUMS); the train-image file there was re-compressed,
    /// so its content hash (equal to the original's) is listed too.</summary>
    public override KnownDataset Download { get; } = new("mnist", "MNIST handwritten digits, 60,000 train + 10,000 test, 28x28, 10 classes",
        new Uri("https://ossci-datasets.s3.amazonaws.com/mnist/"),
        [
            new("train-images-idx3-ubyte.gz", ["0b367032e93c5d0cea0925647cfdb18614af8ee15f83e6f2fc2ad904a6835971"],
                "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db"),
            new("train-labels-idx1-ubyte.gz", ["3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c"],
                "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5"),
            new("t10k-images-idx3-ubyte.gz", ["8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6"],
                "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7"),
            new("t10k-labels-idx1-ubyte.gz", ["f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6"],
                "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2"),
        ], "CC BY-SA 3.0 (Y. LeCun, C. Cortes, C. Burges)");
}
