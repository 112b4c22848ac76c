using FedSim.Attacks.Auditing;
using FedSim.Attacks.Inference;

namespace FedSim.Tests.Attacks.Auditing;

public sealed class ReferenceModelsTests
{
    /// <summary>Records what it is asked to train; "trains" by returning the start weights.</summary>
    private sealed class RecordingCompute : IAttackerCompute
    {
        public List<ModelTraining> Jobs { get; } = [];
        public int Batches { get; private set; }

        public float[] Initialize(ulong seed) => [seed % 1000];

        public Task<ModelOutputs[]> OutputsAsync(IReadOnlyList<float[]> weightSets, IReadOnlyList<int> records, CancellationToken cancellationToken = default)
            => throw new NotSupportedException();

        public Task<float[][]> TrainAsync(IReadOnlyList<ModelTraining> jobs, CancellationToken cancellationToken = default)
        {
            Batches++;
            Jobs.AddRange(jobs);
            return Task.FromResult(jobs.Select(j => j.Start).ToArray());
        }
    }

    [Fact]
    public async Task Every_record_is_in_exactly_half_of_the_reference_models_which_train_as_one_batch()
    {
        // Prepare
        var compute = new RecordingCompute();
        int[] audited = Enumerable.Range(0, 300).ToArray();
        int[] auxiliary = Enumerable.Range(1000, 700).ToArray();

        // Execute
        var models = await ReferenceModels.TrainAsync(compute, audited, auxiliary, count: 8, epochs: 3, seed: 42);

        // Assert
        Assert.Equal(1, compute.Batches);
        Assert.Equal(8, compute.Jobs.Count);
        var trainedOn = models.TrainedOn(audited.Concat(auxiliary).ToArray());
        for (int i = 0; i < 1000; i++) Assert.Equal(4, trainedOn.Count(mask => mask[i]));
        for (int m = 0; m < 8; m++)
            Assert.Equal(compute.Jobs[m].Records.Order(), audited.Concat(auxiliary).Where((_, i) => trainedOn[m][i]).Order());
        Assert.All(compute.Jobs, j => Assert.InRange(j.Records.Length, 440, 560)); // half of 1000 on average
        Assert.All(compute.Jobs, j => Assert.Equal(3, j.Epochs));
        Assert.Equal(8, compute.Jobs.Select(j => j.Seed).Distinct().Count());
        Assert.Equal(8, compute.Jobs.Select(j => j.Start[0]).Distinct().Count());
        Assert.All(models.TrainedOn([5000]), mask => Assert.False(mask[0])); // a record it never held is OUT everywhere
    }

    [Fact]
    public async Task The_same_seed_gives_the_same_split_and_another_seed_another()
    {
        int[] audited = Enumerable.Range(0, 50).ToArray();
        var a = (await ReferenceModels.TrainAsync(new RecordingCompute(), audited, [], 4, 1, seed: 1)).TrainedOn(audited);
        var b = (await ReferenceModels.TrainAsync(new RecordingCompute(), audited, [], 4, 1, seed: 1)).TrainedOn(audited);
        var c = (await ReferenceModels.TrainAsync(new RecordingCompute(), audited, [], 4, 1, seed: 2)).TrainedOn(audited);

        Assert.Equal(a, b);
        Assert.NotEqual(a, c);
    }

    [Fact]
    public async Task Reference_model_halves_and_seeds_are_pinned_across_versions()
    {
        // Prepare
        var compute = new RecordingCompute();
        int[] records = [0, 1, 2, 3, 4, 5, 10, 11];

        // Execute
        var models = await ReferenceModels.TrainAsync(compute, [0, 1, 2, 3, 4, 5], [10, 11], count: 4, epochs: 2, seed: 31);

        // Assert: a change here silently changes every published LiRA, RMIA and shadow audit
        var trainedOn = models.TrainedOn(records).Select(m => string.Concat(m.Select(b => b ? '1' : '0')));
        Assert.Equal(["11000110", "01010100", "10101001", "00111011"], trainedOn);
        Assert.Equal([762f, 189f, 172f, 675f], compute.Jobs.Select(j => j.Start[0]));
        Assert.Equal([13057273167091306357UL, 17882757426984635849UL, 12622659238919989071UL, 17021421422314951475UL], compute.Jobs.Select(j => j.Seed));
        Assert.Equal([[0, 1, 5, 10], [1, 3, 5], [0, 2, 4, 11], [2, 3, 4, 10, 11]], compute.Jobs.Select(j => j.Records));
    }
}
