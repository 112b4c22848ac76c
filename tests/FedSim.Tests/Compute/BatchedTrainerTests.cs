using FedSim.Tests.Support;
using FedSim.Training;
using FedSim.Compute;
using FedSim.Scenario;
using FedSim.Data;
using TorchSharp;
using Xunit.Abstractions;
using FedSim.Models;

namespace FedSim.Tests.Compute;

public class BatchedTrainerTests(ITestOutputHelper output)
{
    private static readonly ImageShape Image = new(1, 12, 12);
    private const int Classes = 5;

    // Batch 8, 2 epochs: 8 = one full batch; 13 and 21 end an epoch on a partial batch; 5 is a single partial
    // batch; 30 needs the most steps (8), so the others finish early and sit out the cohort's last steps.
    private static readonly int[] ShardSizes = [8, 13, 21, 5, 30];

    /// <summary>
    /// Tolerance for "same update": max |difference| over max |reference delta|, per device.
    /// Batched and one-by-one training do the same arithmetic in a different order (bmm vs addmm, grouped vs
    /// plain convolution, a weighted sum vs a mean), so fp32 rounding (~6e-8 per operation) differs and
    /// compounds over the steps. Measured on CPU: sgd and momentum stay below 1e-6 for every model (linear
    /// models are even bit-identical between cohort and solo); adam reaches 7e-5 for the CNN, because its
    /// update m/sqrt(v) cancels when successive gradients of a coordinate flip sign and then amplifies
    /// rounding. A real bug (a wrong or lost batch, mixed devices, a masked device updated) moves the update
    /// by a sizeable fraction of the learning rate, i.e. 1e-2 or more of this scale.
    /// </summary>
    private static double RelativeTolerance(string optimizer) => optimizer == OptimizerKinds.Adam ? 1e-3 : 1e-5;

    public static TheoryData<string, string> Cases()
    {
        var data = new TheoryData<string, string>();
        foreach (var model in ModelKinds.All)
            foreach (var optimizer in OptimizerKinds.All) data.Add(model, optimizer);
        return data;
    }

    private const int Context = 10, Vocabulary = 7;

    private static ModelSpec Spec(string kind) => kind switch
    {
        ModelKinds.Logistic => new ModelSpec(kind, Image.Size, Classes, [], null, [], 0),
        ModelKinds.Mlp => new ModelSpec(kind, Image.Size, Classes, [16], null, [], 0),
        ModelKinds.Cnn => new ModelSpec(kind, Image.Size, Classes, [], Image, [4, 8], 16),
        _ => ComputeTestData.LanguageModel(kind, Context, Vocabulary),
    };

    /// <summary>Images for the classifiers, token sequences for the language models.</summary>
    private static Dataset Data(ModelSpec spec, ulong seed, int count) => spec.IsLanguageModel
        ? ComputeTestData.RandomText(seed, count, Context, Vocabulary)
        : ComputeTestData.RandomImages(seed, count, Image, Classes);

