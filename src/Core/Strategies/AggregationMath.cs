using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

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

    /// <summary>
    /// The symmetric matrix of pairwise squared distances (Krum, Bulyan), each entry bit for bit
    /// <see cref="SquaredDistance"/>'s: every pair still sums ((double)aᵢ − bᵢ)² one coordinate after the other in
    /// double, without fused multiply-adds. The SIMD lanes run over pairs, not over coordinates: one vector holds
    /// the running sums of one update against several others, so no sum is reassociated and a selection made from
    /// these distances is the scalar loop's selection, ties included. (A Gram-matrix form ‖a‖² + ‖b‖² − 2a·b would
    /// be about three times cheaper but rounds differently, and exact ties, which colluding identical updates
    /// produce, would then have to be settled by recomputing these sums anyway.) Coordinates go in blocks
    /// transposed to [coordinate][update] so the lanes load contiguously; rows run in parallel, each row's sums
    /// being the same whichever thread computes them.
    /// </summary>
    public static double[,] PairwiseSquaredDistances(IReadOnlyList<float[]> vectors)
    {
        int n = vectors.Count;
        if (n == 0) return new double[0, 0];
        int d = vectors[0].Length;
        for (int k = 0; k < n; k++) RequireLength(vectors[k], d, k);
        int lanes = Vector512.IsHardwareAccelerated ? Vector512<double>.Count : Vector<double>.Count;
        // Padding lets a row's last group of DistanceGroup vectors read past n without bounds checks (zeros, unused).
        int stride = (n + lanes - 1) / lanes * lanes + DistanceGroup * lanes;
        int block = Math.Clamp(DistanceBlockValues / stride, 8, 512);
        var columns = new double[block * stride];
        var sums = new double[n * stride];
        for (int start = 0; start < d; start += block)
        {
            int length = Math.Min(block, d - start);
            for (int k = 0; k < n; k++)
            {
                var v = vectors[k].AsSpan(start, length);
                for (int i = 0; i < length; i++) columns[i * stride + k] = v[i];
            }
            Parallel.For(0, n - 1, a =>
            {
                if (Vector512.IsHardwareAccelerated) AccumulateRow512(columns, length, stride, a, n, sums);
                else AccumulateRow(columns, length, stride, a, n, sums);
            });
        }
        var result = new double[n, n];
        for (int a = 0; a < n; a++)
            for (int b = a + 1; b < n; b++)
                result[a, b] = result[b, a] = sums[a * stride + b];
        return result;
    }

    /// <summary>Vectors of pairs each row step keeps in flight (hides the add latency).</summary>
    private const int DistanceGroup = 4;

    /// <summary>Doubles in one transposed block of coordinates: small enough to stay in the core's L2 cache.</summary>
    private const int DistanceBlockValues = 32 * 1024;

    /// <summary>Adds one block of coordinates to the running sums of row <paramref name="a"/> against b &gt; a.</summary>
    private static void AccumulateRow512(double[] columns, int length, int stride, int a, int n, double[] sums)
    {
        int w = Vector512<double>.Count;
        ref double c = ref MemoryMarshal.GetArrayDataReference(columns);
        ref double s = ref MemoryMarshal.GetArrayDataReference(sums);
        for (int b = a + 1; b < n; b += DistanceGroup * w)
        {
            nuint at = (nuint)(a * stride + b);
            var s0 = Vector512.LoadUnsafe(ref s, at);
            var s1 = Vector512.LoadUnsafe(ref s, at + (nuint)w);
            var s2 = Vector512.LoadUnsafe(ref s, at + (nuint)(2 * w));
            var s3 = Vector512.LoadUnsafe(ref s, at + (nuint)(3 * w));
            for (int i = 0; i < length; i++)
            {
                nuint row = (nuint)(i * stride);
                var x = Vector512.Create(Unsafe.Add(ref c, row + (nuint)a));
                nuint o = row + (nuint)b;
                var d0 = x - Vector512.LoadUnsafe(ref c, o);
                var d1 = x - Vector512.LoadUnsafe(ref c, o + (nuint)w);
                var d2 = x - Vector512.LoadUnsafe(ref c, o + (nuint)(2 * w));
                var d3 = x - Vector512.LoadUnsafe(ref c, o + (nuint)(3 * w));
                s0 += d0 * d0;
                s1 += d1 * d1;
                s2 += d2 * d2;
                s3 += d3 * d3;
            }
            s0.StoreUnsafe(ref s, at);
            s1.StoreUnsafe(ref s, at + (nuint)w);
            s2.StoreUnsafe(ref s, at + (nuint)(2 * w));
            s3.StoreUnsafe(ref s, at + (nuint)(3 * w));
        }
    }

    /// <summary><see cref="AccumulateRow512"/> with the platform's <see cref="Vector{T}"/> width.</summary>
    private static void AccumulateRow(double[] columns, int length, int stride, int a, int n, double[] sums)
    {
        int w = Vector<double>.Count;
        ref double c = ref MemoryMarshal.GetArrayDataReference(columns);
        ref double s = ref MemoryMarshal.GetArrayDataReference(sums);
        for (int b = a + 1; b < n; b += DistanceGroup * w)
        {
            nuint at = (nuint)(a * stride + b);
            var s0 = Vector.LoadUnsafe(ref s, at);
            var s1 = Vector.LoadUnsafe(ref s, at + (nuint)w);
            var s2 = Vector.LoadUnsafe(ref s, at + (nuint)(2 * w));
            var s3 = Vector.LoadUnsafe(ref s, at + (nuint)(3 * w));
            for (int i = 0; i < length; i++)
            {
                nuint row = (nuint)(i * stride);
                var x = new Vector<double>(Unsafe.Add(ref c, row + (nuint)a));
                nuint o = row + (nuint)b;
                var d0 = x - Vector.LoadUnsafe(ref c, o);
                var d1 = x - Vector.LoadUnsafe(ref c, o + (nuint)w);
                var d2 = x - Vector.LoadUnsafe(ref c, o + (nuint)(2 * w));
                var d3 = x - Vector.LoadUnsafe(ref c, o + (nuint)(3 * w));
                s0 += d0 * d0;
                s1 += d1 * d1;
                s2 += d2 * d2;
                s3 += d3 * d3;
            }
            s0.StoreUnsafe(ref s, at);
            s1.StoreUnsafe(ref s, at + (nuint)w);
            s2.StoreUnsafe(ref s, at + (nuint)(2 * w));
            s3.StoreUnsafe(ref s, at + (nuint)(3 * w));
        }
    }

    /// <summary>One coordinate's result from that coordinate's values over the updates (in the updates' order).</summary>
    public delegate double ColumnReducer(int coordinate, Span<float> column);

    /// <summary>
    /// Applies <paramref name="reducer"/> to every coordinate's column of values (median, trimmed mean, Bulyan's
    /// second stage). Blocks of coordinates are transposed so each column is contiguous, and blocks run in
    /// parallel: each coordinate's result depends on its column alone, so the partition changes nothing.
    /// </summary>
    public static double[] CoordinateWise(IReadOnlyList<float[]> vectors, ColumnReducer reducer)
    {
        int n = vectors.Count;
        if (n == 0) throw new ArgumentException("no vectors", nameof(vectors));
        int d = vectors[0].Length;
        for (int k = 0; k < n; k++)
            if (vectors[k].Length != d) throw new ArgumentException($"vectors have {d} and {vectors[k].Length} values", nameof(vectors));
        var result = new double[d];
        int block = Math.Clamp(ColumnBlockValues / n, 16, 1024);
        int blocks = (d + block - 1) / block;
        Parallel.For(0, blocks, () => new float[block * n], (index, _, buffer) =>
        {
            int start = index * block, length = Math.Min(block, d - start);
            for (int k = 0; k < n; k++)
            {
                var v = vectors[k].AsSpan(start, length);
                for (int i = 0; i < length; i++) buffer[i * n + k] = v[i];
            }
            for (int i = 0; i < length; i++) result[start + i] = reducer(start + i, buffer.AsSpan(i * n, n));
            return buffer;
        }, _ => { });
        return result;
    }

    /// <summary>Floats in one transposed block of columns (fits the L2 cache with room to spare).</summary>
    private const int ColumnBlockValues = 64 * 1024;

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
