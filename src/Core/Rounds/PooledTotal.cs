namespace FedSim.Rounds;

/// <summary>
/// Σ wₖΔₖ over the used devices (each weighted by its examples), who they are and Σ wₖ: FedAvg's mean is
/// <see cref="Sum"/> ÷ <see cref="Weight"/>.
/// </summary>
public sealed record PooledTotal(double[] Sum, IReadOnlyList<long> Contributors, double Weight);
