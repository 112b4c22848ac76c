using System.Collections.Concurrent;
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
        for (int k = 0; k < vectors.Count; k++) AddScaled(sum, RequireLength(vectors[k], n, k), weights[k]);
        for (int i = 0; i < n; i++) sum[i] /= total;
        return sum;
    }

    /// <summary>
    /// sum[i] += w·v[i] for every i, SIMD across coordinates: each coordinate still gets one rounded product and one
    /// rounded add per vector, in the vectors' order, as the scalar loop gives (no fused multiply-add).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void AddScaled(double[] sum, float[] v, double w)
    {
        int i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            int step = Vector<float>.Count, half = Vector<double>.Count;
            var scale = new Vector<double>(w);
            ref float x = ref MemoryMarshal.GetArrayDataReference(v);
            ref double s = ref MemoryMarshal.GetArrayDataReference(sum);
            for (; i <= v.Length - step; i += step)
            {
                Vector.Widen(Vector.LoadUnsafe(ref x, (nuint)i), out var low, out var high);
                (Vector.LoadUnsafe(ref s, (nuint)i) + scale * low).StoreUnsafe(ref s, (nuint)i);
                (Vector.LoadUnsafe(ref s, (nuint)(i + half)) + scale * high).StoreUnsafe(ref s, (nuint)(i + half));
            }
        }
        for (; i < v.Length; i++) sum[i] += w * v[i];
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
    /// double, one rounded product and one rounded add per coordinate (no fused multiply-add). The SIMD lanes run
    /// over pairs, not over coordinates: one vector holds the running sums of one update against several others,
    /// so no sum is reassociated. Krum's and Bulyan's choices are made from these values alone, so they are the
    /// scalar loop's choices, exact ties (identical colluding updates) and last-bit near-ties included; no error
    /// bound is needed. A Gram-matrix form ‖a‖² + ‖b‖² − 2a·b would cost about a third (one fused multiply-add per
    /// pair and coordinate instead of a subtract, a multiply and an add) but rounds differently: its choices would
    /// have to be checked against a proven bound and recomputed this way wherever scores come within it, which
    /// identical updates always do. Coordinates go in blocks transposed to [coordinate][update] so the lanes load
    /// contiguously; groups of columns run in parallel, each pair's sum being the same whichever thread computes it.
    /// </summary>
    public static double[,] PairwiseSquaredDistances(IReadOnlyList<float[]> vectors)
    {
        int n = vectors.Count;
        if (n == 0) return new double[0, 0];
        int d = vectors[0].Length;
        for (int k = 0; k < n; k++) RequireLength(vectors[k], d, k);
        int lanes = Vector512.IsHardwareAccelerated ? Vector512<double>.Count : Vector<double>.Count;
        // Columns b run in groups of one vector, padded with zeros to whole groups; rows a go four at a time. Lanes
        // past n or with b ≤ a are computed and never read.
        int unit = Math.Max(lanes, 4);
        int stride = (n + unit - 1) / unit * unit;
        var columns = new double[DistanceBlock * stride];
        var sums = new double[stride * stride];
        for (int start = 0; start < d; start += DistanceBlock)
        {
            int length = Math.Min(DistanceBlock, d - start);
            TransposeBlock(vectors, start, length, columns, stride);
            Parallel.For(0, stride / lanes, g =>
            {
                int b0 = g * lanes, rows = Math.Min(b0 + lanes, n) - 1;
                if (Vector512.IsHardwareAccelerated) AccumulateGroup512(columns, length, stride, b0, rows, sums);
                else AccumulateGroup(columns, length, stride, b0, rows, sums);
            });
        }
        var result = new double[n, n];
        for (int a = 0; a < n; a++)
            for (int b = a + 1; b < n; b++)
                result[a, b] = result[b, a] = sums[a * stride + b];
        return result;
    }

    /// <summary>
    /// Coordinates per transposed block: one group's column of a block (128 × 8 doubles with 512-bit vectors) and
    /// the rows streaming past it stay in the L1 cache; the running sums are loaded and stored once per block.
    /// </summary>
    private const int DistanceBlock = 128;

    /// <summary>
    /// Adds one block of coordinates to the running sums of rows a &lt; <paramref name="rows"/> against the one
    /// vector of columns starting at <paramref name="b0"/>, four rows at a time (four independent sums in flight
    /// hide the add latency; the column is loaded once for all four).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void AccumulateGroup512(double[] columns, int length, int stride, int b0, int rows, double[] sums)
    {
        ref double c = ref MemoryMarshal.GetArrayDataReference(columns);
        ref double s = ref MemoryMarshal.GetArrayDataReference(sums);
        for (int a = 0; a < rows; a += 4)
        {
            nuint at = (nuint)(a * stride + b0), step = (nuint)stride;
            var s0 = Vector512.LoadUnsafe(ref s, at);
            var s1 = Vector512.LoadUnsafe(ref s, at + step);
            var s2 = Vector512.LoadUnsafe(ref s, at + 2 * step);
            var s3 = Vector512.LoadUnsafe(ref s, at + 3 * step);
            for (int i = 0; i < length; i++)
            {
                nuint row = (nuint)(i * stride);
                var y = Vector512.LoadUnsafe(ref c, row + (nuint)b0);
                ref double x = ref Unsafe.Add(ref c, row + (nuint)a);
                var d0 = Vector512.Create(x) - y;
                var d1 = Vector512.Create(Unsafe.Add(ref x, 1)) - y;
                var d2 = Vector512.Create(Unsafe.Add(ref x, 2)) - y;
                var d3 = Vector512.Create(Unsafe.Add(ref x, 3)) - y;
                s0 += d0 * d0;
                s1 += d1 * d1;
                s2 += d2 * d2;
                s3 += d3 * d3;
            }
            s0.StoreUnsafe(ref s, at);
            s1.StoreUnsafe(ref s, at + step);
            s2.StoreUnsafe(ref s, at + 2 * step);
            s3.StoreUnsafe(ref s, at + 3 * step);
        }
    }

    /// <summary><see cref="AccumulateGroup512"/> with the platform's <see cref="Vector{T}"/> width.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void AccumulateGroup(double[] columns, int length, int stride, int b0, int rows, double[] sums)
    {
        ref double c = ref MemoryMarshal.GetArrayDataReference(columns);
        ref double s = ref MemoryMarshal.GetArrayDataReference(sums);
        for (int a = 0; a < rows; a += 4)
        {
            nuint at = (nuint)(a * stride + b0), step = (nuint)stride;
            var s0 = Vector.LoadUnsafe(ref s, at);
            var s1 = Vector.LoadUnsafe(ref s, at + step);
            var s2 = Vector.LoadUnsafe(ref s, at + 2 * step);
            var s3 = Vector.LoadUnsafe(ref s, at + 3 * step);
            for (int i = 0; i < length; i++)
            {
                nuint row = (nuint)(i * stride);
                var y = Vector.LoadUnsafe(ref c, row + (nuint)b0);
                ref double x = ref Unsafe.Add(ref c, row + (nuint)a);
                var d0 = new Vector<double>(x) - y;
                var d1 = new Vector<double>(Unsafe.Add(ref x, 1)) - y;
                var d2 = new Vector<double>(Unsafe.Add(ref x, 2)) - y;
                var d3 = new Vector<double>(Unsafe.Add(ref x, 3)) - y;
                s0 += d0 * d0;
                s1 += d1 * d1;
                s2 += d2 * d2;
                s3 += d3 * d3;
            }
            s0.StoreUnsafe(ref s, at);
            s1.StoreUnsafe(ref s, at + step);
            s2.StoreUnsafe(ref s, at + 2 * step);
            s3.StoreUnsafe(ref s, at + 3 * step);
        }
    }

    /// <summary>One coordinate's result from that coordinate's values over the updates, sorted ascending.</summary>
    public delegate double SortedColumnReducer(int coordinate, ReadOnlySpan<float> sorted);

    /// <summary>
    /// Applies <paramref name="reducer"/> to every coordinate's values sorted ascending (median, trimmed mean,
    /// Bulyan's second stage). Sixteen coordinates at a time go through a sorting network (Batcher's odd–even merge
    /// sort) as SIMD lanes: branch-free min/max instead of a comparison sort per coordinate. The sorted values are
    /// those a comparison sort gives (a sort's output is determined by the multiset, up to the sign of equal zeros);
    /// a block holding a NaN, which min/max would not order as Array.Sort does, is sorted per coordinate instead.
    /// Blocks run in parallel: each coordinate's result depends on its own values alone.
    /// </summary>
    public static double[] CoordinateWiseSorted(IReadOnlyList<float[]> vectors, SortedColumnReducer reducer)
    {
        int n = vectors.Count;
        if (n == 0) throw new ArgumentException("no vectors", nameof(vectors));
        int d = vectors[0].Length;
        for (int k = 0; k < n; k++)
            if (vectors[k].Length != d) throw new ArgumentException($"vectors have {d} and {vectors[k].Length} values", nameof(vectors));
        var network = SortingNetwork(n);
        var result = new double[d];
        int blocks = (d + SortLanes - 1) / SortLanes;
        int chunks = (blocks + SortChunk - 1) / SortChunk;
        Parallel.For(0, chunks, () => (Rows: new float[n * SortLanes], Column: new float[n]), (chunk, _, buffers) =>
        {
            for (int b = chunk * SortChunk; b < Math.Min(blocks, (chunk + 1) * SortChunk); b++)
                SortBlock(vectors, b * SortLanes, network, buffers.Rows, buffers.Column, reducer, result);
            return buffers;
        }, _ => { });
        return result;
    }

    /// <summary>Coordinates sorted together, one per lane of a 512-bit vector of floats.</summary>
    private const int SortLanes = 16;

    /// <summary>Blocks of coordinates per parallel work item (enough work to outweigh scheduling it).</summary>
    private const int SortChunk = 64;

    /// <summary>
    /// Sorts coordinates [start, start + 16) by the network (row k of <paramref name="rows"/> holds update k's
    /// sixteen values) and hands each sorted column to the reducer.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void SortBlock(IReadOnlyList<float[]> vectors, int start, int[] network, float[] rows, float[] column,
        SortedColumnReducer reducer, double[] result)
    {
        int n = vectors.Count, width = Math.Min(SortLanes, vectors[0].Length - start);
        bool hasNaN = false;
        for (int k = 0; k < n; k++)
        {
            var row = rows.AsSpan(k * SortLanes, SortLanes);
            vectors[k].AsSpan(start, width).CopyTo(row);
            row[width..].Clear();
            foreach (float v in row) hasNaN |= float.IsNaN(v);
        }
        if (!hasNaN) ApplyNetwork(rows, network);
        for (int j = 0; j < width; j++)
        {
            for (int k = 0; k < n; k++) column[k] = rows[k * SortLanes + j];
            if (hasNaN) column.AsSpan().Sort();
            result[start + j] = reducer(start + j, column);
        }
    }

    /// <summary>Compare-exchanges rows (i, j) for each pair of the network: row i gets the lane-wise min, row j the max.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void ApplyNetwork(float[] rows, int[] network)
    {
        ref float r = ref MemoryMarshal.GetArrayDataReference(rows);
        for (int c = 0; c < network.Length; c += 2)
        {
            nuint i = (nuint)(network[c] * SortLanes), j = (nuint)(network[c + 1] * SortLanes);
            if (Vector512.IsHardwareAccelerated)
            {
                var x = Vector512.LoadUnsafe(ref r, i);
                var y = Vector512.LoadUnsafe(ref r, j);
                Vector512.MinNative(x, y).StoreUnsafe(ref r, i);
                Vector512.MaxNative(x, y).StoreUnsafe(ref r, j);
            }
            else
            {
                for (nuint h = 0; h < SortLanes; h += (nuint)Vector256<float>.Count)
                {
                    var x = Vector256.LoadUnsafe(ref r, i + h);
                    var y = Vector256.LoadUnsafe(ref r, j + h);
                    Vector256.MinNative(x, y).StoreUnsafe(ref r, i + h);
                    Vector256.MaxNative(x, y).StoreUnsafe(ref r, j + h);
                }
            }
        }
    }

    private static readonly ConcurrentDictionary<int, int[]> SortingNetworks = new();

    /// <summary>
    /// Batcher's odd–even merge sort (Knuth, TAOCP vol. 3, 5.3.4) for the next power of two ≥ n, as (i, j) pairs with
    /// i &lt; j, keeping only pairs with j &lt; n: the positions past n would hold +∞, which no compare-exchange with
    /// i &lt; j ever moves, so the pairs that touch them do nothing.
    /// </summary>
    private static int[] SortingNetwork(int n) => SortingNetworks.GetOrAdd(n, static n =>
    {
        int size = 1;
        while (size < n) size <<= 1;
        var pairs = new List<int>();
        for (int p = 1; p < size; p <<= 1)
            for (int k = p; k >= 1; k >>= 1)
                for (int j = k % p; j + k < size; j += 2 * k)
                    for (int i = 0; i < k && i + j + k < size; i++)
                        if ((i + j) / (2 * p) == (i + j + k) / (2 * p) && i + j + k < n)
                        {
                            pairs.Add(i + j);
                            pairs.Add(i + j + k);
                        }
        return [.. pairs];
    });

    /// <summary>
    /// Coordinates [start, start + length) of every vector into rows of <paramref name="stride"/>: row i holds
    /// coordinate start + i of each vector in turn. Runs once per round: compiled optimized from the first call,
    /// as are the other loops here (a round's loops would otherwise run as quickly-jitted code for many rounds).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void TransposeBlock(IReadOnlyList<float[]> vectors, int start, int length, double[] into, int stride)
    {
        for (int k = 0; k < vectors.Count; k++)
        {
            var v = vectors[k].AsSpan(start, length);
            for (int i = 0; i < length; i++) into[i * stride + k] = v[i];
        }
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
