using FedSim.Attacks.Poisoning;
using FedSim.Composition;
using FedSim.Models;
using FedSim.Privacy;
using FedSim.Rounds;
using FedSim.Scenario;
using FedSim.Strategies;
using FedSim.Strategies.Aggregators;
using FedSim.Strategies.Algorithms;
using FedSim.Training;

namespace FedSim.Tests.Rounds;

/// <summary>The stages after aggregation, the pipeline that runs them, and the setup that chooses them from a scenario.</summary>
public sealed class RoundStagesTests
{
    private static RoundResults Round(int number, IReadOnlyList<DeviceResult> results, IReadOnlyList<DeviceFailure>? failures = null,
        ServerState? state = null) =>
        new(new RoundContext(number, 1, 100, results.Count, number - 1, state ?? new ServerState()), [1f, 1f], results, failures ?? []);

    private static readonly DeviceResult[] TwoUpdates = [new(1, [1f, 0f], Examples: 30), new(2, [0f, 2f], Examples: 10)];

    [Fact]
    public async Task The_pipeline_runs_its_stages_in_order_and_stops_at_the_first_that_ends_the_run()
    {
        // Prepare
        var ran = new List<string>();
        var pipeline = new RoundPipeline([new Recording("a", ran), new Recording("stop", ran, stop: true), new Recording("never", ran)]);
        var round = Round(1, []);

        // Execute
        await pipeline.RunAsync(round, CancellationToken.None);

        // Assert
        Assert.Equal(["a", "stop"], ran);
        Assert.Equal("stop asked", round.StopReason);
    }

    [Fact]
    public async Task Aggregation_and_the_server_step_move_the_model_by_the_example_weighted_mean()
    {
        // Prepare: FedAvg with server learning rate 1.
        var algorithm = ScenarioComposition.Algorithm(new ScenarioSpec(), 0);
        var round = Round(1, TwoUpdates);

        // Execute
        await new AggregationStage(algorithm).RunAsync(round, CancellationToken.None);
        await new ServerStepStage(algorithm).RunAsync(round, CancellationToken.None);

        // Assert: (30·(1, 0) + 10·(0, 2)) / 40 = (0.75, 0.5), added to (1, 1).
        Assert.Equal([0.75, 0.5], round.Update!);
        Assert.Equal([1L, 2], round.Used);
        Assert.Equal([1.75f, 1.5f], round.NextWeights!);
        Assert.Contains(round.Metrics, m => m is { Name: "used", Value: 2 });
    }

    [Fact]
    public async Task Without_a_usable_update_the_model_stays()
    {
        var algorithm = ScenarioComposition.Algorithm(new ScenarioSpec(), 0);
        var round = Round(1, []);

        await new AggregationStage(algorithm).RunAsync(round, CancellationToken.None);
        await new ServerStepStage(algorithm).RunAsync(round, CancellationToken.None);

        Assert.Null(round.Update);
        Assert.Same(round.GlobalWeights, round.NextWeights);
    }

    [Theory]
    [InlineData(3, true)]
    [InlineData(4, false)]
    [InlineData(9, true)]
    [InlineData(10, true)] // the last round is always evaluated
    public async Task Evaluation_runs_every_few_rounds_and_at_the_last(int number, bool evaluated)
    {
        var round = Round(number, []);
        round.NextWeights = [0f];

        await new EvaluationStage(_ => Task.FromResult(new ModelScore(0.5, 1)), every: 3, lastRound: 10).RunAsync(round, CancellationToken.None);

        Assert.Equal(evaluated, round.Evaluation is not null);
    }

    [Fact]
    public async Task A_run_that_ends_early_evaluates_its_last_model()
    {
        var round = Round(4, []);
        round.NextWeights = [0f];
        round.FinishReason = "privacy budget spent";

        await new EvaluationStage(_ => Task.FromResult(new ModelScore(0.5, 1)), every: 3, lastRound: 10).RunAsync(round, CancellationToken.None);

        Assert.NotNull(round.Evaluation);
    }

    [Fact]
    public async Task The_progress_guard_stops_a_run_after_rounds_without_a_used_update_and_forgets_after_one()
    {
        // Prepare: the streak lives in the server state, as it does across a resume.
        var state = new ServerState();
        var guard = new ProgressGuardStage(limit: 2);
        DeviceFailure[] failures = [new(1, 1, "update has a non-finite value at index 3"), new(2, 1, "update has a non-finite value at index 9")];

        // Execute
        var first = Round(1, [], failures, state);
        await guard.RunAsync(first, CancellationToken.None);
        var recovered = Round(2, TwoUpdates, state: state);
        recovered.Used = [1];
        await guard.RunAsync(recovered, CancellationToken.None);
        var again = Round(3, [], failures, state);
        await guard.RunAsync(again, CancellationToken.None);
        var stuck = Round(4, [], failures, state);
        await guard.RunAsync(stuck, CancellationToken.None);

        // Assert: the two reasons differ only in the index, so they count as one.
        Assert.Null(first.StopReason);
        Assert.Null(again.StopReason);
        Assert.NotNull(stuck.StopReason);
        Assert.Contains("no update was accepted for 2 rounds in a row (round 4: 2 x update has a non-finite value)", stuck.StopReason);
    }

