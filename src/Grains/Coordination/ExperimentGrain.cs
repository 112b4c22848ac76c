using System.Diagnostics;
using FedSim.Compute;
using FedSim.Contracts;
using FedSim.Data;
using FedSim.Determinism;
using FedSim.Devices;
using FedSim.Strategies;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace FedSim.Coordination;

/// <summary>Coordinator settings that are about the simulator, not the experiment.</summary>
public sealed class CoordinatorOptions
{
    /// <summary>Real time after which sampled devices that have not answered count as failed (a silo may have died).</summary>
    public TimeSpan RoundTimeout { get; set; } = TimeSpan.FromMinutes(30);
}

/// <summary>
/// Runs one experiment as a small state machine: a timer starts each round (sample, broadcast),
/// device callbacks deliver updates, and the last update (or the round timeout) completes the
/// round (aggregate, evaluate, checkpoint, publish). No call waits for a whole round.
/// </summary>
public sealed partial class ExperimentGrain(
    [PersistentState("experiment", FedSimStorage.Checkpoints)] IPersistentState<ExperimentCheckpoint> checkpoint,
    IComputePool pool,
    ExperimentDataCache data,
    IOptions<CoordinatorOptions> options,
    SiloMetrics metrics,
    ILogger<ExperimentGrain> logger) : Grain, IExperimentGrain
{
    private readonly HashSet<IExperimentObserver> _observers = [];
    private InFlightRound? _round;
    private IAggregationStrategy? _strategy;
    private IGrainTimer? _nextRoundTimer;

    private ExperimentCheckpoint State => checkpoint.State;

    private ScenarioSpec Scenario => State.Scenario ?? throw new InvalidOperationException("experiment not started");

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        // A checkpoint of an unfinished run means this activation replaces one that was lost: resume.
        if (State.Scenario is not null && !State.Finished)
        {
            metrics.ExperimentResumed();
            ScheduleNextRound();
        }
        return Task.CompletedTask;
    }

    public async Task StartAsync(ScenarioSpec scenario)
    {
        if (State.Scenario is not null)
        {
            if (!State.Finished && _round is null && _nextRoundTimer is null) ScheduleNextRound();
            return; // already started (or finished): starting again resumes, never restarts
        }
        var experimentData = data.Get(scenario);
        State.Scenario = scenario;
        State.Weights = ModelLayout.Initialize(experimentData.Model, Seeds.Derive(scenario.Seed, Seeds.None, Seeds.None, SeedPurpose.ModelInit));
        await checkpoint.WriteStateAsync();
        ScheduleNextRound();
    }

    public async Task SubmitUpdateAsync(ClientUpdate update)
    {
        var round = _round;
        if (round is null || update.Round != round.Number || !round.Pending.Remove(update.DeviceId))
            return; // stale: from a replayed or timed-out round
        if (FirstNonFinite(update.Delta) is int bad)
            round.Failures.Add(new ClientFailure(update.DeviceId, $"update has a non-finite value at index {bad}; rejected"));
        else
            round.Updates.Add(update);
        if (round.Pending.Count == 0) await CompleteRoundAsync(round);
    }

    public async Task ReportFailureAsync(ClientFailureReport failure)
    {
        var round = _round;
        if (round is null || failure.Round != round.Number || !round.Pending.Remove(failure.DeviceId)) return;
        round.Failures.Add(new ClientFailure(failure.DeviceId, failure.Reason));
        if (round.Pending.Count == 0) await CompleteRoundAsync(round);
    }

    public Task<ExperimentStatus> GetStatusAsync() => Task.FromResult(new ExperimentStatus(
        this.GetPrimaryKeyString(), State.CompletedRounds, State.Scenario?.Training.Rounds ?? 0, State.Finished, State.Error,
        State.Reports.ToArray()));

    public Task<GlobalModel> GetGlobalModelAsync()
        => Task.FromResult(new GlobalModel(State.CompletedRounds, State.Weights ?? []));

    public Task SubscribeAsync(IExperimentObserver observer)
    {
        _observers.Add(observer);
        return Task.CompletedTask;
    }

    public Task UnsubscribeAsync(IExperimentObserver observer)
    {
        _observers.Remove(observer);
        return Task.CompletedTask;
    }

    private void ScheduleNextRound()
    {
        _nextRoundTimer?.Dispose();
        _nextRoundTimer = this.RegisterGrainTimer(StartRoundAsync,
            new GrainTimerCreationOptions { DueTime = TimeSpan.Zero, Period = Timeout.InfiniteTimeSpan, KeepAlive = true });
    }

    private async Task StartRoundAsync(CancellationToken cancellationToken)
    {
        _nextRoundTimer?.Dispose();
        _nextRoundTimer = null;
        if (_round is not null || State.Finished) return;
        try
        {
            var scenario = Scenario;
            int number = State.CompletedRounds + 1;
            var experimentData = data.Get(scenario);
            _strategy ??= CreateStrategy();
            long[] cohort = CohortSampler.Sample(scenario.Devices, scenario.Training.DevicesPerRound, scenario.Seed, number);
            var round = new InFlightRound(number, cohort, Stopwatch.StartNew());
            _round = round;
            round.Watchdog = this.RegisterGrainTimer(TimeOutRoundAsync, number,
                new GrainTimerCreationOptions { DueTime = options.Value.RoundTimeout, Period = Timeout.InfiniteTimeSpan, KeepAlive = true });

            var global = new GlobalModel(number, State.Weights!);
            var plan = PlanFor(scenario.Training);
            string id = this.GetPrimaryKeyString();
            await Task.WhenAll(cohort.Select(device => GrainFactory.GetGrain<IDeviceGrain>(new DeviceKey(id, device).ToString())
                .BeginTrainingAsync(new RoundAssignment(id, number,
                    Seeds.Derive(scenario.Seed, number, device, SeedPurpose.LocalTraining),
                    experimentData.Model, plan, global, scenario))));
        }
        catch (Exception ex)
        {
            await FailAsync(ex);
        }
    }

    private async Task TimeOutRoundAsync(int number, CancellationToken cancellationToken)
    {
        var round = _round;
        if (round is null || round.Number != number) return;
        foreach (long device in round.Pending)
            round.Failures.Add(new ClientFailure(device, $"no answer within {options.Value.RoundTimeout}"));
        round.Pending.Clear();
        await CompleteRoundAsync(round);
    }

    private async Task CompleteRoundAsync(InFlightRound round)
    {
        round.Watchdog?.Dispose();
        try
        {
            var scenario = Scenario;
            var updates = round.Updates.OrderBy(u => u.DeviceId).ToList(); // arrival order must not matter
            var results = updates.Select(u => new ClientResult(u.DeviceId, u.Delta, u.Examples)).ToList();
            var failures = round.Failures.OrderBy(f => f.DeviceId).ToList();
            var next = _strategy!.Aggregate(new AggregationInput(round.Number, State.Weights!, results, failures));

            bool evaluate = round.Number % scenario.Evaluation.Every == 0 || round.Number == scenario.Training.Rounds;
            EvaluationResult? eval = evaluate ? await EvaluateAsync(next) : null;

            double simulated = updates.Count == 0 ? 0 : updates.Max(u => u.SimulatedSeconds);
            long examples = updates.Sum(u => (long)u.Examples);
            double trainLoss = examples == 0 ? double.NaN : updates.Sum(u => (double)u.MeanTrainLoss * u.Examples) / examples;
            var report = new RoundReport(round.Number, eval?.Accuracy, eval?.Loss, updates.Count, failures.Count, trainLoss, examples,
                BytesSent: round.Cohort.Length * (long)next.Length * sizeof(float),
                BytesReceived: updates.Sum(u => u.BytesUp),
                SimulatedRoundSeconds: simulated,
                SimulatedTotalSeconds: State.SimulatedTotalSeconds + simulated,
                WallSeconds: round.Clock.Elapsed.TotalSeconds);

            State.Weights = next;
            State.CompletedRounds = round.Number;
            State.SimulatedTotalSeconds = report.SimulatedTotalSeconds;
            State.StrategyState = _strategy.ExportState();
            State.Reports.Add(report);
            State.Finished = round.Number >= scenario.Training.Rounds;
            await checkpoint.WriteStateAsync();
            _round = null;

            Notify(o => o.OnRoundCompleted(report));
            if (State.Finished) Notify(o => o.OnExperimentFinished(StatusNow()));
            else ScheduleNextRound();
        }
        catch (Exception ex)
        {
            await FailAsync(ex);
        }
    }

    private async Task<EvaluationResult> EvaluateAsync(float[] weights)
    {
        var scenario = Scenario;
        var experimentData = data.Get(scenario);
        var test = experimentData.Split.Test;
        int[]? indices = null;
        if (scenario.Evaluation.MaxSamples > 0 && scenario.Evaluation.MaxSamples < test.Count)
        {
            var rng = new DeterministicRandom(Seeds.Derive(scenario.Seed, Seeds.None, Seeds.None, SeedPurpose.Evaluation));
            indices = rng.Permutation(test.Count)[..scenario.Evaluation.MaxSamples];
            Array.Sort(indices);
        }
        return await pool.EvaluateAsync(new EvaluationJob(experimentData.Model, weights, test, indices));
    }

    private async Task FailAsync(Exception ex)
    {
        LogExperimentFailed(logger, ex, this.GetPrimaryKeyString());
        _round?.Watchdog?.Dispose();
        _round = null;
        State.Error = ex.Message;
        State.Finished = true;
        await checkpoint.WriteStateAsync();
        Notify(o => o.OnExperimentFinished(StatusNow()));
    }

    private ExperimentStatus StatusNow() => new(this.GetPrimaryKeyString(), State.CompletedRounds,
        State.Scenario?.Training.Rounds ?? 0, State.Finished, State.Error, State.Reports.ToArray());

    private IAggregationStrategy CreateStrategy()
    {
        var strategy = StrategyFactory.Create(Scenario.Strategy);
        strategy.ImportState(State.StrategyState);
        return strategy;
    }

    public static TrainingPlan PlanFor(TrainingSpec t)
        => new(t.Optimizer, (float)t.LearningRate, (float)t.Momentum, t.BatchSize, t.LocalEpochs);

    private void Notify(Action<IExperimentObserver> send)
    {
        foreach (var observer in _observers.ToArray())
        {
            try { send(observer); }
            catch (Exception) { _observers.Remove(observer); } // a gone observer must not stop the experiment
        }
    }

    private static int? FirstNonFinite(float[] values)
    {
        for (int i = 0; i < values.Length; i++)
            if (!float.IsFinite(values[i])) return i;
        return null;
    }

    private sealed class InFlightRound(int number, long[] cohort, Stopwatch clock)
    {
        public int Number { get; } = number;
        public long[] Cohort { get; } = cohort;
        public Stopwatch Clock { get; } = clock;
        public HashSet<long> Pending { get; } = [.. cohort];
        public List<ClientUpdate> Updates { get; } = [];
        public List<ClientFailure> Failures { get; } = [];
        public IGrainTimer? Watchdog { get; set; }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Experiment {Experiment} failed")]
    private static partial void LogExperimentFailed(ILogger logger, Exception ex, string experiment);
}

/// <summary>Names of the Orleans storage providers FedSim uses.</summary>
public static class FedSimStorage
{
    public const string Checkpoints = "fedsim-checkpoints";
}
