using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using FedSim.Components;

namespace FedSim.Strategies.Aggregators;

/// <summary>
/// Norm bounding (Sun et al. 2019, "Can You Really Backdoor Federated Learning?", Section 4): each update Δ is
/// clipped to Δ / max(1, ‖Δ‖₂ / M), then the clipped updates are averaged with FedAvg's example weights. A boosted
/// (model-replacement) backdoor update loses its boost; honest updates below M pass unchanged.
/// </summary>
[ComponentKind("norm-bound", Order = 6), GenerateSerializer]
[Description("Norm bounding (Sun et al. 2019): clip each update to L2 norm ≤ max_norm, then the example-weighted mean.")]
public sealed class NormBoundOptions : AggregatorOptions
{
    [Id(0), Description("Largest L2 norm M an update may have; longer updates are scaled down to M before averaging.")]
    [Range(0, double.MaxValue, MinimumIsExclusive = true)]
    public double MaxNorm { get; set; } = 1.0;

    public override IAggregator Create(int assumedByzantine) => new NormBoundAggregator(MaxNorm);
}

/// <summary>Clip to <c>max_norm</c>, then the example-weighted mean; reports how many updates were clipped (<c>norm_bound_clipped</c>).</summary>
public sealed class NormBoundAggregator : IAggregator
{
    public const string ClippedMetric = "norm_bound_clipped";

    private readonly double _maxNorm;

    public NormBoundAggregator(double maxNorm)
        => _maxNorm = maxNorm > 0 && double.IsFinite(maxNorm) ? maxNorm : throw new ArgumentOutOfRangeException(nameof(maxNorm), maxNorm, "max_norm must be a finite number > 0");

    public AggregationResult Aggregate(AggregationInput input)
    {
        var results = input.Results;
        if (results.Count == 0) return AggregationResult.Nothing;
        int clipped = 0;
        var bounded = new List<float[]>(results.Count);
        foreach (var r in results)
        {
            double norm = AggregationMath.Norm(r.Delta);
            if (norm <= _maxNorm)
            {
                bounded.Add(r.Delta);
                continue;
            }
            clipped++;
            bounded.Add(Clip(r.Delta, _maxNorm / norm));
        }
        var update = AggregationMath.WeightedMean(bounded, results.Select(r => (double)r.Examples).ToList());
        return new AggregationResult(update, results.Select(r => r.DeviceId).ToArray(),
            new Dictionary<string, double> { [ClippedMetric] = clipped });
    }

    /// <summary>A scaled copy; the input stays as it was.</summary>
    private static float[] Clip(float[] delta, double factor)
    {
        var c = new float[delta.Length];
        for (int i = 0; i < c.Length; i++) c[i] = (float)(delta[i] * factor);
        return c;
    }
}
