using FedSim.Tests.Support;
using FedSim.Compute;
using FedSim.Scenario;
using FedSim.Data;
using FedSim.Determinism;
using FedSim.Training;
using TorchSharp;
using Xunit.Abstractions;
using FedSim.Models;

namespace FedSim.Tests.Compute;

/// <summary>
/// Every plan modifier trains the same inside a cohort, alone, and in the reference trainer (its one-device twin),
/// and actually changes the update it is meant to change.
/// </summary>
public sealed class PlanModifierTests(ITestOutputHelper output)
{
    private static readonly ImageShape Image = new(1, 8, 8);
    private const int Classes = 4;
    private static readonly int[] ShardSizes = [8, 13, 21, 5];

    private const int Context = 6, Vocabulary = 9;

    private static ModelSpec Spec(string kind) => kind switch
    {
        ModelKinds.Cnn => new ModelSpec(kind, Image.Size, Classes, [], Image, [2, 4], 8),
        ModelKinds.Lstm or ModelKinds.Transformer => ComputeTestData.LanguageModel(kind, Context, Vocabulary),
        _ => new ModelSpec(kind, Image.Size, Classes, [12], null, [], 0),
    };

    private static readonly TrainingPlan Sgd = new(OptimizerKinds.Sgd, 0.1f, 0f, 8, 2);

    public static TheoryData<string, string> Cases()
    {
        var data = new TheoryData<string, string>();
        foreach (var model in new[] { ModelKinds.Mlp, ModelKinds.Cnn })
            foreach (var modifier in new[] { "proximal", "control-variate", "label-flip", "backdoor", "partial-work", "dp-sgd", "dp-sgd+proximal", "gradient-ascent", "ditto" })
                data.Add(model, modifier);
        // The language models: DP-SGD (per-example gradients through the recurrence, attention, embeddings and
        // LayerNorm) and the modifiers that act on gradients or the schedule.
        foreach (var model in new[] { ModelKinds.Lstm, ModelKinds.Transformer })
            foreach (var modifier in new[] { "proximal", "partial-work", "dp-sgd", "dp-sgd+proximal" })
                data.Add(model, modifier);
        return data;
    }

    private static (TrainingPlan Plan, Func<TrainingJob, TrainingJob> PerJob) Modifier(string name, int parameters) => name switch
    {
        "proximal" => (Sgd.With(new ProximalTerm(0.5f)), j => j),
        "control-variate" => (Sgd.With(new ControlVariateCorrection()), j => j with
        {
            DeviceVectors = new Dictionary<string, float[]> { [ControlVariateCorrection.DeviceVector] = Vector(parameters, j.DeviceId) },
        }),
        "label-flip" => (Sgd.With(new LabelFlip(Classes)), j => j),
        "backdoor" => (Sgd.With(new BackdoorTrigger(3, 2f, 1, 0.5)), j => j),
        "partial-work" => (Sgd, j => j with { MaxSteps = 3 }),
        // Clip norm 0.5 clips most examples of these random images; z = 0.8 noise on top.
        "dp-sgd" => (Sgd.With(new DpSgd(0.5, 0.8)), j => j),
        "dp-sgd+proximal" => (Sgd.With(new DpSgd(0.5, 0.8), new ProximalTerm(0.5f)), j => j with { MaxSteps = 3 }),
        "gradient-ascent" => (Sgd.With(new GradientAscent()), j => j),
        // Each device's own anchor (the global model a Ditto job is pulled toward), away from where it starts.
        "ditto" => (Sgd.With(new DittoProximalTerm(0.5f)), j => j with
        {
            DeviceVectors = new Dictionary<string, float[]> { [DittoProximalTerm.GlobalVector] = j.GlobalWeights.Zip(Vector(parameters, j.DeviceId), (w, v) => w + 4 * v).ToArray() },
        }),
        _ => throw new ArgumentException(name),
    };

