using System.Numerics.Tensors;
using System.Diagnostics;
using FedSim.Compute;
using FedSim.Scenario;
using FedSim.GrainInterfaces;
using FedSim.Data;
using FedSim.Determinism;
using FedSim.Devices;
using FedSim.Rounds;
using FedSim.Strategies;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Storage;
using FedSim.Models;
using FedSim.Composition;
using FedSim.Persistence;
using FedSim.Telemetry;

namespace FedSim.Coordination;

/// <summary>Coordinator settings that are about the simulator, not the experiment.</summary>
public sealed class CoordinatorOptions
{
    /// <summary>Real time after which sampled devices that have not answered count as failed (a silo may have died).</summary>
    public TimeSpan RoundTimeout { get; set; } = TimeSpan.FromMinutes(30);

    /// <summary>
    /// Period of the reminder that re-activates an unfinished experiment whose coordinator's silo died (no client needs to
    /// be watching); null registers none. Reminders need a reminder service on the silo.
    /// </summary>
    public TimeSpan? RevivalPeriod { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>How often a round in flight checks whether a silo left the cluster (its devices' work is then sent again).</summary>
    public TimeSpan MembershipCheckPeriod { get; set; } = TimeSpan.FromSeconds(1);
}

/// <summary>
/// Runs one experiment as a small state machine around pure parts: <see cref="RoundPlanner"/> decides each round
/// in simulated time, device callbacks deliver updates, and a timer (never a device's call) runs the
/// <see cref="RoundPipeline"/> — aggregation, server step, evaluation — then checkpoints and publishes. Status
/// queries interleave with a completing round, so a slow Krum or FEMNIST round never times a caller out.
/// <para>
/// Crashes: the per-round checkpoint is the commit point. A new activation (after its silo died, found by a client's
/// call or by the revival reminder) resumes from it and replays the unfinished round with the same seeds. When a silo
/// dies mid-round, the devices that have not answered are sent their assignment again (a device that is still training
/// ignores the repeat; one whose activation died trains again, to the same update), so a lost silo costs time, never
/// a device's update: the metrics equal an uninterrupted run's.
/// </para>
/// </summary>
public sealed partial class ExperimentGrain(
    [PersistentState("experiment", FedSimStorage.Checkpoints)] IPersistentState<ExperimentCheckpoint> checkpoint,
    IComputePool pool,
    ExperimentDataCache data,
    IOptions<CoordinatorOptions> options,
    SiloMetrics metrics,
    IClusterMembershipService membership,
    ILogger<ExperimentGrain> logger) : Grain, IExperimentGrain, IRemindable
{
    private const string RevivalReminder = "revive";

    private readonly HashSet<IExperimentObserver> _observers = [];
    private InFlightRound? _round;
    private ExperimentSetup? _setup;
    private IGrainTimer? _nextRoundTimer;
    private bool _suspended;

    private ExperimentCheckpoint State => checkpoint.State;

    private ScenarioSpec Scenario => State.Scenario ?? throw new InvalidOperationException("experiment not started");

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        // A checkpoint of an unfinished run means this activation replaces one that was lost: resume.
        if (State.Scenario is not null && !State.Finished)
        {
            metrics.ExperimentResumed();
            LogResumed(logger, this.GetPrimaryKeyString(), State.CompletedRounds + 1, SiloName);
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
        // A pretrained model (model.init, resolved to an absolute path readable by every silo, as datasets are) or fresh weights.
        State.Weights = scenario.Model.Init is { } pretrained
            ? ModelFile.Read(pretrained, experimentData.Model)
            : ModelLayout.Initialize(experimentData.Model, Seeds.Derive(scenario.Seed, Seeds.None, Seeds.None, SeedPurpose.ModelInit));
        await WriteCheckpointAsync("before the first round");
        LogStarted(logger, this.GetPrimaryKeyString(), SiloName);
        await GrainFactory.GetGrain<IExperimentRegistryGrain>(0)
            .AddAsync(new ExperimentEntry(this.GetPrimaryKeyString(), scenario.Name, scenario.Seed, scenario.Training.Rounds, DateTime.UtcNow));
        await KeepRevivingAsync();
        ScheduleNextRound();
    }

    /// <summary>While the experiment is unfinished, a reminder re-activates it wherever a silo lives.</summary>
    public Task ReceiveReminder(string reminderName, TickStatus status)
    {
        if (reminderName != RevivalReminder) return Task.CompletedTask;
        if (State.Finished || State.Scenario is null) return StopRevivingAsync();
        // Activation already resumed the run; this only restarts a run whose round chain stopped.
        if (!_suspended && _round is null && _nextRoundTimer is null) ScheduleNextRound();
        return Task.CompletedTask;
    }

    public async Task CancelAsync(string reason)
    {
        if (State.Scenario is null || State.Finished) return;
        await SuspendAsync();
        State.Finished = true;
        State.Cancelled = true;
        State.Error = reason;
        await checkpoint.WriteStateAsync();
        await StopRevivingAsync();
        LogCancelled(logger, this.GetPrimaryKeyString(), reason);
        Notify(o => o.OnExperimentFinished(StatusNow()));
    }

    public Task SuspendAsync()
    {
        _suspended = true;
        _nextRoundTimer?.Dispose();
        _round?.Watchdog?.Dispose();
        _round?.MembershipWatch?.Dispose();
        _round?.Completion?.Dispose();
        _round = null;
        return Task.CompletedTask;
    }

    public Task SubmitUpdateAsync(DeviceUpdate update)
    {
        var round = _round;
        if (round is null || round.Completing || update.Round != round.Number || !round.Pending.Contains(update.DeviceId))
            return Task.CompletedTask; // stale: from a replayed or timed-out round
        if (round.Pooled is { } pooled)
        {
            // Done once its update is in the round's total: a cohort's sum may arrive before or after its members' answers.
            foreach (long done in pooled.Receive(update)) round.Pending.Remove(done);
            if (round.Pending.Count == 0) ScheduleCompletion(round);
            return Task.CompletedTask;
        }
        round.Pending.Remove(update.DeviceId);
        if (FirstNonFinite(update.Delta) is int bad)
            round.Failures.Add(new DeviceFailure(update.DeviceId, round.Number, $"update has a non-finite value at index {bad}; rejected"));
        else if (update.Extras?.FirstOrDefault(e => FirstNonFinite(e.Value) is not null) is { Key: { } name })
            round.Failures.Add(new DeviceFailure(update.DeviceId, round.Number, $"update's {name} has a non-finite value; rejected"));
        else
            round.Updates.Add(update);
        if (round.Pending.Count == 0) ScheduleCompletion(round);
        return Task.CompletedTask;
    }

    public Task ReportFailureAsync(DeviceFailure failure)
    {
        if (failure.StorageFailed) return FailAsync(new StorageFailedException(failure.Reason));
        var round = _round;
        if (round is null || round.Completing || failure.Round != round.Number || !round.Pending.Remove(failure.DeviceId))
            return Task.CompletedTask;
        round.Failures.Add(new DeviceFailure(failure.DeviceId, round.Number, failure.Reason));
        if (round.Pending.Count == 0) ScheduleCompletion(round);
        return Task.CompletedTask;
    }

    public Task<ExperimentStatus> GetStatusAsync() => Task.FromResult(StatusNow());

    public Task<ExperimentStatus> GetStatusSinceAsync(int reportsSeen) => Task.FromResult(StatusNow(Math.Max(0, reportsSeen)));

    public Task<GlobalModel> GetGlobalModelAsync()
        => Task.FromResult(new GlobalModel(new GlobalModelId(this.GetPrimaryKeyString(), State.CompletedRounds + 1), State.Weights ?? []));

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

    private ExperimentSetup Setup() => _setup ??= ExperimentSetup.Build(Scenario, data.Get(Scenario),
        (weights, indices) => ScoreAsync(weights, null, indices),
        (weights, dataset) => ScoreAsync(weights, dataset, null),
        TrainRootAsync,
        new Attackers.GrainAttackerChannel(GrainFactory, this.GetPrimaryKeyString(), Scenario),
        new DeviceEvaluationCompute(CorrectAsync, FineTuneAsync, KeptModelsAsync),
        pool.DeviceName);

    /// <summary>
    /// Each device's copy of <paramref name="weights"/> after personalization.local_steps steps on its own shard, with
    /// the devices' own plan (enough epochs for the steps; the step cap ends it), all devices in one pool cohort.
    /// </summary>
    private async Task<float[][]> FineTuneAsync(float[] weights, int round, IReadOnlyList<long> devices)
    {
        var experimentData = data.Get(Scenario);
        int steps = Scenario.Personalization.LocalSteps;
        var plan = ScenarioComposition.Training(Scenario).BasePlan() with { LocalEpochs = steps };
        var trained = await Task.WhenAll(devices.Select(device => pool.TrainAsync(new TrainingJob(device, experimentData.Model, plan, weights,
            experimentData.Shard(device), Seeds.Derive(Scenario.Seed, round, device, SeedPurpose.Personalization), MaxSteps: steps))));
        return trained.Select(t => weights.Select((w, i) => w + t.Delta[i]).ToArray()).ToArray();
    }

    /// <summary>
    /// The personal model each device keeps after <paramref name="round"/> (Ditto), asked of the devices themselves: it
    /// is part of their stored state. A device that has never trained has none yet and is given <paramref name="weights"/>.
    /// </summary>
    private async Task<float[][]> KeptModelsAsync(float[] weights, int round, IReadOnlyList<long> devices)
    {
        string id = this.GetPrimaryKeyString();
        var kept = await Task.WhenAll(devices.Select(device =>
            GrainFactory.GetGrain<IDeviceGrain>(new DeviceKey(id, device).ToString()).GetPersonalModelAsync(round)));
        return kept.Select(model => model ?? weights).ToArray();
    }

    /// <summary>Whether the model classifies each row right: one per-example pass through the pool for all devices' rows.</summary>
    private async Task<bool[]> CorrectAsync(float[] weights, Dataset dataset, int[] rows)
    {
        var outputs = await pool.EvaluateExamplesAsync(new ExampleOutputsJob(data.Get(Scenario).Model, [weights], dataset, rows));
        var logits = outputs.Logits[0];
        int classes = outputs.Classes;
        return rows.Select((row, i) => TensorPrimitives.IndexOfMax<float>(logits.AsSpan(i * classes, classes)) == dataset.Labels[row]).ToArray();
    }

    private async Task<ModelScore> ScoreAsync(float[] weights, Dataset? dataset, int[]? indices)
    {
        var experimentData = data.Get(Scenario);
        var result = await pool.EvaluateAsync(new EvaluationJob(experimentData.Model, weights, dataset ?? experimentData.Split.Test, indices));
        return new ModelScore(result.Accuracy, result.Loss);
    }

    /// <summary>The server trains the global weights on its root data like an honest client (FLTrust's g₀).</summary>
    private async Task<float[]> TrainRootAsync(float[] weights, int[] rootIndices)
    {
        var setup = Setup();
        var job = new TrainingJob(-1, setup.Data.Model, ScenarioComposition.Training(Scenario).BasePlan(), weights,
            new ShardView(setup.Data.Split.Test, rootIndices), Seeds.Derive(Scenario.Seed, State.CompletedRounds + 1, Seeds.None, SeedPurpose.ServerRoot));
        return (await pool.TrainAsync(job)).Delta;
    }

    private void ScheduleNextRound()
    {
        _nextRoundTimer?.Dispose();
        _nextRoundTimer = this.RegisterGrainTimer(StartRoundAsync,
            new GrainTimerCreationOptions { DueTime = TimeSpan.Zero, Period = Timeout.InfiniteTimeSpan, KeepAlive = true });
    }

    /// <summary>The last answer of a round only schedules its completion: aggregation never runs inside a device's call.</summary>
    private void ScheduleCompletion(InFlightRound round)
    {
        if (round.Completing) return;
        round.Completing = true;
        round.Watchdog?.Dispose();
        round.MembershipWatch?.Dispose();
        round.Completion = this.RegisterGrainTimer(CompleteRoundAsync, round,
            new GrainTimerCreationOptions { DueTime = TimeSpan.Zero, Period = Timeout.InfiniteTimeSpan, KeepAlive = true });
    }

    private async Task StartRoundAsync(CancellationToken cancellationToken)
    {
        _nextRoundTimer?.Dispose();
        _nextRoundTimer = null;
        if (_round is not null || State.Finished || _suspended) return;
        try
        {
            var setup = Setup();
            var (round, training, broadcast) = PlanRound(setup, State.CompletedRounds + 1);
            _round = round;
            if (round.Pending.Count == 0)
            {
                ScheduleCompletion(round);
                return;
            }
            round.Watchdog = this.RegisterGrainTimer(TimeOutRoundAsync, round.Number,
                new GrainTimerCreationOptions { DueTime = options.Value.RoundTimeout, Period = Timeout.InfiniteTimeSpan, KeepAlive = true });
            foreach (var assignment in Assignments(round, setup, training, broadcast))
                round.Assignments[assignment.Key] = assignment.Value;
            round.Members = LiveSilos();
            round.MembershipWatch = this.RegisterGrainTimer(WatchMembershipAsync, round.Number,
                new GrainTimerCreationOptions { DueTime = options.Value.MembershipCheckPeriod, Period = options.Value.MembershipCheckPeriod, KeepAlive = true });
            await DispatchAsync(round, setup, round.Assignments.Keys);
        }
        catch (Exception ex)
        {
            await FailAsync(ex);
        }
    }

    /// <summary>
    /// The round in simulated time (who is sampled, drops out, is late or surplus, and who trains) and what the server
    /// sends with the model; devices that will not train are failures from the start.
    /// </summary>
    private (InFlightRound Round, List<DevicePlan> Training, IReadOnlyDictionary<string, float[]> Broadcast) PlanRound(ExperimentSetup setup, int number)
    {
        var scenario = Scenario;
        var serverState = State.ServerState();
        var objective = setup.Algorithm.Objective;
        var broadcast = objective.Broadcast(serverState, setup.Parameters);
        long modelBytes = (long)setup.Parameters * sizeof(float);
        long bytesDown = modelBytes * (1 + broadcast.Count), bytesUp = modelBytes * (1 + objective.ExtraUploadVectors);
        var plan = RoundPlanner.Plan(number, scenario.Seed, scenario.Devices, scenario.Training.DevicesPerRound, State.SimulatedTotalSeconds,
            scenario.Heterogeneity, setup.Profiles, device => setup.Data.Shard(device).Count,
            new RoundWork(scenario.Training.BatchSize, scenario.Training.LocalEpochs, bytesDown, bytesUp), scenario.Training.Sampling);

        var round = new InFlightRound(number, plan, serverState, Stopwatch.StartNew(), bytesDown)
        {
            Pooled = setup.SumsOnPool ? new PooledRound(number, setup.Parameters) : null,
        };
        foreach (var skipped in plan.Devices.Where(d => d.Outcome != DeviceOutcome.Train))
            round.Failures.Add(new DeviceFailure(skipped.Device, round.Number, skipped.Reason ?? skipped.Outcome.ToString()));
        var training = plan.Training.ToList();
        if (scenario.Privacy.SecureAggregation is not null) training = PrepareSecureRound(round, setup, training);
        return (round, training, broadcast);
    }

    /// <summary>Each training device's assignment: the global model, the plan, its seeds and its role in attacks and secure aggregation.</summary>
    private Dictionary<long, RoundAssignment> Assignments(InFlightRound round, ExperimentSetup setup, List<DevicePlan> training,
        IReadOnlyDictionary<string, float[]> broadcast)
    {
        var scenario = Scenario;
        string id = this.GetPrimaryKeyString();
        int number = round.Number;
        var global = new GlobalModel(new GlobalModelId(id, number), State.Weights!);
        int members = training.Count(d => setup.Roster.IsMalicious(d.Device));
        return training.ToDictionary(d => d.Device, d => new RoundAssignment(id, number,
            Seeds.Derive(scenario.Seed, number, d.Device, SeedPurpose.LocalTraining),
            setup.Data.Model, setup.Plan, global, scenario,
            MaxSteps: d.Steps < d.FullSteps ? d.Steps : null,
            Broadcast: broadcast,
            SimulatedSeconds: d.FinishSeconds,
            Byzantine: setup.Roster.IsMalicious(d.Device)
                ? new ByzantineRole(training.Count, members, Seeds.Derive(scenario.Seed, number, d.Device, SeedPurpose.Attack))
                : null,
            SecureAggregation: round.Secure?.RoleOf(d.Device),
            SumOnPool: round.Pooled is not null));
    }

    /// <summary>
    /// Sends the devices their assignments. A device whose silo cannot be reached (it is dying, or just died) is kept in
    /// <see cref="InFlightRound.Undelivered"/>: the membership watch sends it again, so a kill that lands while a round
    /// is being dispatched costs time, not the run.
    /// </summary>
    private Task DispatchAsync(InFlightRound round, ExperimentSetup setup, IEnumerable<long> devices)
    {
        string id = this.GetPrimaryKeyString();
        return Task.WhenAll(devices.ToList().Select(async device =>
        {
            try
            {
                await Trainer(setup, id, device)(round.Assignments[device]);
                round.Undelivered.Remove(device);
            }
            catch (Exception e) when (e is SiloUnavailableException or OrleansMessageRejectionException or TimeoutException)
            {
                round.Undelivered.Add(device);
                LogUndelivered(logger, this.GetPrimaryKeyString(), round.Number, device, e.GetType().Name);
            }
        }));
    }

    private HashSet<SiloAddress> LiveSilos() =>
        [.. membership.CurrentSnapshot.Members.Values.Where(m => m.Status == SiloStatus.Active).Select(m => m.SiloAddress)];

    /// <summary>
    /// When a silo that was active at the round's start has left the cluster, the devices that have not answered may
    /// have died with it: they get their assignment again; so do devices whose assignment could not be delivered.
    /// Repeats are harmless (a device still training ignores one; the same seed trains the same update; a second answer
    /// finds the device no longer pending).
    /// </summary>
    private async Task WatchMembershipAsync(int number, CancellationToken cancellationToken)
    {
        var round = _round;
        if (round is null || round.Number != number || round.Completing) return;
        var live = LiveSilos();
        var gone = round.Members.Where(s => !live.Contains(s)).ToList();
        round.Undelivered.IntersectWith(round.Pending);
        var again = gone.Count > 0 ? round.Pending.ToList() : round.Undelivered.ToList();
        if (again.Count == 0)
        {
            round.Members = live;
            return;
        }
        LogRedispatch(logger, this.GetPrimaryKeyString(), number, again.Count, gone.Count > 0 ? string.Join(", ", gone) : "none");
        // Sent again, a device answers alone with its own delta: the cohort it would join now could hold devices whose
        // updates are in the round's total already (see PooledRound).
        foreach (long device in again) round.Assignments[device] = round.Assignments[device] with { SumOnPool = false };
        try
        {
            await DispatchAsync(round, _setup!, again);
            round.Members = live;
        }
        catch (Exception e)
        {
            // Calls may still be routed to the dead silo for a moment: keep it in the list, the next check sends again.
            LogRedispatchFailed(logger, e, this.GetPrimaryKeyString(), number);
        }
    }

    /// <summary>Who trains for a device: its device grain, or the malicious-client attacker that stands in for it.</summary>
    private Func<RoundAssignment, Task> Trainer(ExperimentSetup setup, string id, long device) => setup.ClientAttackers.TryGetValue(device, out int attacker)
        ? GrainFactory.GetGrain<IClientAttackerGrain>(new AttackerKey(id, attacker).ToString()).BeginTrainingAsync
        : GrainFactory.GetGrain<IDeviceGrain>(new DeviceKey(id, device).ToString()).BeginTrainingAsync;

    private Task TimeOutRoundAsync(int number, CancellationToken cancellationToken)
    {
        var round = _round;
        if (round is null || round.Number != number || round.Completing) return Task.CompletedTask;
        foreach (long device in round.Pending)
            round.Failures.Add(new DeviceFailure(device, round.Number, $"no answer within {options.Value.RoundTimeout}"));
        round.Pending.Clear();
        ScheduleCompletion(round);
        return Task.CompletedTask;
    }

    private async Task CompleteRoundAsync(InFlightRound round, CancellationToken cancellationToken)
    {
        round.Completion?.Dispose();
        if (_suspended || _round != round) return;
        try
        {
            var (work, updates, failures) = await RunPipelineAsync(round);
            var traffic = new RoundTraffic(round.BytesDown, round.Secure is { } secure ? new SecureTraffic(secure.DownBytes, secure.UpBytes) : null);
            var report = RoundReportBuilder.Build(round.Plan, updates, failures, work, traffic, State.SimulatedTotalSeconds, round.Clock.Elapsed.TotalSeconds);
            if (_suspended) return; // stopped while the pipeline ran: this round is replayed on resume
            await CommitAsync(round, work, report);
            _round = null;
            metrics.RoundCompleted(report);
            await PublishAsync(report);
        }
        catch (InconsistentStateException ex)
        {
            // Another activation of this experiment wrote the checkpoint first (a duplicate during a silo's death): it
            // owns the run now. Step aside without recording anything; a later call finds the stored state.
            LogSteppedAside(logger, ex, this.GetPrimaryKeyString(), round.Number);
            await SuspendAsync();
            DeactivateOnIdle();
        }
        catch (Exception ex)
        {
            await FailAsync(ex);
        }
    }

    /// <summary>
    /// The round's aggregation and the stages after it, on what arrived (sorted by device: arrival order must not
    /// matter). Under secure aggregation the coordinator holds no individual update: the pipeline gets the sum alone.
    /// </summary>
    private async Task<(RoundResults Work, List<DeviceUpdate> Updates, List<DeviceFailure> Failures)> RunPipelineAsync(InFlightRound round)
    {
        var setup = Setup();
        var updates = round.Updates.OrderBy(u => u.DeviceId).ToList();
        SecureSum? secureSum = null;
        if (round.Secure is { } secure)
        {
            secureSum = await RunSecureAggregationAsync(round, secure);
            var contributors = secureSum?.Contributors.ToHashSet() ?? [];
            updates = updates.Where(u => contributors.Contains(u.DeviceId)).ToList();
        }
        var failures = round.Failures.OrderBy(f => f.DeviceId).ToList();
        var pooled = round.Pooled?.Close(failures);
        if (pooled is not null) (updates, failures) = (pooled.Updates.ToList(), pooled.Failures.ToList());
        var results = round.Secure is not null || pooled is not null ? []
            : updates.Select(u => new DeviceResult(u.DeviceId, u.Delta, u.Examples, u.Steps, u.Extras)).ToList();
        var context = new RoundContext(round.Number, Scenario.Seed, Scenario.Devices, round.Plan.Training.Count(), State.CompletedRounds,
            round.ServerState, setup.AssumedByzantine);
        var work = new RoundResults(context, State.Weights!, results, failures)
        {
            LocalEpsilons = updates.Where(u => u.LocalEpsilon is not null).Select(u => u.LocalEpsilon!.Value).ToList(),
            SecureSum = secureSum,
            PooledTotal = pooled?.Total,
        };
        if (Scenario.Privacy.SecureAggregation is not null)
            work.Metrics.AddRange(round.Secure?.Metrics ?? SecureRoundState.MetricsOf(0, 0, round.SecureCannotRun, null));
        await setup.Pipeline.RunAsync(work, CancellationToken.None);
        return (work, updates, failures);
    }

    /// <summary>Makes the round durable: the new model and server state, its report, and whether the run is over.</summary>
    private async Task CommitAsync(InFlightRound round, RoundResults work, RoundReport report)
    {
        State.Weights = work.NextWeights ?? State.Weights;
        State.CompletedRounds = round.Number;
        State.SimulatedTotalSeconds = report.SimulatedTotalSeconds;
        State.Store(round.ServerState);
        State.Reports.Add(report);
        State.Finished = round.Number >= Scenario.Training.Rounds || work.StopReason is not null || work.FinishReason is not null;
        State.Error = work.StopReason;
        State.FinishReason = work.FinishReason;
        try
        {
            await WriteCheckpointAsync($"after round {round.Number}");
        }
        catch (StorageFailedException)
        {
            // Not durable, so not reported: a resume replays this round.
            State.Reports.Remove(report);
            State.CompletedRounds = round.Number - 1;
            throw;
        }
    }

    /// <summary>Tells the observers, and starts the next round or ends the run.</summary>
    private async Task PublishAsync(RoundReport report)
    {
        Notify(o => o.OnRoundCompleted(report));
        if (State.Finished)
        {
            Notify(o => o.OnExperimentFinished(StatusNow()));
            await StopRevivingAsync();
        }
        else ScheduleNextRound();
    }

    private async Task KeepRevivingAsync()
    {
        if (options.Value.RevivalPeriod is not { } period) return;
        try
        {
            await this.RegisterOrUpdateReminder(RevivalReminder, period, period);
        }
        catch (Exception e)
        {
            // Best effort: without it a run whose silo died resumes at the next client call instead.
            LogReminderFailed(logger, e, this.GetPrimaryKeyString());
        }
    }

    private async Task StopRevivingAsync()
    {
        if (options.Value.RevivalPeriod is null) return;
        try
        {
            if (await this.GetReminder(RevivalReminder) is { } reminder) await this.UnregisterReminder(reminder);
        }
        catch (Exception e)
        {
            LogReminderFailed(logger, e, this.GetPrimaryKeyString());
        }
    }

    private async Task FailAsync(Exception ex)
    {
        if (_suspended) return; // a failure caused by the shutdown is not the experiment's
        if (State.Finished) return; // the first failure is the one to report (a failed store fails every device after it)
        LogExperimentFailed(logger, ex, this.GetPrimaryKeyString());
        _round?.Watchdog?.Dispose();
        _round?.MembershipWatch?.Dispose();
        _round = null;
        State.Finished = true;
        if (ex is StorageFailedException)
        {
            // Nothing more is written: the stored checkpoint stays at the last finished round.
            State.Error = $"{ex.Message}. Every finished round is kept: fix the storage (free disk space), then continue the run with --resume";
        }
        else
        {
            State.Error = ex.Message;
            try
            {
                await WriteCheckpointAsync("of the failed run");
            }
            catch (StorageFailedException storage)
            {
                State.Error += $" (and {storage.Message})";
            }
        }
        Notify(o => o.OnExperimentFinished(StatusNow()));
        if (ex is StorageFailedException && options.Value.RevivalPeriod is not null)
        {
            // On a cluster the stored checkpoint is unfinished: this activation goes, and the revival reminder, kept,
            // resumes the run from it once the database is back (embedded runs resume with --resume instead).
            DeactivateOnIdle();
        }
        else await StopRevivingAsync();
    }

    /// <summary>
    /// Writes the checkpoint; a storage failure becomes a <see cref="StorageFailedException"/> saying which write. A
    /// version conflict is not a storage failure: another activation of this experiment wrote first (see
    /// <see cref="CompleteRoundAsync"/>), so it passes through as it is.
    /// </summary>
    private async Task WriteCheckpointAsync(string when)
    {
        try
        {
            await checkpoint.WriteStateAsync();
        }
        catch (Exception e) when (e is not StorageFailedException and not InconsistentStateException)
        {
            throw StorageFailedException.From($"could not write the coordinator's checkpoint {when}", e);
        }
    }

    private ExperimentStatus StatusNow(int reportsSeen = 0) => new(this.GetPrimaryKeyString(), State.CompletedRounds,
        State.Scenario?.Training.Rounds ?? 0, State.Finished, State.Error,
        reportsSeen >= State.Reports.Count ? [] : State.Reports.GetRange(reportsSeen, State.Reports.Count - reportsSeen).ToArray(),
        State.FinishReason, State.Cancelled);

    /// <summary>Which silo this activation runs on (for operators reading the logs, and the crash tests).</summary>
    private string SiloName => membership.CurrentSnapshot.Members.GetValueOrDefault(SiloAddressOfThisSilo)?.Name is { Length: > 0 } name
        ? name
        : SiloAddressOfThisSilo.ToString() ?? "?";

    private SiloAddress SiloAddressOfThisSilo => this.GrainContext.Address.SiloAddress!;

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

    private sealed class InFlightRound(int number, RoundPlan plan, ServerState serverState, Stopwatch clock, long bytesDown)
    {
        public int Number { get; } = number;
        public RoundPlan Plan { get; } = plan;
        /// <summary>A copy of the server state this round works on; it replaces the checkpointed one only when the round completes.</summary>
        public ServerState ServerState { get; } = serverState;
        public Stopwatch Clock { get; } = clock;
        public long BytesDown { get; } = bytesDown;
        public HashSet<long> Pending { get; } = [.. plan.Training.Select(d => d.Device)];
        public List<DeviceUpdate> Updates { get; } = [];
        public List<DeviceFailure> Failures { get; } = [];
        /// <summary>The round's updates are summed on the compute pools: what has arrived of them.</summary>
        public PooledRound? Pooled { get; init; }
        /// <summary>The round's secure aggregation, when the scenario has it.</summary>
        public SecureRoundState? Secure { get; set; }
        /// <summary>The cohort was too small for the protocol: nobody trained and the round keeps the model.</summary>
        public bool SecureCannotRun { get; set; }
        public IGrainTimer? Watchdog { get; set; }
        /// <summary>Each device's assignment, kept to send it again when the device's silo dies.</summary>
        public Dictionary<long, RoundAssignment> Assignments { get; } = [];
        /// <summary>Devices whose assignment did not reach them (their silo was unreachable); sent again by the membership watch.</summary>
        public HashSet<long> Undelivered { get; } = [];
        /// <summary>The active silos at the last membership check.</summary>
        public HashSet<SiloAddress> Members { get; set; } = [];
        public IGrainTimer? MembershipWatch { get; set; }
        public IGrainTimer? Completion { get; set; }
        /// <summary>Completion is scheduled: late callbacks are ignored from here on.</summary>
        public bool Completing { get; set; }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Experiment {Experiment} failed")]
    private static partial void LogExperimentFailed(ILogger logger, Exception ex, string experiment);

    [LoggerMessage(Level = LogLevel.Information, Message = "Coordinator of experiment {Experiment} started on silo {Silo}")]
    private static partial void LogStarted(ILogger logger, string experiment, string silo);

    [LoggerMessage(Level = LogLevel.Information, Message = "Coordinator of experiment {Experiment} resumed at round {Round} on silo {Silo}")]
    private static partial void LogResumed(ILogger logger, string experiment, int round, string silo);

    [LoggerMessage(Level = LogLevel.Information, Message = "Experiment {Experiment} cancelled: {Reason}")]
    private static partial void LogCancelled(ILogger logger, string experiment, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Experiment {Experiment} round {Round}: device {Device}'s silo is unreachable ({Reason}); its assignment will be sent again")]
    private static partial void LogUndelivered(ILogger logger, string experiment, int round, long device, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Experiment {Experiment} round {Round}: silo(s) gone: {Silos}; sending {Pending} unanswered assignment(s) again")]
    private static partial void LogRedispatch(ILogger logger, string experiment, int round, int pending, string silos);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Experiment {Experiment} round {Round}: sending assignments again failed; retrying at the next check")]
    private static partial void LogRedispatchFailed(ILogger logger, Exception ex, string experiment, int round);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Experiment {Experiment} round {Round}: another activation wrote the checkpoint first; this one steps aside")]
    private static partial void LogSteppedAside(ILogger logger, Exception ex, string experiment, int round);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Experiment {Experiment}: the revival reminder could not be updated")]
    private static partial void LogReminderFailed(ILogger logger, Exception ex, string experiment);
}