    private static TrainingPlan Plan(string optimizer) => optimizer switch
    {
        OptimizerKinds.Sgd => new TrainingPlan(optimizer, 0.1f, 0f, 8, 2),
        OptimizerKinds.Momentum => new TrainingPlan(optimizer, 0.05f, 0.9f, 8, 2),
        _ => new TrainingPlan(optimizer, 0.01f, 0.9f, 8, 2),
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Cohort_update_equals_solo_and_reference_update_per_device(string model, string optimizer)
    {
        // Prepare
        var spec = Spec(model);
        var data = Data(spec, 7, ShardSizes.Sum());
        var global = ModelLayout.Initialize(spec, 11);
        var jobs = ComputeTestData.Jobs(spec, Plan(optimizer), global, data, ComputeTestData.Shards(ShardSizes), 99);

        // Execute
        var cohort = BatchedTrainer.Train(jobs, TestDevice.Torch);
        var solo = jobs.Select(j => BatchedTrainer.Train([j], TestDevice.Torch)[0]).ToArray();
        var reference = jobs.Select(j => ReferenceTrainer.Train(j, TestDevice.Torch)).ToArray();

        // Assert
        if (optimizer == OptimizerKinds.Adam) HideKeyBiases(spec, cohort, solo, reference);
        for (int d = 0; d < jobs.Length; d++)
        {
            double scale = ComputeTestData.MaxAbs(reference[d].Delta);
            double vsSolo = ComputeTestData.MaxAbsDiff(cohort[d].Delta, solo[d].Delta) / scale;
            double vsReference = ComputeTestData.MaxAbsDiff(cohort[d].Delta, reference[d].Delta) / scale;
            output.WriteLine($"{model}/{optimizer} device {d}: |delta| {scale:E2}, vs solo {vsSolo:E2}, vs reference {vsReference:E2}, loss {cohort[d].MeanLoss} / {reference[d].MeanLoss}");
            Assert.True(scale > 1e-3, "training should move the weights");
            Assert.True(vsSolo <= RelativeTolerance(optimizer), $"device {d}: cohort vs solo differs by {vsSolo:E2} of the update");
            Assert.True(vsReference <= RelativeTolerance(optimizer),
                $"device {d}: cohort vs reference differs by {vsReference:E2} of the update; worst parameter: {WorstParameter(spec, cohort[d].Delta, reference[d].Delta)}");
            Assert.Equal(reference[d].Steps, cohort[d].Steps);
            Assert.Equal(2 * ((ShardSizes[d] + 7) / 8), cohort[d].Steps);
            Assert.Equal(ShardSizes[d], cohort[d].Examples);
            Assert.Equal(reference[d].MeanLoss, cohort[d].MeanLoss, 1e-4);
        }
    }

    /// <summary>
    /// Zeroes the attention key biases' updates. Adding a constant vector to every key adds one constant to each row of
    /// scores, which softmax ignores, so their true gradient is 0 and what autograd returns is rounding noise; Adam
    /// divides that noise by its own magnitude and takes full steps in its direction, different in every implementation.
    /// The sgd and momentum cases check that these biases stay put.
    /// </summary>
    private static void HideKeyBiases(ModelSpec spec, params TrainingResult[][] runs)
    {
        if (spec.Kind != ModelKinds.Transformer) return;
        foreach (var bias in ModelLayout.For(spec).Parameters.Where(p => p.Name.EndsWith(".attn.qkv.bias", StringComparison.Ordinal)))
            foreach (var run in runs)
                foreach (var result in run) Array.Clear(result.Delta, bias.Offset + spec.Embedding, spec.Embedding);
    }

    /// <summary>The parameter where two updates differ most, for failure messages.</summary>
    private static string WorstParameter(ModelSpec spec, float[] a, float[] b)
    {
        var worst = ModelLayout.For(spec).Parameters
            .Select(p => (p.Name, Diff: Enumerable.Range(p.Offset, p.Count).Max(i => Math.Abs(a[i] - b[i]))))
            .MaxBy(p => p.Diff);
        return $"{worst.Name} ({worst.Diff:E2})";
    }

    [Fact]
    public void Device_side_gather_matches_host_gather()
    {
        var spec = Spec(ModelKinds.Cnn);
        var data = ComputeTestData.RandomImages(3, ShardSizes.Sum(), Image, Classes);
        var jobs = ComputeTestData.Jobs(spec, Plan(OptimizerKinds.Adam), ModelLayout.Initialize(spec, 5), data, ComputeTestData.Shards(ShardSizes), 1);

        var host = BatchedTrainer.Train(jobs, TestDevice.Torch, gatherOnDevice: false);
        var onDevice = BatchedTrainer.Train(jobs, TestDevice.Torch, gatherOnDevice: true);

        for (int d = 0; d < jobs.Length; d++)
        {
            Assert.True(ComputeTestData.MaxAbsDiff(host[d].Delta, onDevice[d].Delta) <= 1e-6 * ComputeTestData.MaxAbs(host[d].Delta));
            Assert.Equal(host[d].MeanLoss, onDevice[d].MeanLoss, 1e-6);
        }
    }

    [Fact]
    public void Empty_shard_and_zero_epochs_give_zero_delta_and_no_steps()
    {
        var spec = Spec(ModelKinds.Mlp);
        var data = ComputeTestData.RandomImages(3, 20, Image, Classes);
        var global = ModelLayout.Initialize(spec, 5);
        var jobs = ComputeTestData.Jobs(spec, Plan(OptimizerKinds.Momentum), global, data, ComputeTestData.Shards(0, 20), 1);
        var zeroEpochs = jobs[1] with { Plan = Plan(OptimizerKinds.Momentum) with { LocalEpochs = 0 } };

        var results = BatchedTrainer.Train(jobs, TestDevice.Torch);
        var none = BatchedTrainer.Train([zeroEpochs], TestDevice.Torch)[0];

        Assert.Equal(0, results[0].Steps);
        Assert.Equal(0, results[0].Examples);
        Assert.All(results[0].Delta, v => Assert.Equal(0f, v));
        Assert.Equal(6, results[1].Steps);
        Assert.Contains(results[1].Delta, v => v != 0f);
        Assert.Equal(0, none.Steps);
        Assert.Equal(20, none.Examples);
        Assert.All(none.Delta, v => Assert.Equal(0f, v));
    }

    [Fact]
    public void Same_seed_gives_identical_update_and_different_seed_a_different_one()
    {
        var spec = Spec(ModelKinds.Logistic);
        var data = ComputeTestData.RandomImages(3, 40, Image, Classes);
        var job = ComputeTestData.Jobs(spec, Plan(OptimizerKinds.Sgd), ModelLayout.Initialize(spec, 5), data, ComputeTestData.Shards(40), 1)[0];

        var a = BatchedTrainer.Train([job], TestDevice.Torch)[0];
        var b = BatchedTrainer.Train([job], TestDevice.Torch)[0];
        var c = BatchedTrainer.Train([job with { Seed = job.Seed + 1 }], TestDevice.Torch)[0];

        Assert.Equal(a.Delta, b.Delta);
        Assert.NotEqual(a.Delta, c.Delta);
    }

    [Fact]
    public void Training_learns_a_separable_problem()
    {
        var data = ComputeTestData.SeparableBlobs(21, 200, 10, 3);
        var spec = ModelSpecFactory.Create(new ModelSpecOptions { Kind = ModelKinds.Mlp, Hidden = [16] }, data);
        var global = ModelLayout.Initialize(spec, 2);
        var jobs = ComputeTestData.Jobs(spec, new TrainingPlan(OptimizerKinds.Sgd, 0.05f, 0, 10, 3), global, data, ComputeTestData.Shards(100, 100), 4);
        var before = ModelEvaluator.Evaluate(new EvaluationJob(spec, global, data), TestDevice.Torch);

        var results = BatchedTrainer.Train(jobs, TestDevice.Torch);
        var averaged = global.Select((w, i) => w + (results[0].Delta[i] + results[1].Delta[i]) / 2).ToArray();
        var after = ModelEvaluator.Evaluate(new EvaluationJob(spec, averaged, data), TestDevice.Torch);

        Assert.True(after.Loss < before.Loss / 4, $"loss {before.Loss} -> {after.Loss}");
        Assert.True(after.Accuracy > 0.95, $"accuracy {after.Accuracy}");
    }

    [Fact]
    public void Cohort_rejects_mixed_plans_wrong_weights_and_bad_labels_with_clear_messages()
    {
        var spec = Spec(ModelKinds.Logistic);
        var data = ComputeTestData.RandomImages(3, 20, Image, Classes);
        var global = ModelLayout.Initialize(spec, 5);
        var jobs = ComputeTestData.Jobs(spec, Plan(OptimizerKinds.Sgd), global, data, ComputeTestData.Shards(10, 10), 1);
        var badLabels = new Dataset("bad", data.Features, data.Labels.Select(l => l + Classes).ToArray(), data.FeatureCount, Classes + 5, Image);

        var mixed = Assert.Throws<ArgumentException>(() => BatchedTrainer.Train([jobs[0], jobs[1] with { Plan = Plan(OptimizerKinds.Adam) }], TestDevice.Torch));
        var weights = Assert.Throws<ArgumentException>(() => BatchedTrainer.Train([jobs[0] with { GlobalWeights = new float[3] }], TestDevice.Torch));
        var labels = Assert.Throws<ArgumentException>(() => BatchedTrainer.Train([jobs[0] with { Shard = new ShardView(badLabels, [0]) }], TestDevice.Torch));

        Assert.Contains("share one training plan", mixed.Message);
        Assert.Contains($"has 3 values but model", weights.Message);
        Assert.Contains("outside the model's 5 classes", labels.Message);
    }
}

/// <summary>
/// ReferenceTrainer writes the optimizer update out (TorchSharp's torch.optim passes temporary Scalars that a
/// garbage collection can free mid-call); this checks that update against TorchSharp's own torch.optim, so the
/// batched-vs-reference equivalence still rests on an independent implementation of SGD, momentum and Adam.
/// </summary>
public class ReferenceTrainerTests
{
    private static readonly ImageShape Image = new(1, 12, 12);