    /// <summary>A different, seeded correction vector per device.</summary>
    private static float[] Vector(int n, long device)
    {
        var rng = new DeterministicRandom((ulong)device + 17);
        var v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float)(0.05 * rng.NextGaussian());
        return v;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Modified_training_is_the_same_in_a_cohort_alone_and_in_the_reference_trainer(string model, string modifier)
    {
        // Prepare
        var spec = Spec(model);
        var data = spec.IsLanguageModel ? ComputeTestData.RandomText(5, ShardSizes.Sum(), Context, Vocabulary)
            : ComputeTestData.RandomImages(5, ShardSizes.Sum(), Image, Classes);
        var global = ModelLayout.Initialize(spec, 3);
        var (plan, perJob) = Modifier(modifier, global.Length);
        var jobs = ComputeTestData.Jobs(spec, plan, global, data, ComputeTestData.Shards(ShardSizes), 41).Select(perJob).ToArray();
        var plain = ComputeTestData.Jobs(spec, Sgd, global, data, ComputeTestData.Shards(ShardSizes), 41);

        // Execute
        var cohort = BatchedTrainer.Train(jobs, TestDevice.Torch);
        var solo = jobs.Select(j => BatchedTrainer.Train([j], TestDevice.Torch)[0]).ToArray();
        var reference = jobs.Select(j => ReferenceTrainer.Train(j, TestDevice.Torch)).ToArray();
        var unmodified = BatchedTrainer.Train(plain, TestDevice.Torch);

        // Assert
        for (int d = 0; d < jobs.Length; d++)
        {
            double scale = ComputeTestData.MaxAbs(reference[d].Delta);
            double vsSolo = ComputeTestData.MaxAbsDiff(cohort[d].Delta, solo[d].Delta) / scale;
            double vsReference = ComputeTestData.MaxAbsDiff(cohort[d].Delta, reference[d].Delta) / scale;
            double effect = ComputeTestData.MaxAbsDiff(cohort[d].Delta, unmodified[d].Delta) / scale;
            output.WriteLine($"{model}/{modifier} device {d}: vs solo {vsSolo:E2}, vs reference {vsReference:E2}, effect {effect:E2}");
            Assert.True(vsSolo <= 1e-5, $"device {d}: cohort vs solo differs by {vsSolo:E2}");
            Assert.True(vsReference <= 1e-5, $"device {d}: cohort vs reference differs by {vsReference:E2}");
            Assert.Equal(reference[d].Steps, cohort[d].Steps);
            bool backdoorMissedEveryRow = modifier == "backdoor" && !jobs[d].Shard.Indices.Any(r => ((BackdoorTrigger)plan.AllModifiers[0]).Poisons(jobs[d].Seed, r));
            bool partialCoversAll = modifier == "partial-work" && unmodified[d].Steps <= 3;
            if (!backdoorMissedEveryRow && !partialCoversAll)
                Assert.True(effect > 1e-3, $"device {d}: the {modifier} modifier did not change the update ({effect:E2})");
        }
    }

    [Fact]
    public void Dp_sgd_on_a_device_smaller_than_the_batch_divides_by_its_expected_batch_not_by_b()
    {
        // Prepare: 5 examples, B = 8, so q = min(1, B/n) = 1 and every Poisson batch is the whole shard: the expected
        // batch is q·n = 5. With clipping that never binds and no noise, DP-SGD is then exactly full-batch SGD (mean
        // gradient over the 5), which the plain schedule also runs here (one batch of all 5 per epoch).
        var spec = Spec(ModelKinds.Mlp);
        var data = ComputeTestData.RandomImages(11, 5, Image, Classes);
        var global = ModelLayout.Initialize(spec, 4);
        var plain = ComputeTestData.Jobs(spec, Sgd, global, data, ComputeTestData.Shards(5), 7)[0];
        var dp = plain with { Plan = Sgd.With(new DpSgd(ClipNorm: 1e6, NoiseMultiplier: 0)) };

        // Execute
        var sgd = BatchedTrainer.Train([plain], TestDevice.Torch)[0];
        var batched = BatchedTrainer.Train([dp], TestDevice.Torch)[0];
        var reference = ReferenceTrainer.Train(dp, TestDevice.Torch);

        // Assert
        double scale = ComputeTestData.MaxAbs(sgd.Delta);
        Assert.True(ComputeTestData.MaxAbsDiff(batched.Delta, sgd.Delta) / scale <= 1e-5, "batched DP-SGD is not full-batch SGD");
        Assert.True(ComputeTestData.MaxAbsDiff(reference.Delta, sgd.Delta) / scale <= 1e-5, "reference DP-SGD is not full-batch SGD");
    }

    [Fact]
    public void Secure_dp_sgd_noise_is_standard_normal_and_fresh_in_a_cohort_and_in_the_reference_trainer()
    {
        // Prepare: one step whose clipped gradients vanish (C = 1e-9) and whose noise has σ = z·C = 1, so the update is
        // the step's noise alone: Δ = −η·N(0, 1)/B with η = 0.1 and expected batch B = 8, on 17,668 parameters.
        var spec = new ModelSpec(ModelKinds.Mlp, Image.Size, Classes, [256], null, [], 0);
        var data = ComputeTestData.RandomImages(9, 40, Image, Classes);
        var global = ModelLayout.Initialize(spec, 2);
        TrainingJob Job(bool secure) => ComputeTestData.Jobs(spec, Sgd.With(new DpSgd(1e-9, 1e9, secure)), global, data,
            ComputeTestData.Shards(40), 3)[0] with { MaxSteps = 1 };
        double[] Noise(float[] delta) => delta.Select(d => -d * 8 / (double)0.1f).ToArray();

        // Execute
        var cohort = BatchedTrainer.Train([Job(true), Job(true)], torch.CPU);
        var reference = ReferenceTrainer.Train(Job(true), torch.CPU);
        var seeded = BatchedTrainer.Train([Job(false), Job(false)], torch.CPU);

        // Assert
        Privacy.SecureNoiseTests.AssertStandardNormal(Noise(cohort[0].Delta));
        Privacy.SecureNoiseTests.AssertStandardNormal(Noise(reference.Delta));
        Assert.True(ComputeTestData.MaxAbsDiff(cohort[0].Delta, cohort[1].Delta) > 0.01, "two secure draws of the same job agree");
        Assert.True(ComputeTestData.MaxAbsDiff(cohort[0].Delta, reference.Delta) > 0.01, "secure noise repeated in the reference trainer");
        Assert.Equal(seeded[0].Delta, seeded[1].Delta);
        Assert.NotEqual(Job(true).Plan, Job(false).Plan); // secure and seeded jobs never share a cohort
    }

