using System.ComponentModel;
using FedSim.Components;

namespace FedSim.Strategies.Aggregators;

/// <summary>
/// Coordinate-wise median (Yin et al. 2018, "Byzantine-Robust Distributed Learning: Towards Optimal Statistical
/// Rates"): every coordinate of the result is the median of that coordinate over the updates, so fewer than half
/// of them cannot drag it anywhere. Unweighted, as in the paper.
/// </summary>
[ComponentKind("median", Order = 1), GenerateSerializer]
[Description("Coordinate-wise median of the updates, unweighted (Yin et al. 2018); tolerates f < n/2.")]
public sealed class MedianOptions : AggregatorOptions
{
    public override IAggregator Create(int assumedByzantine) => new MedianAggregator();

    public override IEnumerable<ComponentFinding> Check(string path, int cohort, int assumedByzantine)
    {
        // Each coordinate's median is an honest value only while honest updates are the majority.
        if (cohort < 2 * assumedByzantine + 1)
            yield return new ComponentFinding("training.devices_per_round",
                $"median needs a majority of honest updates, n ≥ 2f + 1: n = {cohort} (training.devices_per_round) with f = {assumedByzantine} " +
                $"(Byzantine clients expected per round from byzantine.fraction) needs n ≥ {2 * assumedByzantine + 1}: " +
                $"raise training.devices_per_round to ≥ {2 * assumedByzantine + 1} or lower byzantine.fraction");
    }
}

/// <summary>The coordinate-wise median; with an even count the mean of the two middle values (as numpy.median).</summary>
public sealed class MedianAggregator : IAggregator
{
    public AggregationResult Aggregate(AggregationInput input)
    {
        var results = input.Results;
        if (results.Count == 0) return AggregationResult.Nothing;
        var update = CoordinateMedian(results.Select(r => r.Delta).ToList());
        return new AggregationResult(update, results.Select(r => r.DeviceId).ToArray(), new Dictionary<string, double>());
    }

    /// <summary>Per coordinate, the median of the vectors' values (even count: mean of the two middle ones).</summary>
    public static double[] CoordinateMedian(IReadOnlyList<float[]> vectors)
    {
        if (vectors.Count == 0) throw new ArgumentException("no vectors to take the median of", nameof(vectors));
        return AggregationMath.CoordinateWiseSorted(vectors, (_, sorted) => OfSorted(sorted));
    }

    /// <summary>The middle of sorted values (even count: the mean of the two middle ones).</summary>
    public static double OfSorted(ReadOnlySpan<float> sorted)
    {
        int n = sorted.Length;
        return n % 2 == 1 ? sorted[n / 2] : ((double)sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    }
}
