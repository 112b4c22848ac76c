using FedSim.Composition;
using FedSim.Compute;
using FedSim.Determinism;
using FedSim.Devices;
using FedSim.GrainInterfaces;
using FedSim.Models;
using FedSim.Rounds.Personalization;
using FedSim.Scenario;
using FedSim.Scenarios.Configuration;
using FedSim.Strategies;
using FedSim.Training;
using TorchSharp;

namespace FedSim.Tests.Devices;

/// <summary>
/// Ditto (Li et al. 2021, Algorithm 1) on one device, through its round pipeline and the real trainer: the personal model
/// it keeps, its proximal step toward the round's global model, and the scenario rules that guard it.
/// </summary>
public sealed class DittoTests
{
    private static ScenarioSpec Scenario(double lambda, int steps, double learningRate = 0.05) => new()
    {
        Devices = 10,
        Dataset = { Samples = 600 },
        Model = { Kind = ModelKinds.Logistic },
        Training = { LearningRate = learningRate },
        Evaluation = { PerDevice = true },
        Personalization = new DittoOptions { Lambda = lambda, LocalSteps = steps },
    };

    /// <summary>Round <paramref name="round"/>'s assignment with global weights drawn from <paramref name="weightsSeed"/>.</summary>
    private static (RoundAssignment Assignment, ExperimentData Data) Assignment(ScenarioSpec scenario, int round, ulong weightsSeed)
    {
        var data = ExperimentDataCache.Build(scenario);
        var weights = ModelLayout.Initialize(data.Model, weightsSeed);
        var plan = ScenarioComposition.Training(scenario).BasePlan();
        return (new RoundAssignment("exp", round, TrainingSeed: 7, data.Model, plan, new GlobalModel(new GlobalModelId("exp", round), weights), scenario), data);
    }

    private static float[] Kept(MemoryDeviceStateStore store) => store.Written[^1].Vectors[DittoOptions.PersonalModelVector];

    [Fact]
    public async Task A_sampled_device_steps_its_kept_model_by_the_data_gradient_plus_lambda_times_its_distance_to_the_rounds_global_model()
    {
        // Prepare: round 3 (no personal model yet: it starts from that round's global model), then round 5 from another global model.
        var scenario = Scenario(lambda: 0.5, steps: 1);
        var (first, data) = Assignment(scenario, round: 3, weightsSeed: 1);
        var (second, _) = Assignment(scenario, round: 5, weightsSeed: 2);
        var pool = new TrainerPool();
        var store = new MemoryDeviceStateStore();

        // Execute
        await new DeviceRoundPipeline(pool, data, 4).RunAsync(first, () => store);
        var v1 = Kept(store);
        var outcome = await new DeviceRoundPipeline(pool, data, 4).RunAsync(second, () => store);
        var v2 = Kept(store);

        // Assert: the personal jobs start where they should, with the round's global model as the anchor and their own seed.
        var personal = pool.Jobs.Where(j => j.Plan.Find<DittoProximalTerm>() is not null).ToList();
        Assert.Equal(2, personal.Count);
        Assert.Equal(first.Global.Weights, personal[0].GlobalWeights);
        Assert.Equal(v1, personal[1].GlobalWeights);
        Assert.Equal(second.Global.Weights, personal[1].Vector(DittoProximalTerm.GlobalVector));
        Assert.Equal(Seeds.Derive(scenario.Seed, 5, 4, SeedPurpose.PersonalTraining), personal[1].Seed);
        Assert.Equal((3, 5), (store.Written[0].Round, store.Written[1].Round));
        // The global update is the plain one: Ditto's personal training never reaches it.
        var globalJob = pool.Jobs.Last(j => j.Plan.Find<DittoProximalTerm>() is null);
        Assert.Equal(BatchedTrainer.Train([globalJob], torch.CPU)[0].Delta, Assert.IsType<DeviceRoundOutcome.Trained>(outcome).Update.Delta);

        // Assert: one step is v2 = v1 − η·(∇F_k(v1) + λ·(v1 − w)): a plain step on the same minibatch gives −η·∇F_k(v1).
        var plain = BatchedTrainer.Train([personal[1] with { Plan = personal[1].Plan with { Modifiers = null }, DeviceVectors = null }], torch.CPU)[0];
        float eta = personal[1].Plan.LearningRate, lambda = 0.5f;
        var w = second.Global.Weights;
        var byHand = v1.Select((v, i) => v + plain.Delta[i] - eta * lambda * (v - w[i])).ToArray();
        var reference = ReferenceTrainer.Train(personal[1], torch.CPU);
        Assert.True(v1.Zip(w, (a, b) => Math.Abs(a - b)).Max() > 0.05, "the two global models are too close to see the proximal term");
        Assert.True(MaxAbsDiff(v2, byHand) <= 1e-6, $"vs hand-computed step: {MaxAbsDiff(v2, byHand):E2}");
        Assert.True(MaxAbsDiff(v2, v1.Select((v, i) => v + reference.Delta[i]).ToArray()) <= 1e-6, "vs the reference trainer");
    }

