namespace FedSim.Strategies;

/// <summary>
/// Applies the aggregated update to the global model (Reddi et al. 2021's ServerOpt): the update is a
/// pseudo-gradient pointing where the clients moved (mean delta), so plain SGD adds η times it.
/// Keeps its moments in <see cref="ServerState"/> under its own names.
/// </summary>
public interface IServerOptimizer
{
    /// <summary>The next global weights; must not modify <paramref name="global"/> or <paramref name="update"/>.</summary>
    float[] Step(float[] global, double[] update, ServerState state);
}
