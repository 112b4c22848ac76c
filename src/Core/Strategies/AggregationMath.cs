namespace FedSim.Strategies;

/// <summary>
/// The arithmetic aggregators share, in small exact functions. Everything accumulates in double in the
/// given order (callers sort results by device), so results never depend on arrival order.
/// </summary>
public static class AggregationMath
{
    /// <summary>
    /// Σ wₖ·xₖ / Σ wₖ. Zero total weight is an error, not a silent NaN.
    /// </summary>
    public static double[] WeightedMean(IReadOnlyList<float[]> vectors, IReadOnlyList<double> weights)
    {
        if (vectors.Count == 0) throw new ArgumentException("no vectors to average", nameof(vectors));
        if (vectors.Count != weights.Count) throw new ArgumentException("one weight per vector is required", nameof(weights));
        int n = vectors[0].Length;
        double total = 0;
        for (int k = 0; k < weights.Count; k++)
        {
            if (!(weights[k] >= 0) || double.IsInfinity(weights[k]))
                throw new ArgumentException($"weight {k} is {weights[k]}; weights must be finite and non-negative", nameof(weights));
            total += weights[k];
        }
        if (total <= 0) throw new ArgumentException("total weight is zero", nameof(weights));
        var sum = new double[n];
        for (int k = 0; k < vectors.Count; k++)
        {
            var v = RequireLength(vectors[k], n, k);
            double w = weights[k];
            for (int i = 0; i < n; i++) sum[i] += w * v[i];
        }
        for (int i = 0; i < n; i++) sum[i] /= total;
        return sum;
    }

    /// <summary>The unweighted mean (1/n)·Σ xₖ.</summary>
    public static double[] Mean(IReadOnlyList<float[]> vectors)
        => WeightedMean(vectors, Enumerable.Repeat(1.0, vectors.Count).ToArray());

    /// <summary>‖x‖₂, accumulated in double.</summary>
    public static double Norm(ReadOnlySpan<float> x)
    {
        double s = 0;
        foreach (float v in x) s += (double)v * v;
        return Math.Sqrt(s);
    }

    /// <summary>‖x‖₂ of a double vector.</summary>
    public static double Norm(ReadOnlySpan<double> x)
    {
        double s = 0;
        foreach (double v in x) s += v * v;
        return Math.Sqrt(s);
    }

    /// <summary>‖a − b‖₂², accumulated in double.</summary>
    public static double SquaredDistance(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        if (a.Length != b.Length) throw new ArgumentException($"vectors have {a.Length} and {b.Length} values");
        double s = 0;
        for (int i = 0; i < a.Length; i++)
        {
            double d = (double)a[i] - b[i];
            s += d * d;
        }
        return s;
    }

    /// <summary>⟨a, b⟩, accumulated in double.</summary>
    public static double Dot(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        if (a.Length != b.Length) throw new ArgumentException($"vectors have {a.Length} and {b.Length} values");
        double s = 0;
        for (int i = 0; i < a.Length; i++) s += (double)a[i] * b[i];
        return s;
    }

    /// <summary>The symmetric matrix of pairwise squared distances (Krum, Bulyan).</summary>
    public static double[,] PairwiseSquaredDistances(IReadOnlyList<float[]> vectors)
    {
        int n = vectors.Count;
        var d = new double[n, n];
        for (int i = 0; i < n; i++)
            for (int j = i + 1; j < n; j++)
                d[i, j] = d[j, i] = SquaredDistance(vectors[i], vectors[j]);
        return d;
    }

    /// <summary>Converts a double vector to float (for weights and server state).</summary>
    public static float[] ToFloat(ReadOnlySpan<double> x)
    {
        var f = new float[x.Length];
        for (int i = 0; i < x.Length; i++) f[i] = (float)x[i];
        return f;
    }

    private static float[] RequireLength(float[] v, int n, int k)
        => v.Length == n ? v : throw new ArgumentException($"vector {k} has {v.Length} values, expected {n}");
}
