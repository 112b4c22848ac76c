using FedSim.Attacks.Auditing;
using FedSim.Attacks.Inference;
using FedSim.Compute;
using FedSim.Scenario;
using FedSim.GrainInterfaces;
using FedSim.Coordination;
using FedSim.Data;
using FedSim.Determinism;
using FedSim.Rounds;
using Microsoft.Extensions.Logging;
using FedSim.Composition;
using FedSim.Persistence;
using FedSim.Strategies;

namespace FedSim.Attackers;

/// <summary>An attacker grain's durable state: the judge's truth so far and the finished audits.</summary>
[GenerateSerializer]
public sealed class AttackerState
{
    /// <summary>Devices whose updates the model absorbed so far (sorted): their training records are members.</summary>
    [Id(0)] public List<long> Contributors { get; set; } = [];
    [Id(1)] public List<AuditRecord> Audits { get; set; } = [];
    [Id(2)] public List<string> Failures { get; set; } = [];
    /// <summary>Client: the rounds it added gradient ascent in, with the records it targeted and the model released after.</summary>
    [Id(3)] public Dictionary<int, ClientAscent> Ascents { get; set; } = [];
}

/// <summary>
/// An audit handed to an attacker and not yet finished, with everything it reads: kept durable from the moment the
/// round hands it over (before the coordinator's checkpoint of that round), so an attack stopped or a silo lost
/// mid-audit runs it again, with the same inputs and seeds, when the attacker is next activated (<c>fedsim attack --resume</c>).
/// </summary>
[GenerateSerializer]
public sealed class PendingAudit
{
    [Id(0)] public required ScenarioSpec Scenario { get; init; }
    [Id(1)] public required RoundTruth Truth { get; init; }
    /// <summary>Outsider and client: the model released after the audited round.</summary>
    [Id(2)] public ReleasedModel? Release { get; init; }
    /// <summary>Server: what it saw of the audited round.</summary>
    [Id(3)] public ServerObservation? View { get; init; }
    /// <summary>The devices that had contributed when the audit was handed over (sorted).</summary>
    [Id(4)] public List<long> Contributors { get; init; } = [];
    /// <summary>Client: the ascent this audit measures, if it made one.</summary>
    [Id(5)] public ClientAscent? Ascent { get; init; }
    /// <summary>One-run audit: the DP guarantee on its canaries' unit at the audited round.</summary>
    [Id(6)] public ViewGuarantee? CanaryGuarantee { get; init; }
}

/// <summary>An attacker's unfinished audits by round, kept apart from <see cref="AttackerState"/> so the per-round
/// truth is not rewritten with model-sized inputs.</summary>
[GenerateSerializer]
public sealed class PendingAuditState
{
    [Id(0)] public Dictionary<int, PendingAudit> Audits { get; set; } = [];
}

/// <summary>A malicious client's ascent round: whom it targeted (truth kept for the judge) and the model released after it.</summary>
[GenerateSerializer]
public sealed class ClientAscent
{
    [Id(0)] public List<AuditExample> Targets { get; set; } = [];
    [Id(1)] public float[]? Released { get; set; }
}

