using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using FedSim.Components;

namespace FedSim.Strategies.Aggregators;

/// <summary>
/// Geometric median, RFA (Pillutla, Kakade and Harchaoui 2022, "Robust Aggregation for Federated Learning", IEEE
/// Transactions on Signal Processing 70, Algorithms 2 and 3): the point v minimising Σ αᵢ‖v − wᵢ‖ with αᵢ
/// proportional to each update's examples, approximated by the smoothed Weiszfeld algorithm. Unlike the
/// coordinate-wise median it is one point of the whole space, and it resists any set of updates holding less
/// than half the total weight (breakdown point 1/2).
/// </summary>
[ComponentKind("geometric-median", Order = 8), GenerateSerializer]
[Description("Geometric median of the updates, example-weighted (RFA, Pillutla et al. 2022): a few smoothed Weiszfeld iterations from the weighted mean; tolerates f < n/2.")]
public sealed class GeometricMedianOptions : AggregatorOptions
{
    [Id(0), Description("Most Weiszfeld iterations per round (RFA finds a few enough; each costs one pass over the updates).")]
    [Range(1, 1000)]
    public int MaxIterations { get; set; } = 3;

    [Id(1), Description("Smoothing ν: distances below ν count as ν, so an update at the current estimate cannot take infinite weight.")]
    [Range(0, double.MaxValue, MinimumIsExclusive = true)]
    public double Smoothing { get; set; } = 1e-6;

    [Id(2), Description("Stop early once an iteration improves the smoothed objective Σ αᵢ‖v − wᵢ‖ by less than this fraction of it; 0 always runs max_iterations.")]
    [Range(0, double.MaxValue)]
    public double Tolerance { get; set; } = 1e-6;

    public override IAggregator Create(int assumedByzantine) => new GeometricMedianAggregator(MaxIterations, Smoothing, Tolerance);

    public override IEnumerable<ComponentFinding> Check(string path, int cohort, int assumedByzantine)
    {
        // The breakdown point is 1/2: honest updates must outnumber the Byzantine ones (with equal example counts).
        if (cohort < 2 * assumedByzantine + 1)
            yield return new ComponentFinding("training.devices_per_round",
                $"geometric-median needs a majority of honest updates, n ≥ 2f + 1: n = {cohort} (training.devices_per_round) with f = {assumedByzantine} " +
                $"(Byzantine clients expected per round from byzantine.fraction) needs n ≥ {2 * assumedByzantine + 1}: " +
                $"raise training.devices_per_round to ≥ {2 * assumedByzantine + 1} or lower byzantine.fraction");
    }
}

/// <summary>
/// The smoothed Weiszfeld iteration: from the example-weighted mean, βᵢ = αᵢ / max(ν, ‖v − wᵢ‖) and
/// v ← Σ βᵢwᵢ / Σ βᵢ, until <c>max_iterations</c> or a relative improvement of the smoothed objective below
/// <c>tolerance</c>. Reports the iterations run (<c>geometric_median_iterations</c>). Computed in double; the
/// example weights stay in the objective, as in RFA, so an update's pull grows with its examples.
/// </summary>
public sealed class GeometricMedianAggregator : IAggregator
{
    public const string IterationsMetric = "geometric_median_iterations";

    private readonly int _maxIterations;
    private readonly double _smoothing;
    private readonly double _tolerance;

    public GeometricMedianAggregator(int maxIterations, double smoothing, double tolerance)
    {
        if (maxIterations < 1) throw new ArgumentOutOfRangeException(nameof(maxIterations), maxIterations, "max_iterations must be ≥ 1");
        if (!(smoothing > 0) || !double.IsFinite(smoothing)) throw new ArgumentOutOfRangeException(nameof(smoothing), smoothing, "smoothing must be a finite number > 0");
        if (!(tolerance >= 0) || !double.IsFinite(tolerance)) throw new ArgumentOutOfRangeException(nameof(tolerance), tolerance, "tolerance must be a finite number ≥ 0");
        (_maxIterations, _smoothing, _tolerance) = (maxIterations, smoothing, tolerance);
    }

    public AggregationResult Aggregate(AggregationInput input)
    {
        var results = input.Results;
        if (results.Count == 0) return AggregationResult.Nothing;
        var (update, iterations) = WeightedGeometricMedian(results.Select(r => r.Delta).ToList(),
            results.Select(r => (double)r.Examples).ToList(), _maxIterations, _smoothing, _tolerance);
        return new AggregationResult(update, results.Select(r => r.DeviceId).ToArray(),
            new Dictionary<string, double> { [IterationsMetric] = iterations });
    }

    /// <summary>
    /// The smoothed Weiszfeld estimate of the weighted geometric median and the iterations it ran. Weights need not
    /// sum to 1 (only their ratios matter).
    /// </summary>
    public static (double[] Median, int Iterations) WeightedGeometricMedian(IReadOnlyList<float[]> vectors, IReadOnlyList<double> weights,
        int maxIterations, double smoothing, double tolerance)
    {
        // WeightedMean checks counts, lengths and weights, so the loop below can trust them.
        var v = AggregationMath.WeightedMean(vectors, weights);
        int n = vectors.Count;
        var distances = new double[n];
        double objective = SmoothedObjective(v, vectors, weights, smoothing, distances);
        int iterations = 0;
        while (iterations < maxIterations)
        {
            var next = new double[v.Length];
            double total = 0;
            for (int k = 0; k < n; k++)
            {
                double beta = weights[k] / Math.Max(smoothing, distances[k]);
                total += beta;
                var w = vectors[k];
                for (int i = 0; i < next.Length; i++) next[i] += beta * w[i];
            }
            for (int i = 0; i < next.Length; i++) next[i] /= total;
            iterations++;
            double nextObjective = SmoothedObjective(next, vectors, weights, smoothing, distances);
            double improvement = objective - nextObjective;
            (v, objective) = (next, nextObjective);
            // Each step is a majorise-minimise step of the smoothed objective, so it never rises (up to rounding).
            if (improvement <= tolerance * nextObjective) break;
        }
        return (v, iterations);
    }

    /// <summary>
    /// Σ αᵢ‖v − wᵢ‖_ν with the paper's smoothed norm (‖z‖ when ‖z‖ ≥ ν, else ‖z‖²/(2ν) + ν/2); fills the distances.
    /// </summary>
    private static double SmoothedObjective(double[] v, IReadOnlyList<float[]> vectors, IReadOnlyList<double> weights, double smoothing, double[] distances)
    {
        double sum = 0;
        for (int k = 0; k < vectors.Count; k++)
        {
            var w = vectors[k];
            double s = 0;
            for (int i = 0; i < v.Length; i++)
            {
                double d = v[i] - w[i];
                s += d * d;
            }
            double distance = Math.Sqrt(s);
            distances[k] = distance;
            sum += weights[k] * (distance >= smoothing ? distance : s / (2 * smoothing) + smoothing / 2);
        }
        return sum;
    }
}
