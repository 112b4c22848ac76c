using FedSim.Attacks.Poisoning;
using FedSim.Composition;
using FedSim.Compute;
using FedSim.Devices;
using FedSim.GrainInterfaces;
using FedSim.Models;
using FedSim.Privacy;
using FedSim.Privacy.SecureAggregation;
using FedSim.Rounds;
using FedSim.Scenario;
using FedSim.Strategies;
using FedSim.Strategies.Algorithms;

namespace FedSim.Tests.Devices;

/// <summary>A device's round as a pure pipeline: each step, and the whole, without a silo.</summary>
public sealed class DeviceRoundPipelineTests
{
    private static ScenarioSpec Scenario(Action<ScenarioSpec>? configure = null)
    {
        var scenario = new ScenarioSpec { Devices = 10, Dataset = { Samples = 600 }, Model = { Kind = ModelKinds.Logistic } };
        configure?.Invoke(scenario);
        return scenario;
    }

    private static (RoundAssignment Assignment, ExperimentData Data) Assignment(ScenarioSpec scenario, ByzantineRole? byzantine = null,
        SecureAggregationRole? secure = null, int round = 3)
    {
        var data = ExperimentDataCache.Build(scenario);
        var weights = ModelLayout.Initialize(data.Model, 1);
        var plan = ScenarioComposition.Training(scenario).BasePlan();
        var assignment = new RoundAssignment("exp", round, TrainingSeed: 7, data.Model, plan, new GlobalModel(new GlobalModelId("exp", round), weights),
            scenario, Byzantine: byzantine, SecureAggregation: secure);
        return (assignment, data);
    }

    [Fact]
    public void A_device_declines_a_round_its_local_budget_cannot_afford_and_accepts_one_it_can()
    {
        // Prepare: DP-SGD with a budget of ε = 10 at δ = 1e-5.
        var scenario = Scenario(s => { s.Privacy.Local = new LocalDpSpec { NoiseMultiplier = 1.0 }; s.Privacy.EpsilonBudget = 10; });
        var (a, data) = Assignment(scenario);
        var round = DeviceRound.For(a, data, device: 2);

        // Execute
        string? fresh = DeviceSteps.BudgetRefusal(round, stepsBefore: 0);
        string? spent = DeviceSteps.BudgetRefusal(round, stepsBefore: 100_000);

        // Assert
        Assert.Null(fresh);
        Assert.NotNull(spent);
        Assert.StartsWith(PrivacyAccountingStage.BudgetDeclined, spent);
        Assert.Contains("its budget is 10)", spent);
    }

    [Fact]
    public void The_local_accountant_adds_the_rounds_steps_to_the_stored_count_and_keeps_the_objectives_vectors()
    {
        // Prepare
        var scenario = Scenario(s => s.Privacy.Local = new LocalDpSpec { NoiseMultiplier = 1.1 });
        var (a, data) = Assignment(scenario);
        var round = DeviceRound.For(a, data, device: 1);
        var before = new DeviceState { Round = 1, Vectors = { ["c_i"] = [1f, 2f] }, Scalars = { [LocalDpAccounting.StepsKey] = 40 } };

        // Execute
        var (next, epsilon) = DeviceSteps.Account(round, DeviceSteps.LocalDpStepsIn(before), steps: 6, objectiveNext: null, before);

        // Assert: ε is the accountant's after all 46 steps.
        Assert.NotNull(next);
        Assert.Equal(3, next.Round);
        Assert.Equal(46, next.Scalars[LocalDpAccounting.StepsKey]);
        Assert.Equal([1f, 2f], next.Vectors["c_i"]);
        Assert.Equal(round.LocalDp!.EpsilonAfter(46), epsilon);
    }

    [Fact]
    public void Without_local_DP_the_accountant_passes_the_objectives_state_through()
    {
        var (a, data) = Assignment(Scenario());
        var round = DeviceRound.For(a, data, device: 1);
        var objectiveNext = new DeviceState { Round = 3 };

        var (next, epsilon) = DeviceSteps.Account(round, 0, 5, objectiveNext, null);

        Assert.Same(objectiveNext, next);
        Assert.Null(epsilon);
    }

