using FedSim.Compute;
using FedSim.Data;
using FedSim.Models;
using FedSim.Tests.Support;
using FedSim.Training;
using TorchSharp;
using Xunit.Abstractions;

namespace FedSim.Tests.Compute;

/// <summary>
/// compute.precision: bf16 autocast trains (a cohort agrees with its devices trained alone in bf16, and a FedAvg step on
/// MNIST learns about as much as in fp32); tf32 on a CPU is fp32; fp32 stays the default. Runs on FEDSIM_TEST_DEVICE.
/// </summary>
public sealed class PrecisionTests(ITestOutputHelper output)
{
    private static readonly ImageShape Image = new(1, 12, 12);
    private const int Classes = 5;
    private static readonly int[] ShardSizes = [8, 13, 21, 30];

    private static ModelSpec Spec(string kind) => kind switch
    {
        ModelKinds.Mlp => new ModelSpec(kind, Image.Size, Classes, [16], null, [], 0),
        ModelKinds.Cnn => new ModelSpec(kind, Image.Size, Classes, [], Image, [4, 8], 16),
        _ => ComputeTestData.LanguageModel(kind, 10, 7),
    };

    private static Dataset Data(ModelSpec spec) => spec.IsLanguageModel
        ? ComputeTestData.RandomText(7, ShardSizes.Sum(), 10, 7)
        : ComputeTestData.RandomImages(7, ShardSizes.Sum(), Image, Classes);

    private static TrainingJob[] Jobs(ModelSpec spec, string precision) => ComputeTestData.Jobs(spec,
        new TrainingPlan(OptimizerKinds.Sgd, 0.1f, 0f, 8, 2, Precision: precision), ModelLayout.Initialize(spec, 11), Data(spec),
        ComputeTestData.Shards(ShardSizes), 99);

    [Theory]
    [InlineData(ModelKinds.Mlp)]
    [InlineData(ModelKinds.Cnn)]
    [InlineData(ModelKinds.Lstm)]
    [InlineData(ModelKinds.Transformer)]
    public void Bf16_cohort_update_is_each_devices_bf16_update_alone_and_near_its_fp32_update(string kind)
    {
        // Prepare
        var spec = Spec(kind);
        var bf16 = Jobs(spec, Precisions.Bf16);

        // Execute
        var cohort = BatchedTrainer.Train(bf16, TestDevice.Torch);
        var alone = bf16.Select(j => BatchedTrainer.Train([j], TestDevice.Torch)[0]).ToArray();
        var fp32 = BatchedTrainer.Train(Jobs(spec, Precisions.Fp32), TestDevice.Torch);

        // Assert: bf16 keeps 8 bits of mantissa (a relative step of 2^-8 ≈ 0.4 %), so bf16 and fp32 updates differ by
        // about that; a device's bf16 update in a cohort and alone run the same products on the same bf16 operands.
        for (int d = 0; d < bf16.Length; d++)
        {
            double scale = ComputeTestData.MaxAbs(fp32[d].Delta);
            double vsAlone = ComputeTestData.MaxAbsDiff(cohort[d].Delta, alone[d].Delta) / scale;
            double vsFp32 = ComputeTestData.MaxAbsDiff(cohort[d].Delta, fp32[d].Delta) / scale;
            output.WriteLine($"{kind} device {d}: |delta| {scale:E2}, bf16 cohort vs alone {vsAlone:E2}, bf16 vs fp32 {vsFp32:E2}");
            Assert.True(vsAlone <= 2e-2, $"device {d}: bf16 cohort vs alone differs by {vsAlone:E2} of the update");
            Assert.True(vsFp32 is > 1e-5 and <= 0.1, $"device {d}: bf16 vs fp32 differs by {vsFp32:E2} of the update (0: bf16 did not run)");
            Assert.Equal(fp32[d].MeanLoss, cohort[d].MeanLoss, 1e-2);
        }
    }

