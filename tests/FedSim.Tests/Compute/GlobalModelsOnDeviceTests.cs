using FedSim.Tests.Support;
using FedSim.Compute;
using FedSim.GrainInterfaces;
using FedSim.Data;
using FedSim.Models;
using FedSim.Training;
using TorchSharp;

namespace FedSim.Tests.Compute;

/// <summary>
/// A round's global model crosses to the compute device once per pool, by its (experiment, round) name, however many
/// cohorts train from it and whichever arrays carry it.
/// </summary>
public sealed class GlobalModelsOnDeviceTests
{
    private static readonly ModelSpec Model = new("mlp", 784, 10, [32], null, [], 0);
    private static readonly TrainingPlan Plan = new("sgd", 0.1f, 0f, 10, 1);

    private static TrainingJob[] RoundJobs(Dataset data, float[] global, GlobalModelId id, int devices, ulong seed)
        => ComputeTestData.Jobs(Model, Plan, global, data, ComputeTestData.Shards(Enumerable.Repeat(20, devices).ToArray()), seed)
            // Each device holds its own copy of the weights, as one deserialized from another silo's message does.
            .Select(j => j with { GlobalWeights = (float[])global.Clone(), GlobalId = id }).ToArray();

    [Fact]
    public async Task A_round_trained_in_many_cohorts_uploads_its_model_once_and_trains_as_without_the_cache()
    {
        // Prepare: a real pool that trains at most two devices together, and one round of eight devices.
        var data = ComputeTestData.RandomImages(5, 400, new ImageShape(1, 28, 28), 10);
        var first = ModelLayout.Initialize(Model, 1);
        var second = ModelLayout.Initialize(Model, 2);
        var round1 = RoundJobs(data, first, new GlobalModelId("exp", 1), 8, 3);
        var round2 = RoundJobs(data, second, new GlobalModelId("exp", 2), 4, 4);
        using var pool = new ComputePool(PoolJobs.Options(workers: 1, maxCohort: 2));

        // Execute: round 1, then round 2, then a straggler of round 1 and a job without a name.
        var trained1 = await Task.WhenAll(round1.Select(j => pool.TrainAsync(j)));
        long afterRound1 = pool.Snapshot().GlobalModelUploads;
        var cohorts1 = pool.Snapshot().CohortsRun;
        var trained2 = await Task.WhenAll(round2.Select(j => pool.TrainAsync(j)));
        long afterRound2 = pool.Snapshot().GlobalModelUploads;
        var straggler = await pool.TrainAsync(round1[0]);
        var unnamed = await pool.TrainAsync(round2[0] with { GlobalId = null });

        // Assert: one upload per round although round 1 ran as at least four cohorts; a straggler of an older round
        // gets a private copy (the newer round stays cached), and the numbers are those of training without the pool.
        Assert.True(cohorts1 >= 4, $"round 1 ran as {cohorts1} cohorts");
        Assert.Equal(1, afterRound1);
        Assert.Equal(2, afterRound2);
        Assert.Equal(3, pool.Snapshot().GlobalModelUploads);
        var expected1 = BatchedTrainer.Train(round1, TestDevice.Torch);
        var expected2 = BatchedTrainer.Train(round2, TestDevice.Torch);
        for (int d = 0; d < round1.Length; d++) Assert.Equal(expected1[d].Delta, trained1[d].Delta);
        for (int d = 0; d < round2.Length; d++) Assert.Equal(expected2[d].Delta, trained2[d].Delta);
        Assert.Equal(expected1[0].Delta, straggler.Delta);
        Assert.Equal(expected2[0].Delta, unnamed.Delta);
    }

    [Fact]
    public void One_cohort_mixing_two_models_stacks_each_from_its_own_name()
    {
        // Prepare: two experiments' devices in one cohort (two runs of a comparison sharing the silo).
        var data = ComputeTestData.RandomImages(6, 200, new ImageShape(1, 28, 28), 10);
        var a = RoundJobs(data, ModelLayout.Initialize(Model, 1), new GlobalModelId("a", 3), 2, 7);
        var b = RoundJobs(data, ModelLayout.Initialize(Model, 2), new GlobalModelId("b", 3), 2, 8);
        using var models = new GlobalModelsOnDevice();

        // Execute
        var mixed = BatchedTrainer.Train([a[0], b[0], a[1], b[1]], TestDevice.Torch, models);

        // Assert: two uploads, and each device trained from its own experiment's model.
        Assert.Equal(2, models.Uploads);
        Assert.Equal(BatchedTrainer.Train([a[0]], TestDevice.Torch)[0].Delta, mixed[0].Delta);
        Assert.Equal(BatchedTrainer.Train([b[0]], TestDevice.Torch)[0].Delta, mixed[1].Delta);
        Assert.Equal(BatchedTrainer.Train([b[1]], TestDevice.Torch)[0].Delta, mixed[3].Delta);
    }

    [Fact]
    public void A_lease_outlives_the_eviction_of_its_model()
    {
        // Prepare
        using var models = new GlobalModelsOnDevice();
        using var lease = models.Lease(new GlobalModelId("old", 1), [1f, 2f, 3f], TestDevice.Torch);

        // Execute: more experiments than the cache keeps push "old" out and free its cached tensor.
        for (int e = 0; e < GlobalModelsOnDevice.Capacity; e++)
            models.Lease(new GlobalModelId($"e{e}", 1), [e, e, e], TestDevice.Torch).Dispose();
        using var again = models.Lease(new GlobalModelId("old", 1), [1f, 2f, 3f], TestDevice.Torch);

        // Assert: the lease still reads its values; "old" had to be uploaded again.
        Assert.Equal([1f, 2f, 3f], lease.data<float>().ToArray());
        Assert.Equal(GlobalModelsOnDevice.Capacity + 2, models.Uploads);
    }

    [Fact]
    public void One_name_for_two_sizes_is_refused()
    {
        using var models = new GlobalModelsOnDevice();
        models.Lease(new GlobalModelId("x", 1), [1f, 2f], TestDevice.Torch).Dispose();

        var error = Assert.Throws<ArgumentException>(() => models.Lease(new GlobalModelId("x", 1), [1f, 2f, 3f], TestDevice.Torch));

        Assert.Contains("x@1", error.Message);
    }
}
