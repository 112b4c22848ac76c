using FedSim.Attacks.Poisoning;
using FedSim.Composition;
using FedSim.Compute;
using FedSim.Data;
using FedSim.GrainInterfaces;
using FedSim.Privacy;
using FedSim.Rounds;
using FedSim.Strategies;
using FedSim.Determinism;
using FedSim.Rounds.Personalization;
using FedSim.Training;
using System.Numerics.Tensors;

namespace FedSim.Devices;

/// <summary>What a device's round ended in, before delivery.</summary>
public abstract record DeviceRoundOutcome
{
    /// <summary>The device declined the round (its local DP budget would be exceeded, or it is a left-out one-run audit canary); the reason goes to the coordinator.</summary>
    public sealed record Declined(string Reason) : DeviceRoundOutcome;

    /// <summary>The device trained: its update, crafted already when it attacks alone (a coalition crafts its members').</summary>
    public sealed record Trained(DeviceUpdate Update) : DeviceRoundOutcome;
}

/// <summary>How a device's update leaves it, decided once per assignment.</summary>
public enum DeliveryRoute
{
    /// <summary>Straight to the coordinator.</summary>
    Plain,
    /// <summary>To the round's coalition, which crafts every colluding member's update at once.</summary>
    Coalition,
    /// <summary>Kept here; only its masked form leaves, through the secure-aggregation protocol.</summary>
    SecureAggregation,
}

/// <summary>A device's stored state across rounds (SCAFFOLD's c_i, the DP-SGD steps taken, Ditto's personal model), read and written by round.</summary>
public interface IDeviceStateStore
{
    /// <summary>The newest version written before <paramref name="round"/>, so a replayed round reads what its first attempt read.</summary>
    Task<DeviceState?> ReadBeforeAsync(int round);

    Task WriteAsync(DeviceState state);
}

/// <summary>
/// One round on one device, as a pipeline mirroring the coordinator's <see cref="RoundPipeline"/>: budget check → load
/// state → build the job (and Ditto's personal job) → train → the objective's after-training step → the local accountant → save state → the
/// update (crafted when the device attacks alone). Delivery is the grain's: it only carries messages and storage. Each
/// step is a small function of <see cref="DeviceSteps"/>, tested without a silo.
/// </summary>
public sealed class DeviceRoundPipeline(IComputePool pool, ExperimentData data, long device)
{
    /// <param name="openStore">Opens the device's state store; called only when the round reads or writes state.</param>
    /// <param name="trained">Called once the compute pool has trained the job (the silo's metrics).</param>
    public async Task<DeviceRoundOutcome> RunAsync(RoundAssignment a, Func<IDeviceStateStore> openStore, Action? trained = null)
    {
        // A one-run audit's canary device that its coin left out takes no part, exactly as if it were not registered.
        if (data.Canaries?.LeavesOut(device) == true) return new DeviceRoundOutcome.Declined(Attacks.Auditing.OneRunCanarySet.LeftOutReason);
        var round = DeviceRound.For(a, data, device);
        var store = round.NeedsState ? openStore() : null;
        var state = store is null ? null : await store.ReadBeforeAsync(a.Round);
        long stepsBefore = DeviceSteps.LocalDpStepsIn(state);
        if (DeviceSteps.BudgetRefusal(round, stepsBefore) is { } reason) return new DeviceRoundOutcome.Declined(reason);

        var job = DeviceSteps.Job(round, state);
        var personalJob = DeviceSteps.PersonalJob(round, state);
        // Both queued at once: the round's personal jobs form cohorts of their own on the pool, beside the global ones.
        var training = pool.TrainAsync(job);
        var personal = personalJob is null ? null : pool.TrainAsync(personalJob);
        var result = await training;
        var personalResult = personal is null ? null : await personal;
        trained?.Invoke();
        var outputs = round.Objective.AfterTraining(round.Broadcast, state, new LocalTrainingOutcome(result.Delta, result.Steps, job.Plan.LearningRate), a.Round);
        var (next, localEpsilon) = DeviceSteps.Account(round, stepsBefore, result.Steps, outputs.NextState, state);
        if (personalResult is not null) next = DeviceSteps.KeepPersonalModel(round, next, state, personalJob!.GlobalWeights, personalResult);
        if (store is not null && next is not null) await store.WriteAsync(next);

        var update = DeviceSteps.Update(round, result, outputs, localEpsilon);
        return new DeviceRoundOutcome.Trained(DeviceSteps.CraftAlone(round, update));
    }
}

