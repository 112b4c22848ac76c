namespace FedSim.Data;

/// <summary>Image geometry for datasets a CNN can read (channels x height x width, row-major per sample).</summary>
[GenerateSerializer, Immutable]
public readonly record struct ImageShape([property: Id(0)] int Channels, [property: Id(1)] int Height, [property: Id(2)] int Width)
{
    public int Size => Channels * Height * Width;
}

/// <summary>
/// Token sequences for language models. A sample's features are <see cref="Context"/> token ids (indices into
/// <see cref="Vocabulary"/>, stored as floats) and its label is the token that follows them, so the model predicts
/// at every position: position t's target is token t + 1 (the label for the last position).
/// </summary>
/// <param name="Vocabulary">Every token, by id; the model has one output per token.</param>
/// <param name="Context">Tokens read per sample (the unroll length).</param>
public sealed record TextShape(IReadOnlyList<string> Vocabulary, int Context)
{
    public int Tokens => Vocabulary.Count;
}

/// <summary>
/// An in-memory labelled dataset: features row-major (Count x FeatureCount, float32), integer labels.
/// Readers produce it; partitioners split its indices; devices train on their index subset.
/// It never crosses a grain boundary.
/// </summary>
public sealed class Dataset
{
    public Dataset(string name, float[] features, int[] labels, int featureCount, int classCount,
        ImageShape? image = null, int[]? groups = null, string[]? groupNames = null, string[]? featureNames = null)
    {
        if (featureCount <= 0) throw new ArgumentOutOfRangeException(nameof(featureCount));
        if (features.Length != (long)labels.Length * featureCount)
            throw new ArgumentException($"features has {features.Length} values, expected {labels.Length} x {featureCount}");
        if (groups is not null && groups.Length != labels.Length)
            throw new ArgumentException("groups must have one entry per sample", nameof(groups));
        Name = name;
        Features = features;
        Labels = labels;
        FeatureCount = featureCount;
        ClassCount = classCount;
        Image = image;
        Groups = groups;
        GroupNames = groupNames;
        FeatureNames = featureNames;
    }

    public string Name { get; }
    public float[] Features { get; }
    public int[] Labels { get; }
    public int FeatureCount { get; }
    public int ClassCount { get; }
    public int Count => Labels.Length;
    /// <summary>Set for image datasets (MNIST, FEMNIST); null for tabular ones.</summary>
    public ImageShape? Image { get; }
    /// <summary>Natural owner of each sample (e.g. FEMNIST writer index), for the natural partition; null if none.</summary>
    public int[]? Groups { get; }
    public string[]? GroupNames { get; }
    public string[]? FeatureNames { get; }
    /// <summary>Set for token-sequence datasets (Shakespeare): features are token ids, see <see cref="TextShape"/>.</summary>
    public TextShape? Text { get; init; }

    /// <summary>
    /// Cells the reader found missing in this dataset's rows and encoded as a category of their own (Adult's '?',
    /// an empty categorical cell of a CSV). Missing numbers are rejected, not counted. Set by readers; 0 otherwise.
    /// </summary>
    public long MissingValues { get; internal set; }

    public ReadOnlySpan<float> Row(int index) => Features.AsSpan(index * FeatureCount, FeatureCount);

    /// <summary>Copies the given samples into a new dataset (keeps group ids).</summary>
    public Dataset Subset(IReadOnlyList<int> indices, string? name = null)
    {
        var f = new float[indices.Count * FeatureCount];
        var l = new int[indices.Count];
        int[]? g = Groups is null ? null : new int[indices.Count];
        for (int i = 0; i < indices.Count; i++)
        {
            int src = indices[i];
            Array.Copy(Features, (long)src * FeatureCount, f, (long)i * FeatureCount, FeatureCount);
            l[i] = Labels[src];
            if (g is not null) g[i] = Groups![src];
        }
        return new Dataset(name ?? Name, f, l, FeatureCount, ClassCount, Image, g, GroupNames, FeatureNames) { Text = Text };
    }
}

/// <summary>A dataset's training part (partitioned over devices) and its held-out test part (server-side evaluation).</summary>
public sealed record DatasetSplit(Dataset Train, Dataset Test)
{
    /// <summary>Every file the load read (full paths, in the order first read); empty for generated data.</summary>
    public IReadOnlyList<string> SourceFiles { get; init; } = [];

    /// <summary>Owners the reader left out for holding too few samples; null when it leaves none out by design.</summary>
    public OwnersLeftOut? LeftOut { get; init; }
}

/// <summary>
/// Owners a reader dropped because they hold fewer than <paramref name="MinSamples"/> samples (LEAF drops such users
/// too), so that results state how much of the file they do not cover.
/// </summary>
/// <param name="Owners">Owners left out.</param>
/// <param name="Samples">Their samples, none of which is in the train or test part.</param>
/// <param name="MinSamples">Samples an owner needed to be kept.</param>
public sealed record OwnersLeftOut(int Owners, long Samples, int MinSamples)
{
    /// <summary>"77 owners with fewer than 2 samples left out (24 samples)".</summary>
    public string Describe() => string.Create(System.Globalization.CultureInfo.InvariantCulture,
        $"{Owners:N0} owners with fewer than {MinSamples} samples left out ({Samples:N0} samples)");
}

/// <summary>What attacks and triggers may know about a dataset's shape.</summary>
/// <param name="Classes">Label classes.</param>
/// <param name="FeatureCount">Features per sample.</param>
/// <param name="MaxFeature">Largest feature value in the training data (a trigger's pixel value).</param>
/// <param name="Image">Image geometry, for image datasets.</param>
public sealed record DataFacts(int Classes, int FeatureCount, float MaxFeature, ImageShape? Image);