/// <summary>
/// What every attacker grain shares: the judge's truth (who contributed), audits started in the background and
/// collected into durable state, and the report. An audit runs on the thread pool (its heavy parts on the compute
/// pool), never on the grain's scheduler, so no call waits for one. Its inputs are durable until it finishes
/// (<see cref="PendingAudit"/>): an activation restarts the audits a stopped one left unfinished.
/// </summary>
public abstract partial class AttackerGrainBase(IPersistentState<AttackerState> state, IPersistentState<PendingAuditState> pending,
    ExperimentDataCache data, ILogger logger) : Grain
{
    private int _running;

    protected AttackerKey Key { get; private set; }

    protected AttackerState State => state.State;

    /// <summary>Writes <see cref="State"/> (the derived grains' one way to it: the state object is the base's).</summary>
    protected Task SaveStateAsync() => state.WriteStateAsync();

    protected ExperimentDataCache Data => data;

    protected abstract string ThreatModel { get; }

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        Key = AttackerKey.Parse(this.GetPrimaryKeyString());
        foreach (var audit in pending.State.Audits.Values.OrderBy(a => a.Truth.Round).ToList()) Run(audit);
        return Task.CompletedTask;
    }

    public Task<AttackerReport> GetReportAsync()
        => Task.FromResult(new AttackerReport(Key.Index, ThreatModel, State.Audits.ToArray(), _running, State.Failures.ToArray()));

    /// <summary>Records the round's truth (idempotent: a replayed round adds nothing new).</summary>
    protected Task RememberAsync(RoundTruth truth)
    {
        var merged = State.Contributors.Union(truth.UsedDevices).Order().ToList();
        if (merged.Count == State.Contributors.Count) return Task.CompletedTask;
        State.Contributors = merged;
        return state.WriteStateAsync();
    }

    /// <summary>
    /// Makes <paramref name="audit"/> durable, then runs it in the background (<see cref="AuditAsync"/>); it returns
    /// once the audit is stored, so the round that handed it over is checkpointed only after.
    /// </summary>
    protected async Task StartAuditAsync(PendingAudit audit)
    {
        pending.State.Audits[audit.Truth.Round] = audit;
        await pending.WriteStateAsync();
        Run(audit);
    }

    /// <summary>
    /// What one audit finds, from its durable inputs alone. Runs on the thread pool and must not touch grain state.
    /// </summary>
    protected abstract Task<IReadOnlyList<AuditRecord>> AuditAsync(PendingAudit audit);

    /// <summary>Runs an audit and stores what it returns (replacing this attacker's earlier audits of the same round, so
    /// a replayed round does not count twice), then forgets its inputs.</summary>
    private void Run(PendingAudit audit)
    {
        int round = audit.Truth.Round;
        _running++;
        // Long audits (reference models) must not lose their activation to idle collection.
        DelayDeactivation(TimeSpan.FromHours(6));
        _ = RunAsync();

        async Task RunAsync()
        {
            try
            {
                var records = await Task.Run(() => AuditAsync(audit));
                State.Audits.RemoveAll(a => a.Round == round);
                State.Audits.AddRange(records);
            }
            catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException)
            {
                // The silo is stopping under the audit (its compute pool stopped): not a failure. The inputs stay
                // pending, so the next activation (fedsim attack --resume) runs the audit again from its start.
                _running--;
                LogAuditStopped(logger, this.GetPrimaryKeyString(), round);
                return;
            }
            catch (Exception ex)
            {
                LogAuditFailed(logger, ex, this.GetPrimaryKeyString(), round);
                State.Failures.Add($"{ThreatModel} attacker {Key.Index}, round {round}: {ex.Message}");
            }
            _running--;
            await state.WriteStateAsync();
            if (pending.State.Audits.Remove(round)) await pending.WriteStateAsync();
        }
    }

    /// <summary>The seed of this attacker's audit-set draws: the same every round, so audits follow the same records.</summary>
    protected static ulong AuditSeed(ScenarioSpec scenario, int attacker, long device = Seeds.None)
        => Seeds.AttackerAudit(scenario.Seed, attacker, device);

    protected PoolAttackerCompute Compute(IComputePool pool, ScenarioSpec scenario)
        => new(pool, data.Get(scenario), ScenarioComposition.Training(scenario).BasePlan());

    [LoggerMessage(Level = LogLevel.Information, Message = "Attacker {Attacker} stopped its audit of round {Round}; it runs again from its start on resume")]
    private static partial void LogAuditStopped(ILogger logger, string attacker, int round);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Attacker {Attacker} failed to audit round {Round}")]
    private static partial void LogAuditFailed(ILogger logger, Exception ex, string attacker, int round);
}