    [Fact]
    public void Gradient_ascent_raises_the_loss_that_descent_lowers()
    {
        // Prepare
        var spec = Spec(ModelKinds.Mlp);
        var data = ComputeTestData.RandomImages(9, 40, Image, Classes);
        var global = ModelLayout.Initialize(spec, 2);
        var descent = ComputeTestData.Jobs(spec, Sgd, global, data, ComputeTestData.Shards(40), 3)[0];
        var ascent = descent with { Plan = Sgd.With(new GradientAscent()) };
        double Loss(float[] delta) => ModelEvaluator.Evaluate(new EvaluationJob(spec, global.Zip(delta, (w, d) => w + d).ToArray(), data), TestDevice.Torch).Loss;
        double before = ModelEvaluator.Evaluate(new EvaluationJob(spec, global, data), TestDevice.Torch).Loss;

        // Execute
        var down = BatchedTrainer.Train([descent], TestDevice.Torch)[0];
        var up = BatchedTrainer.Train([ascent], TestDevice.Torch)[0];

        // Assert
        Assert.True(Loss(down.Delta) < before, $"descent: {before} -> {Loss(down.Delta)}");
        Assert.True(Loss(up.Delta) > before, $"ascent: {before} -> {Loss(up.Delta)}");
    }

    [Fact]
    public void Partial_work_takes_the_first_steps_of_the_full_schedule()
    {
        // Prepare: the same device with 3 steps, and step by step 3 times one step from the previous result.
        var spec = Spec(ModelKinds.Mlp);
        var data = ComputeTestData.RandomImages(9, 40, Image, Classes);
        var global = ModelLayout.Initialize(spec, 2);
        var job = ComputeTestData.Jobs(spec, Sgd, global, data, ComputeTestData.Shards(40), 3)[0];

        // Execute
        var three = BatchedTrainer.Train([job with { MaxSteps = 3 }], TestDevice.Torch)[0];
        var all = BatchedTrainer.Train([job], TestDevice.Torch)[0];

        // Assert
        Assert.Equal(3, three.Steps);
        Assert.Equal(10, all.Steps);
        Assert.NotEqual(all.Delta, three.Delta);
    }

    [Fact]
    public void Jobs_with_different_modifiers_never_share_a_cohort()
    {
        var spec = Spec(ModelKinds.Mlp);
        var data = ComputeTestData.RandomImages(9, 16, Image, Classes);
        var global = ModelLayout.Initialize(spec, 2);
        var jobs = ComputeTestData.Jobs(spec, Sgd, global, data, ComputeTestData.Shards(8, 8), 3);
        jobs[1] = jobs[1] with { Plan = Sgd.With(new LabelFlip(Classes)) };

        var error = Assert.Throws<ArgumentException>(() => BatchedTrainer.Train(jobs, TestDevice.Torch));

        Assert.Contains("label-flip", error.Message);
        Assert.Equal(Sgd.With(new ProximalTerm(0.5f)), Sgd.With(new ProximalTerm(0.5f)));
        Assert.NotEqual(Sgd.With(new ProximalTerm(0.5f)), Sgd.With(new ProximalTerm(0.25f)));
    }

    [Fact]
    public void A_backdoor_target_outside_the_classes_is_a_clear_error()
    {
        var spec = Spec(ModelKinds.Mlp);
        var data = ComputeTestData.RandomImages(9, 8, Image, Classes);
        var job = ComputeTestData.Jobs(spec, Sgd.With(new BackdoorTrigger(2, 1f, Classes, 0.5)), ModelLayout.Initialize(spec, 2), data,
            ComputeTestData.Shards(8), 3)[0];

        var error = Assert.Throws<ArgumentException>(() => BatchedTrainer.Train([job], TestDevice.Torch));

        Assert.Contains("target_label", error.Message);
    }
}