    [SharedDataFact]
    public void Bf16_fedavg_step_on_mnist_learns_about_as_much_as_fp32()
    {
        // Prepare: MNIST's 2NN (784-200-200-10), ten devices of 300 training images, 2 epochs of B = 10 at lr 0.1; the
        // test is the first 2,000 MNIST test images.
        var split = IdxReader.LoadFolder(SharedDatasets.PathOf("mnist"), "mnist");
        var spec = new ModelSpec(ModelKinds.Mlp, 784, 10, [200, 200], null, [], 0);
        var global = ModelLayout.Initialize(spec, 3);
        var shards = Enumerable.Range(0, 10).Select(d => Enumerable.Range(d * 300, 300).ToArray()).ToArray();
        var test = new EvaluationJob(spec, global, split.Test, [.. Enumerable.Range(0, 2000)]);
        var before = ModelEvaluator.Evaluate(test, TestDevice.Torch);

        // Execute: one FedAvg round in each precision.
        var after = Precisions.All.Where(p => p != Precisions.Tf32).ToDictionary(p => p, p =>
        {
            var plan = new TrainingPlan(OptimizerKinds.Sgd, 0.1f, 0f, 10, 2, Precision: p);
            var results = BatchedTrainer.Train(ComputeTestData.Jobs(spec, plan, global, split.Train, shards, 13), TestDevice.Torch);
            var mean = Enumerable.Range(0, global.Length).Select(i => global[i] + results.Average(r => r.Delta[i])).ToArray();
            return ModelEvaluator.Evaluate(test with { Weights = mean }, TestDevice.Torch);
        });

        // Assert
        output.WriteLine($"before: accuracy {before.Accuracy:P2}, loss {before.Loss:F4}");
        foreach (var (precision, score) in after) output.WriteLine($"{precision}: accuracy {score.Accuracy:P2}, loss {score.Loss:F4}");
        Assert.True(after[Precisions.Bf16].Loss < 0.75 * before.Loss, "bf16 training should lower the test loss");
        Assert.True(Math.Abs(after[Precisions.Bf16].Accuracy - after[Precisions.Fp32].Accuracy) <= 0.02,
            $"bf16 {after[Precisions.Bf16].Accuracy:P2} vs fp32 {after[Precisions.Fp32].Accuracy:P2}");
    }

    [Fact]
    public void Tf32_is_fp32_bit_for_bit_on_the_cpu_and_near_fp32_on_cuda()
    {
        var spec = Spec(ModelKinds.Cnn);

        var tf32 = BatchedTrainer.Train(Jobs(spec, Precisions.Tf32), TestDevice.Torch);
        var fp32 = BatchedTrainer.Train(Jobs(spec, Precisions.Fp32), TestDevice.Torch);

        for (int d = 0; d < tf32.Length; d++)
        {
            double difference = ComputeTestData.MaxAbsDiff(tf32[d].Delta, fp32[d].Delta) / ComputeTestData.MaxAbs(fp32[d].Delta);
            output.WriteLine($"device {d}: tf32 vs fp32 {difference:E2} of the update on {TestDevice.Torch}");
            if (TestDevice.IsCuda) Assert.True(difference <= 1e-2, $"device {d}: tf32 vs fp32 {difference:E2}");
            else Assert.Equal(fp32[d].Delta, tf32[d].Delta); // TF32 is a CUDA mode: a CPU computes fp32
        }
    }

    [Fact]
    public void Fp32_is_the_default_and_reads_as_before()
    {
        var plan = new TrainingPlan(OptimizerKinds.Sgd, 0.1f, 0f, 8, 2);

        Assert.Equal(Precisions.Fp32, plan.Precision);
        Assert.Equal("sgd lr=0.1 momentum=0 B=8 E=2", plan.ToString());
        Assert.Equal("sgd lr=0.1 momentum=0 B=8 E=2 bf16", (plan with { Precision = Precisions.Bf16 }).ToString());
        Assert.NotEqual(plan, plan with { Precision = Precisions.Bf16 }); // different precisions never share a cohort
    }

    [Fact]
    public void Bf16_with_dp_sgd_and_bf16_in_the_reference_trainer_are_refused()
    {
        var job = Jobs(Spec(ModelKinds.Mlp), Precisions.Bf16)[0];

        var dp = Assert.Throws<ArgumentException>(() => BatchedTrainer.Train([job with { Plan = job.Plan.With(new DpSgd(1, 1)) }], TestDevice.Torch));
        var reference = Assert.Throws<ArgumentException>(() => ReferenceTrainer.Train(job, TestDevice.Torch));

        Assert.Contains("DP-SGD", dp.Message);
        Assert.Contains("not bf16", reference.Message);
    }
}