    [Fact]
    public void A_lone_attacker_crafts_its_update_while_honest_and_colluding_devices_send_theirs_unchanged()
    {
        // Prepare: the same trained update on an honest, a sign-flipping and a colluding (ALIE) device.
        var role = new ByzantineRole(CohortSize: 5, Members: 1, CraftSeed: 9);
        var update = new DeviceUpdate(1, 3, [1f, -2f], 10, 2, 0.5f, 0, 0, 0);
        var (honest, data) = Assignment(Scenario());
        var (flipping, _) = Assignment(Scenario(s => s.Byzantine = new SignFlipOptions { Fraction = 0.2 }), role);
        var (colluding, _) = Assignment(Scenario(s => s.Byzantine = new LittleIsEnoughOptions { Fraction = 0.2 }), role);

        // Execute
        var fromHonest = DeviceSteps.CraftAlone(DeviceRound.For(honest, data, 1), update);
        var fromFlipping = DeviceSteps.CraftAlone(DeviceRound.For(flipping, data, 1), update);
        var fromColluding = DeviceSteps.CraftAlone(DeviceRound.For(colluding, data, 1), update);

        // Assert
        Assert.Same(update, fromHonest);
        Assert.NotEqual(update.Delta, fromFlipping.Delta);
        Assert.Same(update, fromColluding);
        Assert.Equal(DeliveryRoute.Plain, DeviceSteps.RouteOf(flipping));
        Assert.Equal(DeliveryRoute.Coalition, DeviceSteps.RouteOf(colluding));
        Assert.Equal(DeliveryRoute.Plain, DeviceSteps.RouteOf(honest));
    }

    [Fact]
    public async Task The_pipeline_trains_stores_SCAFFOLDs_state_and_reports_traffic()
    {
        // Prepare: SCAFFOLD keeps c_i on the device; the pool answers with a fixed delta.
        var scenario = Scenario(s => s.Strategy = new ScaffoldOptions());
        var (a, data) = Assignment(scenario);
        int parameters = a.Global.Weights.Length;
        a = a with { Broadcast = new Dictionary<string, float[]> { ["scaffold.c"] = new float[parameters] } };
        var pool = new FixedResultPool(new TrainingResult(Enumerable.Repeat(0.5f, parameters).ToArray(), 60, 6, 0.25f));
        var store = new MemoryDeviceStateStore();
        int trained = 0;

        // Execute
        var outcome = await new DeviceRoundPipeline(pool, data, 4).RunAsync(a, () => store, () => trained++);

        // Assert
        var update = Assert.IsType<DeviceRoundOutcome.Trained>(outcome).Update;
        Assert.Equal((4L, 3, 60, 6, 1), (update.DeviceId, update.Round, update.Examples, update.Steps, trained));
        Assert.Equal(4, Assert.Single(pool.Jobs).DeviceId);
        Assert.Equal(2L * parameters * sizeof(float), update.BytesDown); // the model and c
        Assert.Equal(2L * parameters * sizeof(float), update.BytesUp); // the delta and Δc
        Assert.Equal(3, Assert.Single(store.Written).Round);
    }

    [Fact]
    public async Task A_declined_round_never_reaches_the_pool()
    {
        var scenario = Scenario(s => { s.Privacy.Local = new LocalDpSpec { NoiseMultiplier = 0.5 }; s.Privacy.EpsilonBudget = 0.01; });
        var (a, data) = Assignment(scenario);
        var pool = new FixedResultPool(new TrainingResult([], 0, 0, 0));

        var outcome = await new DeviceRoundPipeline(pool, data, 4).RunAsync(a, () => new MemoryDeviceStateStore());

        Assert.IsType<DeviceRoundOutcome.Declined>(outcome);
        Assert.Empty(pool.Jobs);
    }

    private sealed class FixedResultPool(TrainingResult result) : IComputePool
    {
        public List<TrainingJob> Jobs { get; } = [];

        public Task<TrainingResult> TrainAsync(TrainingJob job, CancellationToken cancellationToken = default)
        {
            Jobs.Add(job);
            return Task.FromResult(result);
        }

        public Task<EvaluationResult> EvaluateAsync(EvaluationJob job, CancellationToken cancellationToken = default) => throw new NotSupportedException();

        public Task<ExampleOutputs> EvaluateExamplesAsync(ExampleOutputsJob job, CancellationToken cancellationToken = default) => throw new NotSupportedException();

        public string DeviceName => "fake";

        public PoolMetrics Snapshot() => throw new NotSupportedException();
    }
}
