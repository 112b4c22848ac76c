using FedSim.Training;

namespace FedSim.Strategies;

/// <summary>What local training produced, as an objective's device-side hook sees it.</summary>
/// <param name="Delta">Trained minus starting weights.</param>
/// <param name="Steps">Optimizer steps actually taken (K).</param>
/// <param name="LearningRate">The local learning rate η_l.</param>
public sealed record LocalTrainingOutcome(float[] Delta, int Steps, float LearningRate);

/// <summary>A device objective's outputs: its next state (null: unchanged) and vectors sent with its update.</summary>
public sealed record ClientOutputs(DeviceState? NextState, IReadOnlyDictionary<string, float[]> Extras)
{
    public static ClientOutputs None { get; } = new(null, new Dictionary<string, float[]>());

    /// <summary>Bytes the extras add to the upload.</summary>
    public long ExtraBytes => Extras.Values.Sum(v => (long)v.Length * sizeof(float));
}

/// <summary>
/// What a client does locally and what it exchanges beyond its weight delta: the first of an algorithm's
/// three parts (objective × aggregator × server optimizer). This base is FedAvg's plain local training;
/// subclasses override only what they change. Device-side hooks run in the device grain, server-side
/// hooks in the coordinator; all are pure.
/// </summary>
public class ClientObjective
{
    protected static readonly IReadOnlyDictionary<string, float[]> NoVectors = new Dictionary<string, float[]>();

    /// <summary>Plan modifiers every honest device trains with (FedProx's proximal term, SCAFFOLD's correction).</summary>
    public virtual IReadOnlyList<PlanModifier> Modifiers => [];

    /// <summary>Whether devices keep state between rounds (then the device grain loads and saves a <see cref="DeviceState"/>).</summary>
    public virtual bool UsesDeviceState => false;

    /// <summary>Model-sized vectors a device uploads beyond its delta (SCAFFOLD's Δc_i): part of its simulated upload time.</summary>
    public virtual int ExtraUploadVectors => 0;

    /// <summary>
    /// Whether the server side reads each client's result on its own (FedNova rescales each delta, SCAFFOLD sums each
    /// Δc_i in the clear): such objectives cannot run under secure aggregation or DP-FedAvg.
    /// </summary>
    public virtual bool ServerReadsIndividualResults => ExtraUploadVectors > 0;

    /// <summary>Vectors the server sends with the global model (counted as download bytes), from its state.</summary>
    public virtual IReadOnlyDictionary<string, float[]> Broadcast(ServerState state, int parameters) => NoVectors;

    /// <summary>Device side, before training: per-device input vectors of the job (stacked like the weights in a cohort).</summary>
    public virtual IReadOnlyDictionary<string, float[]> DeviceInputs(IReadOnlyDictionary<string, float[]> broadcast, DeviceState? state, int parameters)
        => NoVectors;

    /// <summary>Device side, after training: the device's next state and the extras it sends.</summary>
    public virtual ClientOutputs AfterTraining(IReadOnlyDictionary<string, float[]> broadcast, DeviceState? state, LocalTrainingOutcome outcome, int round)
        => ClientOutputs.None;

    /// <summary>
    /// Server side, before aggregation: rewrites results (FedNova normalises each delta by its local work) and
    /// returns the factor the aggregate is multiplied by.
    /// </summary>
    public virtual (IReadOnlyList<DeviceResult> Results, double Scale) Normalize(IReadOnlyList<DeviceResult> results) => (results, 1.0);

    /// <summary>Server side, after aggregation: updates the objective's own server state from the results the aggregator used.</summary>
    public virtual void UpdateServerState(ServerState state, IReadOnlyList<DeviceResult> used, RoundContext context) { }
}
