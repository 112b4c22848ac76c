using System.ComponentModel;
using FedSim.Components;

namespace FedSim.Strategies;

/// <summary>Everything an aggregator sees of one round: the results (sorted by device) and the failures.</summary>
/// <param name="ServerUpdate">The server's own update on its root data (FLTrust), when the aggregator asked for one.</param>
public sealed record AggregationInput(RoundContext Context, IReadOnlyList<DeviceResult> Results, IReadOnlyList<DeviceFailure> Failures,
    float[]? ServerUpdate = null);

/// <summary>
/// What an aggregator returns: the combined update (null when nothing usable arrived: the model stays), the
/// devices whose updates it used, and its own metrics (they become metrics.csv columns).
/// </summary>
public sealed record AggregationResult(double[]? Update, IReadOnlyList<long> Used, IReadOnlyDictionary<string, double> Metrics)
{
    public static AggregationResult Nothing { get; } = new(null, [], new Dictionary<string, double>());
}

/// <summary>
/// Combines client updates into one (Flower-shaped: it sees results and failures). Implementations are pure,
/// deterministic for a given input order and must not modify their inputs.
/// </summary>
public interface IAggregator
{
    AggregationResult Aggregate(AggregationInput input);
}

/// <summary>The aggregator family: <c>strategy.aggregator.kind</c> picks one; each kind is one file in Aggregators/.</summary>
[ComponentFamily("aggregator"), GenerateSerializer]
[Description("How client updates are combined before the server optimizer applies them.")]
public abstract class AggregatorOptions : ComponentOptions
{
    /// <summary>Builds the aggregator; <paramref name="assumedByzantine"/> is the default f of aggregators that take one.</summary>
    public abstract IAggregator Create(int assumedByzantine);

    /// <summary>
    /// Whether the aggregator reads individual updates (a median, a distance-based choice) rather than only their
    /// example-weighted sum. Secure aggregation hides individual updates and DP-FedAvg's noise is calibrated to a
    /// sum, so both accept only aggregators that say false. New kinds are assumed to need them.
    /// </summary>
    public virtual bool NeedsIndividualUpdates => true;

    /// <summary>Held-out samples the server trains on each round to get its own update (FLTrust); 0 for most.</summary>
    public virtual int ServerRootSamples => 0;

    /// <summary>
    /// Preconditions that relate this aggregator to the rest of the scenario (Krum needs n ≥ 2f + 3), as findings
    /// about keys under <paramref name="path"/>. <paramref name="cohort"/> is the number of updates per round.
    /// </summary>
    public virtual IEnumerable<ComponentFinding> Check(string path, int cohort, int assumedByzantine) => [];
}
