using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using System.Runtime.CompilerServices;
using FedSim.Components;

namespace FedSim.Strategies.Aggregators;

/// <summary>
/// Bulyan (El Mhamdi, Guerraoui and Rouault 2018, "The Hidden Vulnerability of Distributed Learning in Byzantium",
/// Section 4): pick θ = n − 2f updates by iterated Krum (each pick leaves the pool and the scores are recomputed
/// among the rest), then per coordinate average the β = θ − 2f values of the picked updates closest to that
/// coordinate's median. Unweighted. Needs n ≥ 4f + 3.
/// </summary>
[ComponentKind("bulyan", Order = 5), GenerateSerializer]
[Description("Bulyan (El Mhamdi et al. 2018): θ = n − 2f updates by iterated Krum, then per coordinate the mean of the β = θ − 2f values closest to the median; unweighted; needs n ≥ 4f + 3.")]
public sealed class BulyanOptions : AggregatorOptions
{
    [Id(0), Description("Byzantine updates f to tolerate per round; empty means the Byzantine clients expected per round (byzantine.fraction × devices_per_round).")]
    [Range(0, int.MaxValue)]
    public int? F { get; set; }

    public override IAggregator Create(int assumedByzantine) => new BulyanAggregator(F ?? assumedByzantine);

    public override IEnumerable<ComponentFinding> Check(string path, int cohort, int assumedByzantine)
        => KrumAggregator.CheckTolerance("bulyan", path, F, cohort, assumedByzantine, multiplier: 4);
}

/// <summary>
/// Bulyan's two stages. With dropouts, f is lowered to ⌊(n − 3)/4⌋, the most n updates tolerate, and reported as
/// <c>bulyan_f</c>; fewer than 3 updates add nothing (<c>bulyan_skipped</c> = 1). Equal Krum scores go to the
/// lower device id; equal distances to the median to the smaller value.
/// </summary>
public sealed class BulyanAggregator : IAggregator
{
    public const string FMetric = "bulyan_f";
    public const string SkippedMetric = "bulyan_skipped";

    private readonly int _f;

    public BulyanAggregator(int f) => _f = f >= 0 ? f : throw new ArgumentOutOfRangeException(nameof(f), f, "f must be ≥ 0");

    public AggregationResult Aggregate(AggregationInput input)
    {
        var results = input.Results;
        if (results.Count == 0) return AggregationResult.Nothing;
        if (results.Count < KrumAggregator.MinimumUpdates) return KrumAggregator.Skipped(SkippedMetric);
        int n = results.Count;
        int f = Math.Min(_f, TolerableF(n));
        var deltas = results.Select(r => r.Delta).ToList();
        var selected = Select(deltas, f, n - 2 * f);
        var picked = selected.Select(i => deltas[i]).ToList();
        // One sort per coordinate serves both the median and the values closest to it.
        var update = AggregationMath.CoordinateWiseSorted(picked, (_, sorted) => ClosestMean(sorted, MedianAggregator.OfSorted(sorted), n - 4 * f));
        return new AggregationResult(update, selected.Select(i => results[i].DeviceId).ToArray(), new Dictionary<string, double>
        {
            [FMetric] = f,
            [SkippedMetric] = 0,
        });
    }

    /// <summary>The largest f that n updates tolerate under n ≥ 4f + 3.</summary>
    public static int TolerableF(int n) => Math.Max((n - 3) / 4, 0);

    /// <summary>
    /// Bulyan's first stage: <paramref name="count"/> indices chosen one at a time by Krum (with <paramref name="f"/>)
    /// over the vectors not chosen yet; returned in index order.
    /// </summary>
    public static int[] Select(IReadOnlyList<float[]> vectors, int f, int count)
    {
        var neighbours = new KrumNeighbours(AggregationMath.PairwiseSquaredDistances(vectors));
        var remaining = Enumerable.Range(0, vectors.Count).ToList();
        var chosen = new List<int>(count);
        while (chosen.Count < count)
        {
            int best = KrumAggregator.Best(neighbours.Scores(remaining, f));
            chosen.Add(remaining[best]);
            remaining.RemoveAt(best);
        }
        chosen.Sort();
        return [.. chosen];
    }

    /// <summary>
    /// Bulyan's second stage: per coordinate, the mean of the <paramref name="count"/> values closest to
    /// <paramref name="reference"/>'s coordinate. Equal distances go to the smaller value, so the result depends on
    /// the values alone, never on the order of the vectors.
    /// </summary>
    public static double[] MeanOfClosest(IReadOnlyList<float[]> vectors, IReadOnlyList<double> reference, int count)
    {
        int n = vectors.Count;
        if (count < 1 || count > n) throw new ArgumentOutOfRangeException(nameof(count), count, $"cannot average {count} of {n} values");
        int d = reference.Count;
        foreach (var v in vectors)
            if (v.Length != d) throw new ArgumentException($"vectors have {v.Length} values, the reference {d}", nameof(vectors));
        return AggregationMath.CoordinateWiseSorted(vectors, (i, sorted) => ClosestMean(sorted, reference[i], count));
    }

    /// <summary>The mean of the <paramref name="count"/> sorted values closest to r.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static double ClosestMean(ReadOnlySpan<float> column, double r, int count)
    {
        int n = column.Length;
        // The values closest to r form a contiguous run of the sorted column: grow it from where r would sit,
        // taking the nearer neighbour each time (equal distances: the left, smaller one).
        int right = 0;
        while (right < n && column[right] <= r) right++;
        int left = right - 1;
        double sum = 0;
        for (int taken = 0; taken < count; taken++)
        {
            bool takeLeft = right >= n || (left >= 0 && r - column[left] <= column[right] - r);
            sum += takeLeft ? column[left--] : column[right++];
        }
        return sum / count;
    }
}
