namespace FedSim.Strategies;

/// <summary>One successful client result as a strategy sees it (pure data, no Orleans types).</summary>
/// <param name="DeviceId">Client identity; results arrive sorted by it so aggregation order is fixed.</param>
/// <param name="Delta">Trained weights minus the round's global weights.</param>
/// <param name="Examples">Local training examples (FedAvg's weight).</param>
public sealed record ClientResult(long DeviceId, float[] Delta, int Examples);

/// <summary>A client that was sampled but produced no usable result this round.</summary>
public sealed record ClientFailure(long DeviceId, string Reason);

/// <summary>Everything a strategy needs to aggregate one round.</summary>
public sealed record AggregationInput(int Round, float[] GlobalWeights, IReadOnlyList<ClientResult> Results, IReadOnlyList<ClientFailure> Failures);

/// <summary>
/// A server-side aggregation strategy (Flower-shaped: aggregate results *and* failures). Implementations
/// are pure C#, deterministic for a given input order, and keep any state they need in
/// <see cref="ExportState"/> so the coordinator can checkpoint and resume them.
/// </summary>
public interface IAggregationStrategy
{
    string Name { get; }

    /// <summary>Returns the next global weights. Must not modify the input arrays.</summary>
    float[] Aggregate(AggregationInput input);

    /// <summary>Server state to checkpoint (e.g. server optimizer moments); null for stateless strategies.</summary>
    byte[]? ExportState() => null;

    void ImportState(byte[]? state) { }
}