/// <summary>What one device knows for one round: the assignment and what follows from it and the scenario.</summary>
/// <param name="Attack">The device's Byzantine attack; null for an honest device.</param>
/// <param name="Personal">How it trains the personal model it keeps (Ditto); null when it keeps none.</param>
public sealed record DeviceRound(long Device, RoundAssignment Assignment, ShardView Shard, DataFacts Facts, ClientObjective Objective,
    IReadOnlyDictionary<string, float[]> Broadcast, LocalDpAccounting? LocalDp, ByzantineOptions? Attack, PersonalModelTraining? Personal = null)
{
    /// <summary>Whether the round reads or writes the device's stored state.</summary>
    public bool NeedsState => Objective.UsesDeviceState || LocalDp is not null || Personal is not null;

    public static DeviceRound For(RoundAssignment a, ExperimentData data, long device)
    {
        var scenario = a.Scenario;
        var shard = data.Shard(device);
        var localDp = scenario.Privacy.Local is { } local
            ? LocalDpAccounting.For(local, scenario.Training.BatchSize, shard.Count, scenario.Privacy.Delta)
            : null;
        var training = ScenarioComposition.Training(scenario);
        return new DeviceRound(device, a, shard, data.Facts, scenario.Strategy.CreateObjective(training),
            a.Broadcast ?? new Dictionary<string, float[]>(), localDp, a.Byzantine is null ? null : scenario.Byzantine,
            scenario.Personalization.IsOn ? scenario.Personalization.KeptModelTraining(training) : null);
    }
}

/// <summary>The device pipeline's steps, each a pure function (see <see cref="DeviceRoundPipeline"/>).</summary>
public static class DeviceSteps
{
    /// <summary>The DP-SGD steps the device took in all earlier rounds, as its state records them.</summary>
    public static long LocalDpStepsIn(DeviceState? state) => (long)(state?.Scalars.GetValueOrDefault(LocalDpAccounting.StepsKey) ?? 0);

    /// <summary>
    /// Why the device declines this round, or null: under DP-SGD with a budget, the device's own guard refuses a round
    /// its data cannot afford (it knows its accountant, the server does not).
    /// </summary>
    public static string? BudgetRefusal(DeviceRound round, long stepsBefore)
    {
        var scenario = round.Assignment.Scenario;
        if (round.LocalDp is not { } localDp || scenario.Privacy.EpsilonBudget <= 0) return null;
        int batch = scenario.Training.BatchSize;
        int planned = Math.Min(round.Assignment.MaxSteps ?? int.MaxValue, scenario.Training.LocalEpochs * ((round.Shard.Count + batch - 1) / batch));
        double would = localDp.EpsilonAfter(stepsBefore + planned);
        return would > scenario.Privacy.EpsilonBudget
            ? $"{PrivacyAccountingStage.BudgetDeclined}: this round would take the device to ε = {would:0.####} (its budget is {scenario.Privacy.EpsilonBudget:G6})"
            : null;
    }

    /// <summary>The compute pool's job: the round's plan (with the attack's training modifiers) on the device's shard.</summary>
    public static TrainingJob Job(DeviceRound round, DeviceState? state)
    {
        var a = round.Assignment;
        var plan = round.Attack is null ? a.Plan : a.Plan.With(round.Attack.TrainingModifiers(round.Facts));
        return new TrainingJob(round.Device, a.Model, plan, a.Global.Weights, round.Shard, a.TrainingSeed,
            a.MaxSteps, round.Objective.DeviceInputs(round.Broadcast, state, a.Global.Weights.Length), a.Global.Id, a.SumOnPool);
    }

    /// <summary>
    /// Ditto's job for the personal model the device keeps: from that model (the round's global model the first time)
    /// on its own records, pulled toward the round's global model, which rides along as the proximal term's anchor.
    /// Honest local training, whatever the device does to its global update; only its own seed's minibatches.
    /// </summary>
    public static TrainingJob? PersonalJob(DeviceRound round, DeviceState? state)
    {
        if (round.Personal is not { } personal) return null;
        var a = round.Assignment;
        var kept = state?.Vectors.GetValueOrDefault(DittoOptions.PersonalModelVector);
        return new TrainingJob(round.Device, a.Model, personal.Plan, kept ?? a.Global.Weights, round.Shard,
            Seeds.Derive(a.Scenario.Seed, a.Round, round.Device, SeedPurpose.PersonalTraining), personal.Steps,
            new Dictionary<string, float[]> { [DittoProximalTerm.GlobalVector] = a.Global.Weights },
            // Starting from the global model, the job names it: the pool holds it once for every job that starts there.
            kept is null ? a.Global.Id : null);
    }

