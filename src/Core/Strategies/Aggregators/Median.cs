using System.ComponentModel;
using System.Runtime.CompilerServices;
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
        int n = vectors.Count, d = vectors[0].Length;
        foreach (var v in vectors)
            if (v.Length != d) throw new ArgumentException($"vectors have {d} and {v.Length} values", nameof(vectors));
        return AggregationMath.CoordinateWise(vectors, (_, column) => MedianOf(column));
    }

    /// <summary>
    /// The median by selection rather than a full sort: the k-th smallest value is the same value whichever
    /// algorithm finds it (equal values are equal; at most the sign of a zero differs), so this is the sorted
    /// column's middle. NaN has no place in a selection's comparisons, so a column with one is sorted as before.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static double MedianOf(Span<float> column)
    {
        int n = column.Length, k = n / 2;
        if (!HasNaN(column))
        {
            float upper = Select(column, k);
            if (n % 2 == 1) return upper;
            float lower = column[0];
            for (int i = 1; i < k; i++) lower = Math.Max(lower, column[i]);
            return ((double)lower + upper) / 2;
        }
        column.Sort();
        return n % 2 == 1 ? column[k] : ((double)column[k - 1] + column[k]) / 2;
    }

    private static bool HasNaN(Span<float> column)
    {
        foreach (float v in column)
            if (float.IsNaN(v)) return true;
        return false;
    }

    /// <summary>
    /// Rearranges <paramref name="values"/> (no NaN) so that position k holds the k-th smallest, everything before it
    /// no larger and everything after it no smaller (Hoare's FIND, median-of-three pivots); short ranges are sorted.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static float Select(Span<float> values, int k)
    {
        int lo = 0, hi = values.Length - 1;
        while (hi - lo >= 16)
        {
            int mid = lo + (hi - lo) / 2;
            float x = values[lo], y = values[mid], z = values[hi];
            float pivot = Math.Max(Math.Min(x, y), Math.Min(Math.Max(x, y), z));
            int i = lo, j = hi;
            while (i <= j)
            {
                while (values[i] < pivot) i++;
                while (values[j] > pivot) j--;
                if (i <= j)
                {
                    (values[i], values[j]) = (values[j], values[i]);
                    i++;
                    j--;
                }
            }
            // [lo, j] ≤ pivot ≤ [i, hi], and whatever lies strictly between j and i equals the pivot.
            if (k <= j) hi = j;
            else if (k >= i) lo = i;
            else return values[k];
        }
        values[lo..(hi + 1)].Sort();
        return values[k];
    }
}