/// <summary>
/// The outsider (<see cref="OutsiderAttackerOptions"/>): on audited rounds it queries the released model on a balanced
/// audit set drawn from the records of every device that has contributed so far, and runs its attacks, training its
/// reference models on its auxiliary records (held-out records it may hold) through the compute pool.
/// </summary>
public sealed class OutsiderAttackerGrain(
    [PersistentState("attacker", FedSimStorage.Checkpoints)] IPersistentState<AttackerState> state,
    [PersistentState("attacker-audits", FedSimStorage.Checkpoints)] IPersistentState<PendingAuditState> pending,
    IComputePool pool, ExperimentDataCache data, ILogger<OutsiderAttackerGrain> logger)
    : AttackerGrainBase(state, pending, data, logger), IOutsiderAttackerGrain
{
    protected override string ThreatModel => ThreatModels.Outsider;

    public async Task ObserveAsync(ScenarioSpec scenario, RoundTruth truth, ReleasedModel? release)
    {
        await RememberAsync(truth);
        if (release is null || !truth.Audit) return;
        await StartAuditAsync(new PendingAudit { Scenario = scenario, Truth = truth, Release = release, Contributors = [.. State.Contributors] });
    }

    protected override async Task<IReadOnlyList<AuditRecord>> AuditAsync(PendingAudit audit)
    {
        var (scenario, truth, index) = (audit.Scenario, audit.Truth, Key.Index);
        var options = (OutsiderAttackerOptions)scenario.Attacks[index];
        var experimentData = Data.Get(scenario);
        var set = experimentData.MembershipJudge()
            .Draw(audit.Contributors, scenario.Audit.Members, auxiliary: true, AuditSeed(scenario, index));
        if (set is null) return [];
        var compute = Compute(pool, scenario);
        var audited = set.Examples.Select(e => (int)e.Index).ToArray();
        var auxiliary = set.AttackerAuxiliary.Select(i => (int)i).ToArray();
        var scores = await OutsiderAttacks.ScoreAsync(options, new QueriedModel(compute, audit.Release!), compute, audited, auxiliary,
            ReferenceEpochs(options, scenario, truth.Round), Seeds.Derive(scenario.Seed, truth.Round, index, SeedPurpose.AttackReference));
        return scores.Select(s => AuditJudge.Judge(s.Key, ThreatModels.Outsider, index, truth.Round, set.Examples, s.Value,
            truth.GuaranteeFor(ThreatModels.Outsider), scenario.Audit.Delta)).ToArray();
    }

    /// <summary>
    /// Epochs of a reference model: as set, or the passes over a record the target's devices have made by this round
    /// (rounds × local epochs × the share of devices sampled per round), between 1 and 50.
    /// </summary>
    public static int ReferenceEpochs(OutsiderAttackerOptions options, ScenarioSpec scenario, int round)
    {
        if (options.ReferenceEpochs > 0) return options.ReferenceEpochs;
        double passes = round * scenario.Training.LocalEpochs * Math.Min(1.0, (double)scenario.Training.DevicesPerRound / scenario.Devices);
        return (int)Math.Clamp(Math.Round(passes), 1, 50);
    }
}

/// <summary>
/// The honest-but-curious server (<see cref="ServerAttackerOptions"/>): on audited rounds it attacks single devices'
/// updates, each against its own device's members and held-out non-members, and reports them pooled and one by one.
/// Under secure aggregation its view has no individual updates, so it attacks the aggregate and says so.
/// </summary>
public sealed class ServerAttackerGrain(
    [PersistentState("attacker", FedSimStorage.Checkpoints)] IPersistentState<AttackerState> state,
    [PersistentState("attacker-audits", FedSimStorage.Checkpoints)] IPersistentState<PendingAuditState> pending,
    IComputePool pool, ExperimentDataCache data, ILogger<ServerAttackerGrain> logger)
    : AttackerGrainBase(state, pending, data, logger), IServerAttackerGrain
{
    public const string AggregateOnlyNote = "secure aggregation hides individual updates: attacked the aggregate only";

    protected override string ThreatModel => ThreatModels.Server;

    public async Task ObserveAsync(ScenarioSpec scenario, RoundTruth truth, ServerObservation? view)
    {
        await RememberAsync(truth);
        if (view is null || !truth.Audit) return;
        await StartAuditAsync(new PendingAudit { Scenario = scenario, Truth = truth, View = view });
    }

    protected override async Task<IReadOnlyList<AuditRecord>> AuditAsync(PendingAudit audit)
    {
        var (scenario, truth, view, index) = (audit.Scenario, audit.Truth, audit.View!, Key.Index);
        var options = (ServerAttackerOptions)scenario.Attacks[index];
        var experimentData = Data.Get(scenario);
        var judge = experimentData.MembershipJudge();
        var compute = Compute(pool, scenario);
        var (guarantee, delta) = (truth.GuaranteeFor(ThreatModels.Server), scenario.Audit.Delta);
        var records = new List<AuditRecord>();
        var attacks = options.Selected;
        if (attacks.Count == 0) return records;

        if (view.Individual is null)
        {
            // Only the sum of the round's updates is visible: members are the records of every device in it.
            var set = judge.Draw(truth.UsedDevices, scenario.Audit.Members, auxiliary: false, AuditSeed(scenario, index));
            if (set is null) return records;
            var scores = await ServerAttacks.ScoreAsync(compute, view.GlobalWeights, view.Aggregate, set.Examples.Select(e => (int)e.Index).ToArray(), attacks);
            foreach (var (attack, s) in scores)
                records.Add(AuditJudge.Judge(attack, ThreatModels.Server, index, truth.Round, set.Examples, s, guarantee, delta, note: AggregateOnlyNote));
            return records;
        }

        var examples = new List<AuditExample>();
        var pooled = attacks.ToDictionary(a => a, _ => new List<double>());
        int devices = 0;
        foreach (var update in view.Individual.OrderBy(u => u.Device).Take(options.MaxDevices))
        {
            var set = judge.Draw([update.Device], scenario.Audit.Members, auxiliary: false, AuditSeed(scenario, index, update.Device));
            if (set is null) continue; // a device with no held-out record cannot be audited on its own
            var scores = await ServerAttacks.ScoreAsync(compute, view.GlobalWeights, update.Delta, set.Examples.Select(e => (int)e.Index).ToArray(), attacks);
            foreach (var (attack, s) in scores)
            {
                records.Add(AuditJudge.Judge(attack, ThreatModels.Server, index, truth.Round, set.Examples, s, guarantee, delta, device: update.Device));
                pooled[attack].AddRange(s);
            }
            examples.AddRange(set.Examples);
            devices++;
        }
        if (examples.Count > 0)
            foreach (string attack in attacks)
                records.Add(AuditJudge.Judge(attack, ThreatModels.Server, index, truth.Round, examples, [.. pooled[attack]], guarantee, delta,
                    note: $"single updates of {devices} devices, each record scored on its own device's update"));
        return records;
    }
}

