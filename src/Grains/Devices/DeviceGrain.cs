using FedSim.Attacks.Poisoning;
using FedSim.Compute;
using FedSim.Contracts;
using FedSim.Data;
using FedSim.Strategies;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Orleans.Storage;

namespace FedSim.Devices;

/// <summary>
/// A simulated device. Its shard is derived from the scenario on whichever silo it activates; its
/// training runs on that silo's compute pool; only the weight delta, statistics and its objective's extras
/// leave it. Devices deactivate after each round, so a million registered devices cost nothing until sampled;
/// a device whose algorithm keeps state (SCAFFOLD's c_i) loads it only when it trains.
/// Placement is random so a cohort's training spreads over every silo's compute pool (the default
/// would favour the coordinator's silo).
/// </summary>
[Orleans.Placement.RandomPlacement]
public sealed partial class DeviceGrain(IComputePool pool, ExperimentDataCache data, SiloMetrics metrics, ILogger<DeviceGrain> logger)
    : Grain, IDeviceGrain
{
    private DeviceKey _key;

    private long DeviceIndex => _key.Device;

    private string ExperimentId => _key.ExperimentId;

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        _key = DeviceKey.Parse(this.GetPrimaryKeyString()); // once per activation, not per call
        metrics.DeviceActivated();
        return Task.CompletedTask;
    }

    public Task BeginTrainingAsync(RoundAssignment assignment)
    {
        // Fire and forget on the grain's own scheduler: the result goes back as a separate call.
        _ = TrainAndReportAsync(assignment);
        return Task.CompletedTask;
    }

    public Task<DeviceProfile> GetProfileAsync(ScenarioSpec scenario)
        => Task.FromResult(Rounds.DeviceProfileSource.For(scenario).Profile(DeviceIndex));

    public Task<int> GetExampleCountAsync(ScenarioSpec scenario)
        => Task.FromResult(data.Get(scenario).Shard(DeviceIndex).Count);

    private async Task TrainAndReportAsync(RoundAssignment a)
    {
        var experiment = GrainFactory.GetGrain<IExperimentGrain>(ExperimentId);
        var scenario = a.Scenario;
        var attack = a.Byzantine is null ? null : scenario.Byzantine;
        try
        {
            var experimentData = data.Get(scenario);
            var objective = scenario.Strategy.CreateObjective(scenario.Training);
            var broadcast = a.Broadcast ?? new Dictionary<string, float[]>();
            int parameters = a.Global.Weights.Length;
            var store = objective.UsesDeviceState ? new DeviceStateStore(ServiceProvider, this.GetGrainId()) : null;
            var state = store is null ? null : await store.ReadBeforeAsync(a.Round);

            var plan = attack is null ? a.Plan : a.Plan.With(attack.TrainingModifiers(experimentData.Facts));
            var job = new TrainingJob(DeviceIndex, a.Model, plan, a.Global.Weights, experimentData.Shard(DeviceIndex), a.TrainingSeed,
                a.MaxSteps, objective.DeviceInputs(broadcast, state, parameters));
            var result = await pool.TrainAsync(job);
            var outputs = objective.AfterTraining(broadcast, state, new LocalTrainingOutcome(result.Delta, result.Steps, plan.LearningRate), a.Round);
            if (store is not null && outputs.NextState is { } next) await store.WriteAsync(next);

            long bytesDown = (long)parameters * sizeof(float) + broadcast.Values.Sum(v => (long)v.Length * sizeof(float));
            long bytesUp = (long)result.Delta.Length * sizeof(float) + outputs.ExtraBytes;
            var update = new ClientUpdate(DeviceIndex, a.Round, result.Delta, result.Examples, result.Steps, result.MeanLoss,
                a.SimulatedSeconds, bytesDown, bytesUp, outputs.Extras.Count == 0 ? null : outputs.Extras);

            if (attack is not null && a.Byzantine is { } role)
            {
                if (attack.Colludes)
                {
                    // The coalition crafts every member's update at once and submits it in the member's name.
                    await Coalition(a).ContributeAsync(update, role, scenario);
                    return;
                }
                update = update with { Delta = attack.Craft([update.Delta], new PoisoningContext(a.Round, role.CohortSize, role.Members, role.CraftSeed))[0] };
            }
            await experiment.SubmitUpdateAsync(update);
        }
        catch (Exception ex)
        {
            LogTrainingFailed(logger, ex, DeviceIndex, a.Round);
            if (attack is { Colludes: true } && a.Byzantine is { } role)
                await Coalition(a).WithdrawAsync(DeviceIndex, role, scenario);
            await experiment.ReportFailureAsync(new ClientFailureReport(DeviceIndex, a.Round, ex.Message));
        }
        finally
        {
            // Sampled devices are the only ones ever active; release this one until it is sampled again.
            DeactivateOnIdle();
        }
    }

    private ICoalitionGrain Coalition(RoundAssignment a) => GrainFactory.GetGrain<ICoalitionGrain>($"{a.ExperimentId}/{a.Round}");

    [LoggerMessage(Level = LogLevel.Warning, Message = "Device {Device} failed to train in round {Round}")]
    private static partial void LogTrainingFailed(ILogger logger, Exception ex, long device, int round);
}

/// <summary>A device's stored state versions (at most two: the newest before the latest round, and the latest).</summary>
[GenerateSerializer]
public sealed class DeviceStateRecord
{
    [Id(0)] public List<DeviceState> Versions { get; set; } = [];
}

/// <summary>
/// Reads and writes a device's <see cref="DeviceState"/> through the checkpoint storage provider, on demand (an
/// activation-time [PersistentState] would cost every sampled device a storage read, stateful algorithm or not).
/// A write for round r replaces versions from r on (a replayed round) and keeps the newest older one, so a replay
/// of round r reads exactly what the first attempt read.
/// </summary>
internal sealed class DeviceStateStore(IServiceProvider services, GrainId grain)
{
    private const string StateName = "device";
    private readonly IGrainStorage _storage = services.GetRequiredKeyedService<IGrainStorage>(Coordination.FedSimStorage.Checkpoints);
    private GrainState<DeviceStateRecord>? _record;

    public async Task<DeviceState?> ReadBeforeAsync(int round)
    {
        var record = await LoadAsync();
        return record.State!.Versions.Where(v => v.Round < round).MaxBy(v => v.Round);
    }

    public async Task WriteAsync(DeviceState state)
    {
        var record = await LoadAsync();
        var older = record.State!.Versions.Where(v => v.Round < state.Round).MaxBy(v => v.Round);
        record.State!.Versions = older is null ? [state] : [older, state];
        await _storage.WriteStateAsync(StateName, grain, record);
    }

    private async Task<GrainState<DeviceStateRecord>> LoadAsync()
    {
        if (_record is not null) return _record;
        var record = new GrainState<DeviceStateRecord>(new DeviceStateRecord());
        await _storage.ReadStateAsync(StateName, grain, record);
        record.State ??= new DeviceStateRecord();
        return _record = record;
    }
}

/// <summary>The device grain key: "experimentId/deviceIndex".</summary>
public readonly record struct DeviceKey(string ExperimentId, long Device)
{
    public override string ToString() => $"{ExperimentId}/{Device}";

    public static DeviceKey Parse(string key)
    {
        int slash = key.LastIndexOf('/');
        if (slash <= 0 || !long.TryParse(key.AsSpan(slash + 1), out long device))
            throw new ArgumentException($"device key '{key}' is not 'experimentId/deviceIndex'");
        return new DeviceKey(key[..slash], device);
    }
}