    [Fact]
    public async Task A_very_large_lambda_keeps_the_personal_model_at_the_global_model_and_a_small_one_lets_it_stay_local()
    {
        // Prepare: a kept model far from the round's global model w; η·λ = 1, so each step lands on w − η·∇F_k.
        var (a, data) = Assignment(Scenario(lambda: 1000, steps: 20, learningRate: 0.001), round: 5, weightsSeed: 2);
        var w = a.Global.Weights;
        var far = ModelLayout.Initialize(data.Model, 9).Select((v, i) => w[i] + 10 * v).ToArray();
        double distance = MaxAbsDiff(far, w);
        async Task<float[]> PersonalAfter(ScenarioSpec scenario)
        {
            var store = new MemoryDeviceStateStore();
            store.Written.Add(new DeviceState { Round = 4, Vectors = { [DittoOptions.PersonalModelVector] = far } });
            await new DeviceRoundPipeline(new TrainerPool(), data, 4).RunAsync(a with { Scenario = scenario }, () => store);
            return Kept(store);
        }

        // Execute
        var pulled = await PersonalAfter(Scenario(lambda: 1000, steps: 20, learningRate: 0.001));
        var local = await PersonalAfter(Scenario(lambda: 0.001, steps: 20, learningRate: 0.001));

        // Assert
        Assert.True(distance > 0.5, $"the kept model starts only {distance} from the global model");
        Assert.True(MaxAbsDiff(pulled, w) < 1e-2 * distance, $"λ = 1000: {MaxAbsDiff(pulled, w)} from the global model (started {distance})");
        Assert.True(MaxAbsDiff(local, w) > 0.9 * distance, $"λ = 0.001: {MaxAbsDiff(local, w)} from the global model (started {distance})");
    }

    [Theory]
    [InlineData("kind: ditto\n  local_steps: 0", "personalization.local_steps", "set local_steps to at least 1")]
    [InlineData("kind: ditto\n  local_steps: 5\n  lambda: 40", "personalization.lambda", "must stay below 2 with optimizer sgd, or the personal models diverge")]
    [InlineData("kind: ditto\n  local_steps: 5\n  lambda: -1", "personalization.lambda", "at least 0")]
    [InlineData("local_steps: 5\n  lambda: 0.5", "personalization.lambda", "personalization 'finetune' has no option 'lambda' (it belongs to ditto)")]
    public void Bad_personalization_values_are_reported_at_their_key(string section, string key, string message)
    {
        // Prepare: learning rate 0.1, so λ = 40 gives η·λ = 4.
        string yaml = $"training:\n  learning_rate: 0.1\nevaluation:\n  per_device: true\npersonalization:\n  {section}\n";
        int line = 6 + Array.FindIndex(section.Split('\n'), l => l.TrimStart().StartsWith(key.Split('.')[^1] + ":", StringComparison.Ordinal));

        // Execute
        var result = ScenarioLoader.Parse(yaml, "ditto.yaml", Directory.GetCurrentDirectory());

        // Assert
        var error = Assert.Single(result.Errors);
        Assert.Contains(message, error.Message);
        Assert.Equal(line, error.Line);
    }

    [Fact]
    public void Ditto_without_per_device_evaluation_is_refused_and_the_fine_tuning_default_keeps_its_meaning()
    {
        var refused = ScenarioLoader.Parse("personalization:\n  kind: ditto\n  local_steps: 5\n", "ditto.yaml", Directory.GetCurrentDirectory());
        var finetune = ScenarioLoader.Parse("evaluation:\n  per_device: true\npersonalization:\n  local_steps: 5\n", "tune.yaml", Directory.GetCurrentDirectory());

        Assert.Contains("set evaluation.per_device: true as well", Assert.Single(refused.Errors).Message);
        Assert.True(finetune.Succeeded, string.Join("\n", finetune.Errors));
        Assert.IsType<FineTuneOptions>(finetune.Spec!.Personalization);
        Assert.Null(finetune.Spec.Personalization.KeptModelTraining(ScenarioComposition.Training(finetune.Spec)));
    }

    private static double MaxAbsDiff(float[] a, float[] b) => a.Zip(b, (x, y) => Math.Abs((double)x - y)).Max();

    /// <summary>The real batched trainer, one job at a time, recording what it was asked.</summary>
    private sealed class TrainerPool : IComputePool
    {
        public List<TrainingJob> Jobs { get; } = [];

        public Task<TrainingResult> TrainAsync(TrainingJob job, CancellationToken cancellationToken = default)
        {
            lock (Jobs) Jobs.Add(job);
            return Task.FromResult(BatchedTrainer.Train([job], torch.CPU)[0]);
        }

        public Task<EvaluationResult> EvaluateAsync(EvaluationJob job, CancellationToken cancellationToken = default) => throw new NotSupportedException();

        public Task<ExampleOutputs> EvaluateExamplesAsync(ExampleOutputsJob job, CancellationToken cancellationToken = default) => throw new NotSupportedException();

        public string DeviceName => "cpu";

        public PoolMetrics Snapshot() => throw new NotSupportedException();
    }
}