    [Fact]
    public async Task Byzantine_metrics_count_the_malicious_updates_that_arrived_and_were_used()
    {
        // Prepare: a roster with half of 10 devices malicious; which ones is the seed's choice.
        var roster = new ByzantineRoster(1, 10, 0.5);
        long[] malicious = Enumerable.Range(0, 10).Select(d => (long)d).Where(roster.IsMalicious).ToArray();
        long honest = Enumerable.Range(0, 10).First(d => !roster.IsMalicious(d));
        var round = Round(1, [new(malicious[0], [0f], 1), new(malicious[1], [0f], 1), new(honest, [0f], 1)]);
        round.Used = [malicious[0], honest];

        // Execute
        await new ByzantineMetricsStage(roster).RunAsync(round, CancellationToken.None);

        // Assert
        Assert.Contains(round.Metrics, m => m is { Name: "byzantine_participants", Value: 2 });
        Assert.Contains(round.Metrics, m => m is { Name: "byzantine_used", Value: 1 });
    }

    public static TheoryData<string, string[]> Setups => new()
    {
        { "fedavg", ["AggregationStage", "ServerStepStage", "EvaluationStage", "ProgressGuardStage"] },
        { "fltrust", ["ServerRootUpdateStage", "AggregationStage", "ServerStepStage", "EvaluationStage", "ProgressGuardStage"] },
        { "central-dp", ["CentralDpAggregationStage", "ServerStepStage", "PrivacyAccountingStage", "EvaluationStage", "ProgressGuardStage"] },
        { "secure-aggregation", ["SecureMeanStage", "ServerStepStage", "EvaluationStage", "ProgressGuardStage"] },
        { "backdoor", ["AggregationStage", "ServerStepStage", "ByzantineMetricsStage", "EvaluationStage", "BackdoorStage", "ProgressGuardStage"] },
    };

    [Theory]
    [MemberData(nameof(Setups))]
    public void The_setup_chooses_the_stages_the_scenario_needs_in_their_order(string name, string[] stages)
    {
        // Prepare
        var scenario = new ScenarioSpec { Devices = 20, Dataset = { Samples = 2000 }, Model = { Kind = ModelKinds.Logistic } };
        switch (name)
        {
            case "fltrust": scenario.Strategy.Aggregator = new FLTrustOptions { RootSamples = 10 }; break;
            case "central-dp":
                scenario.Training.Sampling = new PoissonSamplingOptions { Rate = 0.5 };
                scenario.Privacy.Central = new CentralDpSpec();
                break;
            case "secure-aggregation": scenario.Privacy.SecureAggregation = new SecureAggregationSpec(); break;
            case "backdoor": scenario.Byzantine = new BackdoorOptions { Fraction = 0.2 }; break;
        }
        var data = ExperimentDataCache.Build(scenario);

        // Execute
        var setup = ExperimentSetup.Build(scenario, data, (_, _) => Task.FromResult(new ModelScore(0, 0)),
            (_, _) => Task.FromResult(new ModelScore(0, 0)), (w, _) => Task.FromResult(w));

        // Assert
        Assert.Equal(stages, setup.Pipeline.Stages.Select(s => s.GetType().Name));
    }

    [Fact]
    public void Under_local_DP_the_setup_plan_carries_DP_SGD_after_the_algorithms_modifiers()
    {
        var scenario = new ScenarioSpec
        {
            Devices = 10,
            Dataset = { Samples = 600 },
            Model = { Kind = ModelKinds.Logistic },
            Strategy = new FedProxOptions { Mu = 0.01 },
            Privacy = { Local = new LocalDpSpec { ClipNorm = 2, NoiseMultiplier = 1.5 } },
        };

        var setup = ExperimentSetup.Build(scenario, ExperimentDataCache.Build(scenario), (_, _) => Task.FromResult(new ModelScore(0, 0)),
            (_, _) => Task.FromResult(new ModelScore(0, 0)), (w, _) => Task.FromResult(w));

        Assert.Collection(setup.Plan.AllModifiers, m => Assert.IsType<ProximalTerm>(m), m => Assert.Equal(new DpSgd(2, 1.5), m));
    }

    private sealed class Recording(string name, List<string> ran, bool stop = false) : IRoundStage
    {
        public Task RunAsync(RoundResults round, CancellationToken cancellationToken)
        {
            ran.Add(name);
            if (stop) round.StopReason = "stop asked";
            return Task.CompletedTask;
        }
    }
}