    /// <summary>
    /// The state to store with the trained personal model: the state this round produced (<paramref name="next"/>), or
    /// else the one it read, carried over, with the personal model (<paramref name="start"/> + the job's delta) in it.
    /// </summary>
    public static DeviceState KeepPersonalModel(DeviceRound round, DeviceState? next, DeviceState? before, float[] start, TrainingResult personal)
    {
        var basis = next ?? before;
        var model = new float[start.Length];
        TensorPrimitives.Add(start, personal.Delta, model);
        var kept = new DeviceState
        {
            Round = round.Assignment.Round,
            Vectors = new(basis?.Vectors ?? new SortedDictionary<string, float[]>(), StringComparer.Ordinal),
            Scalars = new(basis?.Scalars ?? new SortedDictionary<string, double>(), StringComparer.Ordinal),
        };
        kept.Vectors[DittoOptions.PersonalModelVector] = model;
        return kept;
    }

    /// <summary>
    /// The per-device accountant: every DP-SGD step this device ever took, kept with its state. Returns the state to
    /// store (the objective's, with the step count added under DP-SGD; null: nothing to store) and ε so far.
    /// </summary>
    public static (DeviceState? Next, double? LocalEpsilon) Account(DeviceRound round, long stepsBefore, int steps, DeviceState? objectiveNext,
        DeviceState? before)
    {
        if (round.LocalDp is not { } localDp) return (objectiveNext, null);
        long total = stepsBefore + steps;
        var next = objectiveNext ?? new DeviceState { Round = round.Assignment.Round, Vectors = before?.Vectors ?? new(StringComparer.Ordinal) };
        next.Round = round.Assignment.Round;
        next.Scalars[LocalDpAccounting.StepsKey] = total;
        return (next, localDp.EpsilonAfter(total));
    }

    /// <summary>
    /// The update with its statistics and simulated traffic (float32 model and broadcast down, delta and extras up). Summed
    /// on the pool, the delta stays there: the update has its norm instead, and the cohort's sum when this device carries it.
    /// The simulated upload is the delta's all the same: a deployed device would send it.
    /// </summary>
    public static DeviceUpdate Update(DeviceRound round, TrainingResult result, ClientOutputs outputs, double? localEpsilon)
    {
        var a = round.Assignment;
        long bytesDown = (long)a.Global.Weights.Length * sizeof(float) + round.Broadcast.Values.Sum(v => (long)v.Length * sizeof(float));
        long bytesUp = (long)(a.SumOnPool ? a.Global.Weights.Length : result.Delta.Length) * sizeof(float) + outputs.ExtraBytes;
        return new DeviceUpdate(round.Device, a.Round, result.Delta, result.Examples, result.Steps, ScenarioComposition.TrainLossAsSent(a.Scenario, result.MeanLoss),
            a.SimulatedSeconds, bytesDown, bytesUp, outputs.Extras.Count == 0 ? null : outputs.Extras, localEpsilon,
            a.SumOnPool ? result.UpdateNorm : null, result.Carries, result.LeftOut);
    }

    /// <summary>The update a device attacking alone sends; honest and colluding devices' updates pass unchanged.</summary>
    public static DeviceUpdate CraftAlone(DeviceRound round, DeviceUpdate update)
    {
        if (round.Attack is not { Colludes: false } attack || round.Assignment.Byzantine is not { } role) return update;
        var context = new PoisoningContext(round.Assignment.Round, role.CohortSize, role.Members, role.CraftSeed);
        return update with { Delta = attack.Craft([update.Delta], context)[0] };
    }

    /// <summary>How the update leaves the device: a colluding member's through its coalition, else masked under secure aggregation, else plainly.</summary>
    public static DeliveryRoute RouteOf(RoundAssignment a)
    {
        if (a.Byzantine is not null && a.Scenario.Byzantine is { Colludes: true }) return DeliveryRoute.Coalition;
        return a.SecureAggregation is not null ? DeliveryRoute.SecureAggregation : DeliveryRoute.Plain;
    }
}
