using FedSim.Strategies;
using FedSim.Strategies.Aggregators;

namespace FedSim.Scenarios.Bench;

/// <summary>
/// The robust aggregators' arithmetic as straightforward scalar loops (one pair, one coordinate at a time, a full
/// sort per row and per coordinate): the definition the vectorized code in FedSim.Strategies must reproduce bit
/// for bit, and the "before" of <c>fedsim bench aggregators</c>. Krum: Blanchard et al. 2017; Bulyan: El Mhamdi et
/// al. 2018; coordinate-wise median and trimmed mean: Yin et al. 2018.
/// </summary>
internal static class ScalarAggregation
{
    /// <summary>Every pair's ‖a − b‖₂², each summed coordinate by coordinate in double.</summary>
    public static double[,] PairwiseSquaredDistances(IReadOnlyList<float[]> vectors)
    {
        int n = vectors.Count;
        var d = new double[n, n];
        for (int i = 0; i < n; i++)
            for (int j = i + 1; j < n; j++)
                d[i, j] = d[j, i] = AggregationMath.SquaredDistance(vectors[i], vectors[j]);
        return d;
    }

    /// <summary>Krum's scores of <paramref name="members"/> among themselves, sorting each member's row.</summary>
    public static double[] KrumScores(double[,] squaredDistances, IReadOnlyList<int> members, int f)
    {
        int n = members.Count;
        int neighbours = Math.Max(n - f - 2, 0);
        var scores = new double[n];
        var row = new double[Math.Max(n - 1, 0)];
        for (int a = 0; a < n; a++)
        {
            int c = 0;
            for (int b = 0; b < n; b++)
                if (b != a) row[c++] = squaredDistances[members[a], members[b]];
            Array.Sort(row);
            double sum = 0;
            for (int k = 0; k < neighbours; k++) sum += row[k];
            scores[a] = sum;
        }
        return scores;
    }

    public static double[] KrumScores(IReadOnlyList<float[]> vectors, int f)
        => KrumScores(PairwiseSquaredDistances(vectors), Enumerable.Range(0, vectors.Count).ToArray(), f);

    /// <summary>Krum's choice: the lowest score, ties to the lower index.</summary>
    public static int Krum(IReadOnlyList<float[]> vectors, int f) => KrumAggregator.Ranking(KrumScores(vectors, f))[0];

    /// <summary>Multi-Krum: the m lowest scores (in index order) and their unweighted mean.</summary>
    public static (int[] Chosen, double[] Mean) MultiKrum(IReadOnlyList<float[]> vectors, int f, int m)
    {
        var chosen = KrumAggregator.Ranking(KrumScores(vectors, f)).Take(m).Order().ToArray();
        return (chosen, Mean(chosen.Select(i => vectors[i]).ToList()));
    }

    /// <summary>The unweighted mean, summed vector by vector in double.</summary>
    public static double[] Mean(IReadOnlyList<float[]> vectors)
    {
        var sum = new double[vectors[0].Length];
        foreach (var v in vectors)
            for (int i = 0; i < sum.Length; i++) sum[i] += 1.0 * v[i];
        for (int i = 0; i < sum.Length; i++) sum[i] /= vectors.Count;
        return sum;
    }

    /// <summary>Bulyan's first stage: <paramref name="count"/> picks by Krum over what is left, recomputing the scores each time.</summary>
    public static int[] BulyanSelect(IReadOnlyList<float[]> vectors, int f, int count)
    {
        var distances = PairwiseSquaredDistances(vectors);
        var remaining = Enumerable.Range(0, vectors.Count).ToList();
        var chosen = new List<int>(count);
        while (chosen.Count < count)
        {
            int best = KrumAggregator.Ranking(KrumScores(distances, remaining, f))[0];
            chosen.Add(remaining[best]);
            remaining.RemoveAt(best);
        }
        chosen.Sort();
        return [.. chosen];
    }

    /// <summary>Bulyan: θ = n − 2f picks, then per coordinate the mean of the n − 4f values closest to the picks' median.</summary>
    public static (int[] Selected, double[] Update) Bulyan(IReadOnlyList<float[]> vectors, int f)
    {
        int n = vectors.Count;
        var selected = BulyanSelect(vectors, f, n - 2 * f);
        var picked = selected.Select(i => vectors[i]).ToList();
        return (selected, MeanOfClosest(picked, Median(picked), n - 4 * f));
    }

    /// <summary>Per coordinate, the mean of the <paramref name="count"/> values closest to the reference (ties: the smaller).</summary>
    public static double[] MeanOfClosest(IReadOnlyList<float[]> vectors, IReadOnlyList<double> reference, int count)
    {
        int n = vectors.Count, d = reference.Count;
        var result = new double[d];
        var column = new float[n];
        for (int i = 0; i < d; i++)
        {
            for (int k = 0; k < n; k++) column[k] = vectors[k][i];
            Array.Sort(column);
            double r = reference[i];
            int right = 0;
            while (right < n && column[right] <= r) right++;
            int left = right - 1;
            double sum = 0;
            for (int taken = 0; taken < count; taken++)
            {
                bool takeLeft = right >= n || (left >= 0 && r - column[left] <= column[right] - r);
                sum += takeLeft ? column[left--] : column[right++];
            }
            result[i] = sum / count;
        }
        return result;
    }

    /// <summary>Per coordinate, the middle of the sorted values (even count: the mean of the two middle ones).</summary>
    public static double[] Median(IReadOnlyList<float[]> vectors)
    {
        int n = vectors.Count, d = vectors[0].Length;
        var median = new double[d];
        var column = new float[n];
        for (int i = 0; i < d; i++)
        {
            for (int k = 0; k < n; k++) column[k] = vectors[k][i];
            Array.Sort(column);
            median[i] = n % 2 == 1 ? column[n / 2] : ((double)column[n / 2 - 1] + column[n / 2]) / 2;
        }
        return median;
    }

    /// <summary>Per coordinate, the mean of the sorted values left after dropping <paramref name="trim"/> from each end.</summary>
    public static double[] TrimmedMean(IReadOnlyList<float[]> vectors, int trim)
    {
        int n = vectors.Count, d = vectors[0].Length;
        var mean = new double[d];
        var column = new float[n];
        for (int i = 0; i < d; i++)
        {
            for (int k = 0; k < n; k++) column[k] = vectors[k][i];
            Array.Sort(column);
            double sum = 0;
            for (int k = trim; k < n - trim; k++) sum += column[k];
            mean[i] = sum / (n - 2 * trim);
        }
        return mean;
    }
}
