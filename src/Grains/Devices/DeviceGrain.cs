using FedSim.Compute;
using FedSim.Contracts;
using FedSim.Data;
using Microsoft.Extensions.Logging;

namespace FedSim.Devices;

/// <summary>
/// A simulated device. Its shard is derived from the scenario on whichever silo it activates; its
/// training runs on that silo's compute pool; only the weight delta and statistics leave it.
/// Devices deactivate after each round, so a million registered devices cost nothing until sampled.
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
        => Task.FromResult(DeviceProfiles.Generate(scenario.Seed, DeviceIndex));

    public Task<int> GetExampleCountAsync(ScenarioSpec scenario)
        => Task.FromResult(data.Get(scenario).Shard(DeviceIndex).Count);

    private async Task TrainAndReportAsync(RoundAssignment a)
    {
        var experiment = GrainFactory.GetGrain<IExperimentGrain>(ExperimentId);
        try
        {
            var shard = data.Get(a.Scenario).Shard(DeviceIndex);
            var job = new TrainingJob(DeviceIndex, a.Model, a.Plan, a.Global.Weights, shard, a.TrainingSeed);
            var result = await pool.TrainAsync(job);
            var profile = DeviceProfiles.Generate(a.Scenario.Seed, DeviceIndex);
            long bytesDown = (long)a.Global.Weights.Length * sizeof(float);
            long bytesUp = (long)result.Delta.Length * sizeof(float);
            double seconds = DeviceProfiles.SimulatedSeconds(profile, bytesDown, (long)result.Examples * a.Plan.LocalEpochs, bytesUp);
            await experiment.SubmitUpdateAsync(new ClientUpdate(DeviceIndex, a.Round, result.Delta, result.Examples,
                result.Steps, result.MeanLoss, seconds, bytesDown, bytesUp));
        }
        catch (Exception ex)
        {
            LogTrainingFailed(logger, ex, DeviceIndex, a.Round);
            await experiment.ReportFailureAsync(new ClientFailureReport(DeviceIndex, a.Round, ex.Message));
        }
        finally
        {
            // Sampled devices are the only ones ever active; release this one until it is sampled again.
            DeactivateOnIdle();
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Device {Device} failed to train in round {Round}")]
    private static partial void LogTrainingFailed(ILogger logger, Exception ex, long device, int round);
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
