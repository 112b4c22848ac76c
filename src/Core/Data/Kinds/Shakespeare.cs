using FedSim.Components;

namespace FedSim.Data.Kinds;

/// <summary>
/// Karpathy's tiny Shakespeare (<see cref="ShakespeareReader"/>) as LEAF's federated next-character task: one owner per
/// speaker, each speaker's windows split 90/10 into train and test. The file has no play boundaries, so an owner is a
/// role name across all plays ("KING HENRY VI" is one speaker), where LEAF's Shakespeare splits by play and role.
/// </summary>
public sealed class ShakespeareDataset : DatasetKind
{
    private const string FileName = "input.txt";

    public override string Name => DatasetKinds.Shakespeare;
    public override int Order => 8;
    public override string Summary =>
        $"tiny Shakespeare, the next character after {ShakespeareReader.Context}, {ShakespeareReader.Shape.Tokens} tokens, split by speaker (a role name across plays)";
    public override string Folder => "tinyshakespeare";
    public override string Expect => $"char-rnn's tiny Shakespeare {FileName} (or a folder holding it)";
    public override string WhereToGet =>
        $"get it with `fedsim data fetch shakespeare --to DIR` (char-rnn's tiny Shakespeare, {FileName}) and set dataset.path to DIR (a FedSim checkout has ../shared/datasets/tinyshakespeare)";
    public override string Owners => "its speakers";
    public override bool ReadsMinSamplesPerOwner => true;

    // Each speaker's own 10 % is the test part (LEAF's split by sample), so dataset.test_fraction is not read.
    public override bool HasOwnTestSplit => true;

    public override string? FindIn(string folder) => FileIn(folder, FileName);

    // The vocabulary is fixed and speakers come and go with min_samples_per_owner, so the training count is not.
    public override DatasetGeometry Geometry(DatasetSpec spec) =>
        new(ShakespeareReader.Context, ShakespeareReader.Shape.Tokens, null, null, ShakespeareReader.Shape);

    public override IEnumerable<ComponentFinding> CheckLocation(DatasetSpec spec, string path)
    {
        if (Directory.Exists(path) && !File.Exists(Path.Combine(path, FileName)))
            yield return new("dataset.path", $"{path}: the folder holds no {FileName}; {WhereToGet}");
    }

    public override DatasetSplit Load(DatasetSpec spec, string? path, ulong seed) =>
        ShakespeareReader.Load(FileOrIn(path!, FileName), spec.MinSamplesPerOwner, seed);

    public override object CacheKey(DatasetSpec spec, string? path, ulong seed) => new SpeakersKey(path!, spec.MinSamplesPerOwner, seed);

    private sealed record SpeakersKey(string Path, int MinSamplesPerOwner, ulong Seed);

    /// <summary>char-rnn's copy, the file every tiny Shakespeare loader reads; the hash is the project's pinned copy (shared/datasets/SHA256SUMS).</summary>
    public override KnownDataset Download { get; } = new("shakespeare", "tiny Shakespeare (A. Karpathy's char-rnn), 40,000 lines of Shakespeare's plays, 1.1 MB of text",
        new Uri("https://raw.githubusercontent.com/karpathy/char-rnn/master/data/tinyshakespeare/"),
        [new(FileName, ["86c4e6aa9db7c042ec79f339dcb96d42b0075e16b8fc2e86bf0ca57e2dc565ed"])],
        "MIT (char-rnn); Shakespeare's text is in the public domain");
}
