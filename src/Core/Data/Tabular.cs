using FedSim.Determinism;

namespace FedSim.Data;

/// <summary>Shared steps for tabular datasets: seeded train/test split and z-score standardization.</summary>
public static class Tabular
{
    /// <summary>
    /// Device value of the train/test split stream. Seeds.None (-1) is the partition over devices, so the split
    /// uses its own stream in the same purpose family and the two never share draws.
    /// </summary>
    public const long SplitStream = -2;

    /// <summary>
    /// Stratified, seeded split: within every class, a shuffled <paramref name="testFraction"/> of the samples
    /// (rounded) goes to test. Returned index lists are ascending so datasets keep their file order.
    /// </summary>
    public static (int[] Train, int[] Test) StratifiedSplit(int[] labels, int classCount, double testFraction, ulong seed)
    {
        var byClass = new List<int>[classCount];
        for (int c = 0; c < classCount; c++) byClass[c] = new List<int>();
        for (int i = 0; i < labels.Length; i++) byClass[labels[i]].Add(i);
        return SplitEach(byClass.Select(m => m.ToArray()).ToArray(), labels.Length, testFraction, seed);
    }

    /// <summary>
    /// Seeded split by owner: each group's samples are shuffled and <paramref name="testFraction"/> of them (rounded)
    /// go to test, but every group keeps at least one training sample, so the natural partition has no empty device.
    /// Same stream as <see cref="StratifiedSplit"/>; index lists ascending.
    /// </summary>
    public static (int[] Train, int[] Test) GroupedSplit(int[] groups, int groupCount, double testFraction, ulong seed)
    {
        var byGroup = new int[groupCount][];
        var counts = new int[groupCount];
        foreach (int g in groups) counts[g]++;
        for (int g = 0; g < groupCount; g++) byGroup[g] = new int[counts[g]];
        Array.Clear(counts);
        for (int i = 0; i < groups.Length; i++) byGroup[groups[i]][counts[groups[i]]++] = i;
        return SplitEach(byGroup, groups.Length, testFraction, seed);
    }

    private static (int[] Train, int[] Test) SplitEach(int[][] members, int total, double testFraction, ulong seed)
    {
        if (testFraction is <= 0 or >= 1 || double.IsNaN(testFraction))
            throw new ArgumentOutOfRangeException(nameof(testFraction), testFraction, "test_fraction must be strictly between 0 and 1.");
        var rng = new DeterministicRandom(Seeds.Derive(seed, Seeds.None, SplitStream, SeedPurpose.Partition));
        var train = new List<int>(total);
        var test = new List<int>((int)(total * testFraction) + members.Length);
        foreach (var arr in members)
        {
            rng.Shuffle<int>(arr);
            int nTest = (int)Math.Round(arr.Length * testFraction, MidpointRounding.AwayFromZero);
            // Keep at least one training sample for every class (or owner) that has one.
            if (nTest == arr.Length && arr.Length > 0) nTest--;
            test.AddRange(arr.AsSpan(0, nTest));
            train.AddRange(arr.AsSpan(nTest));
        }
        train.Sort();
        test.Sort();
        return (train.ToArray(), test.ToArray());
    }

    /// <summary>Per-column mean and standard deviation (population) of a row-major matrix.</summary>
    public static (double[] Mean, double[] Std) ColumnStats(float[] features, int featureCount)
    {
        int n = features.Length / featureCount;
        var mean = new double[featureCount];
        var m2 = new double[featureCount];
        for (int r = 0; r < n; r++)
            for (int c = 0; c < featureCount; c++) mean[c] += features[r * featureCount + c];
        for (int c = 0; c < featureCount; c++) mean[c] /= Math.Max(n, 1);
        for (int r = 0; r < n; r++)
            for (int c = 0; c < featureCount; c++)
            {
                double d = features[r * featureCount + c] - mean[c];
                m2[c] += d * d;
            }
        var std = new double[featureCount];
        for (int c = 0; c < featureCount; c++) std[c] = Math.Sqrt(m2[c] / Math.Max(n, 1));
        return (mean, std);
    }

    /// <summary>
    /// Applies z = (x - mean) / std in place, columns selected by <paramref name="columns"/> (all when null).
    /// Constant columns (std 0) are only centred.
    /// </summary>
    public static void Standardize(float[] features, int featureCount, double[] mean, double[] std, IReadOnlyList<int>? columns = null)
    {
        int n = features.Length / featureCount;
        var cols = columns ?? Enumerable.Range(0, featureCount).ToArray();
        foreach (int c in cols)
        {
            double s = std[c] > 1e-12 ? std[c] : 1.0;
            float m = (float)mean[c], inv = (float)(1 / s);
            for (int r = 0; r < n; r++)
            {
                ref float v = ref features[r * featureCount + c];
                v = (v - m) * inv;
            }
        }
    }
}
