using FedSim.Training;
using FedSim.Compute;
using FedSim.Scenario;
using FedSim.GrainInterfaces;
using FedSim.Data;
using FedSim.Determinism;
using FedSim.Models;

namespace FedSim.Scenarios.Bench;

/// <summary>
/// Builds the bench's training jobs: random but seeded MNIST- or FEMNIST-shaped samples (values do not change
/// the speed of dense or conv kernels) and one job per device whose shard holds exactly steps x batch samples,
/// so every device takes exactly <see cref="TrainingWorkloadSize.Steps"/> steps in one local epoch.
/// </summary>
public static class BenchWorkloads
{
    /// <summary>Samples kept in memory for a workload; devices draw their (overlapping) shards from this pool.</summary>
    public const int MaxPoolRows = 16384;

    public static ModelSpec MnistMlp { get; } = new(ModelKinds.Mlp, 784, 10, BenchSizes.MlpHidden, null, [], 0);

    /// <summary>The FEMNIST CNN of McMahan et al. 2017: conv5x5 32, pool, conv5x5 64, pool, dense 512, 62 classes.</summary>
    public static ModelSpec FemnistCnn { get; } = new(ModelKinds.Cnn, 784, 62, [], new ImageShape(1, 28, 28), [32, 64], 512);

    /// <summary>McMahan et al. 2017's Shakespeare LSTM: embedding 8, two LSTM layers of 256, over FedSim's 96 character tokens and 80 positions.</summary>
    public static ModelSpec ShakespeareLstm { get; } = new(ModelKinds.Lstm, 80, 96, [256, 256], null, [], 0, Embedding: 8, Layers: 2);

    /// <summary>The default transformer on the same text: width 128, 2 blocks, 4 heads, MLP 512.</summary>
    public static ModelSpec ShakespeareTransformer { get; } = new(ModelKinds.Transformer, 80, 96, [], null, [], 512, Embedding: 128, Layers: 2, Heads: 4);

    public static TrainingPlan Plan(int batch) => new(OptimizerKinds.Sgd, 0.05f, 0f, batch, 1);

    /// <summary>A dataset shaped for <paramref name="model"/> with <paramref name="rows"/> standard-normal samples.</summary>
    public static Dataset RandomData(ModelSpec model, int rows, ulong seed)
    {
        var rng = new DeterministicRandom(Seeds.Derive(seed, Seeds.None, Seeds.None, SeedPurpose.SyntheticData));
        var features = new float[(long)rows * model.InputFeatures];
        // A language model reads token ids; any other model standard-normal values.
        for (long i = 0; i < features.Length; i++) features[i] = model.IsLanguageModel ? rng.NextInt(model.Classes) : (float)rng.NextGaussian();
        var labels = new int[rows];
        for (int i = 0; i < rows; i++) labels[i] = rng.NextInt(model.Classes);
        var text = model.IsLanguageModel
            ? new TextShape(Enumerable.Range(0, model.Classes).Select(t => t.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToArray(), model.InputFeatures)
            : null;
        return new Dataset($"bench-{model.Kind}", features, labels, model.InputFeatures, model.Classes, model.Image) { Text = text };
    }

    /// <summary>The name of the workloads' global model: every job of a workload starts from it.</summary>
    private static readonly GlobalModelId BenchModel = new("bench", 1);

    /// <summary>One job per device, all starting from the same global model (named, as a round's is).</summary>
    public static TrainingJob[] Jobs(ModelSpec model, TrainingWorkloadSize size, Dataset data, float[] globalWeights, ulong seed)
    {
        var plan = Plan(size.Batch);
        int shardSize = size.Steps * size.Batch;
        var jobs = new TrainingJob[size.Devices];
        for (int d = 0; d < size.Devices; d++)
        {
            var rng = new DeterministicRandom(Seeds.Derive(seed, Seeds.None, d, SeedPurpose.Partition));
            var indices = new int[shardSize];
            for (int i = 0; i < shardSize; i++) indices[i] = rng.NextInt(data.Count);
            jobs[d] = new TrainingJob(d, model, plan, globalWeights, new ShardView(data, indices),
                Seeds.Derive(seed, 1, d, SeedPurpose.LocalTraining), GlobalId: BenchModel);
        }
        return jobs;
    }

    /// <summary>The jobs of a workload and of its warm-up (same devices and shapes, at most two steps each).</summary>
    public static (TrainingJob[] Measured, TrainingJob[] WarmUp) Build(ModelSpec model, TrainingWorkloadSize size, ulong seed)
    {
        int rows = (int)Math.Min(MaxPoolRows, size.DeviceSteps * size.Batch);
        var data = RandomData(model, rows, seed);
        var global = ModelLayout.Initialize(model, Seeds.Derive(seed, Seeds.None, Seeds.None, SeedPurpose.ModelInit));
        var measured = Jobs(model, size, data, global, seed);
        var warmUp = Jobs(model, size with { Steps = Math.Min(2, size.Steps) }, data, global, seed);
        return (measured, warmUp);
    }
}
