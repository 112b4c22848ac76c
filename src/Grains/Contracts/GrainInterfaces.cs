namespace FedSim.Contracts;

/// <summary>
/// A simulated device: owns its private data shard and device profile, trains locally on the silo's
/// compute pool when assigned a round, and returns only a <see cref="ClientUpdate"/>.
/// Keyed by "experimentId/deviceIndex".
/// </summary>
public interface IDeviceGrain : IGrainWithStringKey
{
    /// <summary>Trains on the local shard from the broadcast global model and returns the update.</summary>
    Task<ClientUpdate> TrainAsync(RoundAssignment assignment);

    /// <summary>The device's generated profile (for results and straggler simulation).</summary>
    Task<DeviceProfile> GetProfileAsync();

    /// <summary>Number of local training samples (metadata only, never the samples themselves).</summary>
    Task<int> GetExampleCountAsync();
}

/// <summary>
/// Runs one experiment: samples cohorts, broadcasts the global model, collects updates, aggregates
/// with the configured strategy, evaluates, checkpoints after every round and publishes reports.
/// Rounds run in the background (grain timer), so no call waits on a whole run.
/// </summary>
public interface IExperimentGrain : IGrainWithStringKey
{
    /// <summary>Starts (or resumes from the last checkpoint) the experiment; returns at once.</summary>
    Task StartAsync(ScenarioSpec scenario);

    /// <summary>Progress and the reports of all finished rounds.</summary>
    Task<ExperimentStatus> GetStatusAsync();

    /// <summary>The reports after <paramref name="afterRound"/> (for polling observers).</summary>
    Task<IReadOnlyList<RoundReport>> GetReportsSinceAsync(int afterRound);

    /// <summary>The current global model weights (the released model).</summary>
    Task<GlobalModel> GetGlobalModelAsync();
}