/// <summary>
/// The malicious client (<see cref="ClientAttackerOptions"/>): it stands in for its device, training honestly on the
/// device's shard; in the round before each audit it also takes full-batch gradient-ascent steps on the records it tests and
/// adds them to its update. At the audit it measures how much each record's loss fell from the model released after
/// its ascent to the current one (active), and the plain loss on the current model (passive), on the same records.
/// </summary>
public sealed partial class ClientAttackerGrain(
    [PersistentState("attacker", FedSimStorage.Checkpoints)] IPersistentState<AttackerState> state,
    [PersistentState("attacker-audits", FedSimStorage.Checkpoints)] IPersistentState<PendingAuditState> pending,
    IComputePool pool, ExperimentDataCache data, ILogger<ClientAttackerGrain> logger)
    : AttackerGrainBase(state, pending, data, logger), IClientAttackerGrain
{
    protected override string ThreatModel => ThreatModels.Client;

    /// <summary>The registered device a client attacker controls.</summary>
    public Task BeginTrainingAsync(RoundAssignment assignment)
    {
        _ = TrainAndSubmitAsync(assignment);
        return Task.CompletedTask;
    }

    private async Task TrainAndSubmitAsync(RoundAssignment a)
    {
        var scenario = a.Scenario;
        int index = Key.Index;
        var options = (ClientAttackerOptions)scenario.Attacks[index];
        long device = options.DeviceFor(scenario.Seed, scenario.Devices, index);
        var experiment = GrainFactory.GetGrain<IExperimentGrain>(a.ExperimentId);
        try
        {
            var experimentData = Data.Get(scenario);
            bool acts = Ascends(options)
                        && AttackerTapStage.IsAudited(a.Round + 1, scenario.Audit.Every, scenario.Training.Rounds);
            var targets = acts ? Targets(scenario, experimentData, index, device) : null;
            var compute = Compute(pool, scenario);
            var honest = pool.TrainAsync(new TrainingJob(device, a.Model, a.Plan, a.Global.Weights, experimentData.Shard(device), a.TrainingSeed, a.MaxSteps, GlobalId: a.Global.Id));
            float[]? ascended = null;
            if (targets is not null)
                ascended = (await compute.TrainAsync([new ModelTraining(a.Global.Weights, targets.Select(t => (int)t.Index).ToArray(),
                    options.AscentSteps, Seeds.Derive(scenario.Seed, a.Round, device, SeedPurpose.AttackReference), Ascent: true,
                    BatchSize: Math.Max(1, targets.Count))]))[0];
            var result = await honest;
            var delta = result.Delta;
            if (ascended is not null)
            {
                delta = (float[])delta.Clone();
                for (int i = 0; i < delta.Length; i++) delta[i] += ascended[i] - a.Global.Weights[i];
                State.Ascents[a.Round] = new ClientAscent { Targets = [.. targets!] };
                await SaveStateAsync();
            }
            long bytes = (long)delta.Length * sizeof(float);
            // It stands in for an honest device, so it keeps its loss where an honest one would.
            await experiment.SubmitUpdateAsync(new DeviceUpdate(device, a.Round, delta, result.Examples, result.Steps,
                ScenarioComposition.TrainLossAsSent(a.Scenario, result.MeanLoss),
                a.SimulatedSeconds, bytes, bytes));
        }
        catch (Exception ex)
        {
            LogTrainingFailed(logger, ex, device, a.Round);
            await experiment.ReportFailureAsync(new DeviceFailure(device, a.Round, ex.Message));
        }
    }

    /// <summary>The records the client tests: members and non-members of every other device, balanced and seeded.</summary>
    private static IReadOnlyList<AuditExample> Targets(ScenarioSpec scenario, ExperimentData experimentData, int index, long device)
    {
        var judge = experimentData.MembershipJudge();
        var set = judge.Draw(Enumerable.Range(0, scenario.Devices).Select(d => (long)d), scenario.Audit.Members, auxiliary: false,
            AuditSeed(scenario, index), excludeDevice: device);
        return set?.Examples ?? [];
    }

    public async Task ObserveAsync(ScenarioSpec scenario, RoundTruth truth, ReleasedModel release)
    {
        await RememberAsync(truth);
        if (State.Ascents.TryGetValue(release.Round, out var acted) && acted.Released is null)
        {
            acted.Released = release.Weights;
            await SaveStateAsync();
        }
        if (!truth.Audit) return;
        // Ascents older than the one this audit measures are done with (their weights are model-sized).
        foreach (int old in State.Ascents.Keys.Where(r => r < release.Round - 1).ToArray()) State.Ascents.Remove(old);
        State.Ascents.TryGetValue(release.Round - 1, out var ascent);
        await StartAuditAsync(new PendingAudit { Scenario = scenario, Truth = truth, Release = release, Contributors = [.. State.Contributors], Ascent = ascent });
    }

    protected override async Task<IReadOnlyList<AuditRecord>> AuditAsync(PendingAudit audit)
    {
        var (scenario, truth, release, ascent, index) = (audit.Scenario, audit.Truth, audit.Release!, audit.Ascent, Key.Index);
        var options = (ClientAttackerOptions)scenario.Attacks[index];
        long device = options.DeviceFor(scenario.Seed, scenario.Devices, index);
        var contributors = audit.Contributors.ToHashSet();
        var experimentData = Data.Get(scenario);
        bool active = ascent?.Released is not null && Ascends(options);
        // Members are records of devices that have contributed; a target of a device that never did is neither.
        var examples = (active ? ascent!.Targets : Targets(scenario, experimentData, index, device))
            .Where(e => !e.IsMember || contributors.Contains(e.Device)).ToArray();
        if (!examples.Any(e => e.IsMember) || examples.All(e => e.IsMember)) return [];
        var compute = Compute(pool, scenario);
        var records = examples.Select(e => (int)e.Index).ToArray();
        var outputs = await compute.OutputsAsync(active ? [ascent!.Released!, release.Weights] : [release.Weights], records);
        var evidence = new ClientEvidence(outputs[^1], active ? outputs[0] : null, device, release.Round - 1);
        var results = new List<AuditRecord>();
        foreach (var attack in options.SelectedAttacks.Cast<ClientAttack>())
            if (attack.Score(evidence) is { } verdict)
                results.Add(AuditJudge.Judge(attack.Name, ThreatModels.Client, index, truth.Round, examples, verdict.Scores, truth.GuaranteeFor(ThreatModels.Client), scenario.Audit.Delta,
                    note: verdict.Note));
        return results;
    }

    /// <summary>Whether a selected attack reads the client's gradient ascent, so the client has to perform it.</summary>
    private static bool Ascends(ClientAttackerOptions options) => options.SelectedAttacks.Any(a => a.Uses(AttackNeeds.GradientAscent));

    [LoggerMessage(Level = LogLevel.Warning, Message = "Client attacker (device {Device}) failed to train in round {Round}")]
    private static partial void LogTrainingFailed(ILogger logger, Exception ex, long device, int round);
}
