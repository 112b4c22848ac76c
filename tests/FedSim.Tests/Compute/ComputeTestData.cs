using FedSim.GrainInterfaces;
using FedSim.Training;
using FedSim.Compute;
using FedSim.Data;
using FedSim.Determinism;
using FedSim.Models;

namespace FedSim.Tests.Compute;

/// <summary>Small seeded datasets and jobs for compute tests.</summary>
internal static class ComputeTestData
{
    public static Dataset RandomImages(ulong seed, int count, ImageShape shape, int classes)
    {
        var rng = new DeterministicRandom(seed);
        var features = new float[count * shape.Size];
        for (int i = 0; i < features.Length; i++) features[i] = (float)rng.NextDouble();
        var labels = new int[count];
        for (int i = 0; i < count; i++) labels[i] = rng.NextInt(classes);
        return new Dataset("random-images", features, labels, shape.Size, classes, shape);
    }

    /// <summary>Random token sequences of <paramref name="context"/> ids over <paramref name="vocabulary"/> tokens, each labelled with a next token.</summary>
    public static Dataset RandomText(ulong seed, int count, int context, int vocabulary)
    {
        var rng = new DeterministicRandom(seed);
        var features = new float[count * context];
        for (int i = 0; i < features.Length; i++) features[i] = rng.NextInt(vocabulary);
        var labels = new int[count];
        for (int i = 0; i < count; i++) labels[i] = rng.NextInt(vocabulary);
        var tokens = Enumerable.Range(0, vocabulary).Select(t => ((char)('a' + t)).ToString()).ToArray();
        return new Dataset("random-text", features, labels, context, vocabulary) { Text = new TextShape(tokens, context) };
    }

    /// <summary>Small language models of each kind for <see cref="RandomText"/> data of the given context and vocabulary.</summary>
    public static ModelSpec LanguageModel(string kind, int context, int vocabulary) => kind == ModelKinds.Lstm
        ? new ModelSpec(kind, context, vocabulary, [8, 8], null, [], 0, Embedding: 4, Layers: 2)
        : new ModelSpec(kind, context, vocabulary, [], null, [], 16, Embedding: 8, Layers: 2, Heads: 2);

    /// <summary>Two Gaussian blobs per class around well-separated centres: linearly separable in practice.</summary>
    public static Dataset SeparableBlobs(ulong seed, int count, int featureCount, int classes)
    {
        var rng = new DeterministicRandom(seed);
        var centres = new double[classes, featureCount];
        for (int c = 0; c < classes; c++)
            for (int f = 0; f < featureCount; f++) centres[c, f] = 4 * rng.NextGaussian();
        var features = new float[count * featureCount];
        var labels = new int[count];
        for (int i = 0; i < count; i++)
        {
            int c = labels[i] = i % classes;
            for (int f = 0; f < featureCount; f++) features[i * featureCount + f] = (float)(centres[c, f] + 0.5 * rng.NextGaussian());
        }
        return new Dataset("blobs", features, labels, featureCount, classes);
    }

    /// <summary>Disjoint consecutive shards of the given sizes.</summary>
    public static int[][] Shards(params int[] sizes)
    {
        var shards = new int[sizes.Length][];
        int next = 0;
        for (int d = 0; d < sizes.Length; d++)
        {
            shards[d] = Enumerable.Range(next, sizes[d]).ToArray();
            next += sizes[d];
        }
        return shards;
    }

    public static TrainingJob[] Jobs(ModelSpec model, TrainingPlan plan, float[] global, Dataset data, int[][] shards, ulong seed)
        => shards.Select((indices, d) => new TrainingJob(d, model, plan, global, new ShardView(data, indices),
            Seeds.Derive(seed, 0, d, SeedPurpose.LocalTraining), GlobalId: new GlobalModelId("test", 1))).ToArray();

    public static double MaxAbsDiff(float[] a, float[] b)
    {
        Assert.Equal(a.Length, b.Length);
        double max = 0;
        for (int i = 0; i < a.Length; i++) max = Math.Max(max, Math.Abs((double)a[i] - b[i]));
        return max;
    }

    public static double MaxAbs(float[] a) => a.Length == 0 ? 0 : a.Max(v => Math.Abs((double)v));
}
