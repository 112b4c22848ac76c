using FedSim.Compute;
using FedSim.Data;
using FedSim.Determinism;
using FedSim.GrainInterfaces;
using FedSim.Models;
using FedSim.Strategies;
using FedSim.Tests.Support;
using FedSim.Training;
using TorchSharp;

namespace FedSim.Tests.Compute;

/// <summary>
/// Sums on the compute pool (<see cref="TrainingJob.SumOnPool"/>): the device cuts each weighted delta into
/// <see cref="ExactSum"/>'s limbs with tensor operations, and the result must be the host's cut of the same deltas bit for
/// bit, or partial sums from different pools and single deltas would not add up to one number. Runs on
/// FEDSIM_TEST_DEVICE (bench/gpu-smoke.sh runs it on CUDA).
/// </summary>
public sealed class PooledSumTests
{
    private static readonly ImageShape Image = new(1, 8, 8);
    private static readonly ModelSpec Mlp = new(ModelKinds.Mlp, Image.Size, 5, [12], null, [], 0);
    private static readonly TrainingPlan Plan = new(OptimizerKinds.Sgd, 0.1f, 0f, 8, 2);

    [Fact]
    public void Device_cut_of_weighted_deltas_equals_the_host_cut_bit_for_bit()
    {
        // Prepare: values over many orders of magnitude and both signs, integer weights as FedAvg's example counts.
        var rng = new DeterministicRandom(9);
        int k = 7, total = 301;
        var rows = Enumerable.Range(0, k).Select(_ => Enumerable.Range(0, total)
            .Select(_ => (float)(rng.NextGaussian() * Math.Pow(10, rng.NextInt(14) - 10))).ToArray()).ToArray();
        double[] weights = [1, 600, 37, 12_345, 2, 99, 600];
        var host = new ExactSum(total);
        for (int d = 0; d < k; d++) host.Add(rows[d], weights[d]);

        // Execute
        using var deltas = torch.tensor(rows.SelectMany(r => r).ToArray(), [k, total], device: TestDevice.Torch);
        var device = CohortDeltas.Limbs(deltas, [.. Enumerable.Range(0, k).Select(d => (long)d)], weights);

        // Assert: the same total (compared in canonical limbs: the device's are summed per limb, not carried).
        var fromDevice = new ExactSum(total);
        fromDevice.AddLimbs(device, k);
        var (expected, actual) = (host.ToLimbs(), fromDevice.ToLimbs());
        int first = Enumerable.Range(0, expected.Length).FirstOrDefault(i => expected[i] != actual[i], -1);
        Assert.True(first < 0, first < 0 ? "" : $"limb {first / total} of coordinate {first % total}: host {expected[first]}, device {actual[first]}");
    }

    [Fact]
    public void A_cohort_summed_on_the_pool_returns_norms_and_one_sum_per_round_carried_by_its_first_device()
    {
        // Prepare: devices 0-3 of round 1 summed, device 4 of round 1 returning its delta, devices 5-6 summed for round 2
        // (two experiments on one silo), device 7 summed with an empty shard (no step: in the sum with nothing).
        var data = ComputeTestData.RandomImages(4, 200, Image, 5);
        var global = ModelLayout.Initialize(Mlp, 2);
        var jobs = ComputeTestData.Jobs(Mlp, Plan, global, data, ComputeTestData.Shards(13, 21, 8, 30, 17, 9, 25, 0), 5);
        var other = new GlobalModelId("other", 2);
        var summed = jobs.Select((j, d) => j with { SumOnPool = d != 4, GlobalId = d is 5 or 6 ? other : j.GlobalId }).ToArray();

        // Execute
        var plain = BatchedTrainer.Train(jobs, TestDevice.Torch);
        var results = BatchedTrainer.Train(summed, TestDevice.Torch);

        // Assert
        Assert.Equal(plain[4].Delta, results[4].Delta);
        Assert.All(results.Where((_, d) => d != 4), r => Assert.Empty(r.Delta));
        for (int d = 0; d < jobs.Length; d++)
        {
            double norm = AggregationMath.Norm(plain[d].Delta);
            Assert.True(Math.Abs(results[d].UpdateNorm - norm) <= 1e-12 * Math.Max(1, norm), $"device {d}: norm {results[d].UpdateNorm} vs {norm}");
            Assert.Equal(plain[d].Steps, results[d].Steps);
            Assert.Equal(plain[d].MeanLoss, results[d].MeanLoss);
        }
        Assert.Equal([0, 5], Enumerable.Range(0, jobs.Length).Where(d => results[d].Carries is not null));
        AssertCarries(results[0].Carries!, new GlobalModelId("test", 1), [0, 1, 2, 3, 7], plain, jobs);
        AssertCarries(results[5].Carries!, other, [5, 6], plain, jobs);
    }

    private static void AssertCarries(PooledSum sum, GlobalModelId round, int[] members, TrainingResult[] plain, TrainingJob[] jobs)
    {
        Assert.Equal(round, sum.Round);
        Assert.Equal(members.Select(d => (long)d), sum.Members.Select(m => m.DeviceId));
        Assert.Equal(members.Select(d => jobs[d].Shard.Count), sum.Members.Select(m => m.Examples));
        var expected = new ExactSum(plain[0].Delta.Length);
        foreach (int d in members) expected.Add(plain[d].Delta, jobs[d].Shard.Count);
        var carried = new ExactSum(expected.Length);
        carried.AddLimbs(sum.Limbs, members.Length);
        Assert.Equal(expected.ToLimbs(), carried.ToLimbs());
    }

    [Fact]
    public void A_non_finite_update_is_left_out_of_its_cohorts_sum()
    {
        // Prepare: device 1 trains on rows holding a NaN, so its delta is NaN.
        var data = ComputeTestData.RandomImages(4, 60, Image, 5);
        for (int i = 20; i < 40; i++) data.Features[i * Image.Size + 3] = float.NaN;
        var global = ModelLayout.Initialize(Mlp, 2);
        var jobs = ComputeTestData.Jobs(Mlp, Plan, global, data, ComputeTestData.Shards(20, 20, 20), 5).Select(j => j with { SumOnPool = true }).ToArray();

        // Execute
        var results = BatchedTrainer.Train(jobs, TestDevice.Torch);

        // Assert
        Assert.Null(results[0].LeftOut);
        Assert.Contains("non-finite", results[1].LeftOut);
        Assert.Equal([0L, 2L], results[0].Carries!.Members.Select(m => m.DeviceId));
        var sum = new ExactSum(global.Length);
        sum.AddLimbs(results[0].Carries!.Limbs, 2);
        Assert.All(sum.ToDoubles(), v => Assert.True(double.IsFinite(v)));
    }

    [Fact]
    public void A_job_summed_on_the_pool_must_name_its_round()
    {
        var data = ComputeTestData.RandomImages(4, 20, Image, 5);
        var job = ComputeTestData.Jobs(Mlp, Plan, ModelLayout.Initialize(Mlp, 2), data, ComputeTestData.Shards(20), 5)[0] with { SumOnPool = true, GlobalId = null };

        var error = Assert.Throws<ArgumentException>(() => BatchedTrainer.Train([job], TestDevice.Torch));

        Assert.Contains("must name its round", error.Message);
    }
}