    public static TheoryData<string, string> Cases()
    {
        var data = new TheoryData<string, string>();
        foreach (var model in ModelKinds.All)
            foreach (var optimizer in OptimizerKinds.All) data.Add(model, optimizer);
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Reference_update_equals_a_torch_optim_loop(string model, string optimizer)
    {
        // Prepare
        var spec = model switch
        {
            ModelKinds.Logistic => new ModelSpec(model, Image.Size, 5, [], null, [], 0),
            ModelKinds.Mlp => new ModelSpec(model, Image.Size, 5, [16], null, [], 0),
            ModelKinds.Cnn => new ModelSpec(model, Image.Size, 5, [], Image, [4, 8], 16),
            _ => ComputeTestData.LanguageModel(model, 10, 7),
        };
        var plan = optimizer switch
        {
            OptimizerKinds.Sgd => new TrainingPlan(optimizer, 0.1f, 0f, 8, 2),
            OptimizerKinds.Momentum => new TrainingPlan(optimizer, 0.05f, 0.9f, 8, 2),
            _ => new TrainingPlan(optimizer, 0.01f, 0.9f, 8, 2),
        };
        var data = spec.IsLanguageModel ? ComputeTestData.RandomText(5, 21, 10, 7) : ComputeTestData.RandomImages(5, 21, Image, 5);
        var job = ComputeTestData.Jobs(spec, plan, ModelLayout.Initialize(spec, 3), data, ComputeTestData.Shards(21), 17)[0];

        // Execute
        var reference = ReferenceTrainer.Train(job, TestDevice.Torch);
        var optim = TorchOptimLoop(job);

        // Assert: the same arithmetic in the same order, up to fp32 rounding of the scalars (float vs double).
        double scale = ComputeTestData.MaxAbs(optim);
        Assert.True(scale > 1e-3, "training should move the weights");
        double difference = ComputeTestData.MaxAbsDiff(reference.Delta, optim) / scale;
        Assert.True(difference <= 1e-5, $"reference vs torch.optim differ by {difference:E2} of the update");
    }

    /// <summary>The device's training with torch.optim, the batches in the device's own schedule.</summary>
    private static float[] TorchOptimLoop(TrainingJob job)
    {
        var layout = ModelLayout.For(job.Model);
        var plan = job.Plan;
        var schedule = new MinibatchSchedule(job.Shard.Indices, job.Seed, plan.BatchSize, plan.LocalEpochs);
        // No collection may run while torch.optim's temporary Scalars are inside native calls (see ReferenceTrainer).
        bool noGc = GC.TryStartNoGCRegion(32L << 20);
        try
        {
            using var scope = torch.NewDisposeScope();
            var model = ReferenceTrainer.Build(layout);
            var parameters = ReferenceTrainer.ModuleParameters(model, layout);
            ReferenceTrainer.Load(layout, parameters, job.GlobalWeights, torch.CPU); // torch.optim on the CPU: the reference
            torch.optim.Optimizer optimizer = plan.Optimizer switch
            {
                OptimizerKinds.Sgd => torch.optim.SGD(parameters, plan.LearningRate),
                OptimizerKinds.Momentum => torch.optim.SGD(parameters, plan.LearningRate, momentum: plan.Momentum),
                _ => torch.optim.Adam(parameters, plan.LearningRate, beta1: plan.Momentum, beta2: 0.999, eps: 1e-8),
            };
            var rows = new int[plan.BatchSize];
            var data = job.Shard.Source;
            for (int t = 0; t < schedule.Steps; t++)
            {
                using var step = torch.NewDisposeScope();
                int count = schedule.Batch(t, rows);
                var xs = new float[count * data.FeatureCount];
                var ys = new long[count];
                for (int i = 0; i < count; i++)
                {
                    Array.Copy(data.Features, rows[i] * data.FeatureCount, xs, i * data.FeatureCount, data.FeatureCount);
                    ys[i] = data.Labels[rows[i]];
                }
                long[] shape = layout.Spec.Kind == ModelKinds.Cnn ? [count, Image.Channels, Image.Height, Image.Width] : [count, data.FeatureCount];
                optimizer.zero_grad();
                ReferenceTrainer.BatchLoss(layout, model, torch.tensor(xs, shape), torch.tensor(ys, [count])).backward();
                optimizer.step();
            }
            var trained = ReferenceTrainer.Save(layout, parameters);
            return trained.Select((w, i) => w - job.GlobalWeights[i]).ToArray();
        }
        finally
        {
            if (noGc && System.Runtime.GCSettings.LatencyMode == System.Runtime.GCLatencyMode.NoGCRegion) GC.EndNoGCRegion();
        }
    }
}
