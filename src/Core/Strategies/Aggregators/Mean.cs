using System.ComponentModel;
using FedSim.Components;

namespace FedSim.Strategies.Aggregators;

/// <summary>FedAvg's combination (McMahan et al. 2017): the example-weighted mean Σ nₖΔₖ / Σ nₖ.</summary>
[ComponentKind("mean", Order = 0), GenerateSerializer]
[Description("Example-weighted mean of the updates (FedAvg's rule; no Byzantine robustness).")]
public sealed class MeanOptions : AggregatorOptions
{
    public override IAggregator Create(int assumedByzantine) => new MeanAggregator();

    /// <summary>A weighted mean is a weighted sum divided by the weights' sum: secure aggregation can compute it.</summary>
    public override bool NeedsIndividualUpdates => false;
}

public sealed class MeanAggregator : IAggregator
{
    public AggregationResult Aggregate(AggregationInput input)
    {
        var results = input.Results;
        if (results.Count == 0) return AggregationResult.Nothing;
        var update = AggregationMath.WeightedMean(results.Select(r => r.Delta).ToList(), results.Select(r => (double)r.Examples).ToList());
        return new AggregationResult(update, results.Select(r => r.DeviceId).ToArray(), new Dictionary<string, double>());
    }
}
