using System.Numerics.Tensors;

namespace FedSim.Strategies;

/// <summary>
/// A sum of weighted float32 vectors that does not depend on the order or the grouping of its terms. Each term
/// t = w·x (one double product, exact for an integer weight below 2^29) is cut into four integers, its multiples of
/// 2^40, 1, 2^-40 and 2^-80 (<see cref="Split"/>: every step is exact in IEEE double), and the sum keeps one int64 per
/// limb and coordinate. Integer addition is associative, so a compute pool may sum its cohort's terms on its device,
/// the coordinator may add such partial sums and single terms in any order, and the total is the same number; it
/// differs from the exact sum of the terms by at most one 2^-80 per term. A term of magnitude 2^80 (≈ 1.2·10^24) or
/// more has no place in it (<see cref="Fits"/>). The compute pool's device code (<c>PooledSums</c>) performs the same
/// operations on tensors.
/// </summary>
public sealed class ExactSum
{
    /// <summary>Limbs per coordinate: multiples of 2^40, 2^0, 2^-40 and 2^-80.</summary>
    public const int Limbs = 4;

    /// <summary>Bits between one limb and the next.</summary>
    public const int LimbBits = 40;

    /// <summary>Terms must be smaller than this in magnitude (2^80): each limb then holds less than 2^40.</summary>
    public static readonly double Bound = Math.ScaleB(1.0, 2 * LimbBits);

    private static readonly double Up = Math.ScaleB(1.0, LimbBits), Down = Math.ScaleB(1.0, -LimbBits);

    // Limb-major: limb j of coordinate i at j * Length + i.
    private readonly long[] _limbs;
    private int _pendingTerms;

    public ExactSum(int length)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        Length = length;
        _limbs = new long[Limbs * length];
    }

    public int Length { get; }

    /// <summary>Whether every term w·x of <paramref name="x"/> is finite and smaller than <see cref="Bound"/> in magnitude.</summary>
    public static bool Fits(ReadOnlySpan<float> x, double weight)
    {
        float largest = TensorPrimitives.MaxMagnitude(x);
        return float.IsFinite(largest) && double.IsFinite(weight) && Math.Abs(largest * weight) < Bound;
    }

    /// <summary>
    /// The four limbs of a term |t| &lt; 2^80: t = q0·2^40 + q1 + q2·2^-40 + q3·2^-80 + ε with 0 ≤ |ε| &lt; 2^-80 of the same
    /// sign as t, every qj an integer below 2^40 in magnitude. Each step is exact: the scalings are by powers of two,
    /// truncation drops only fraction bits, and each subtraction leaves the low bits of its operand.
    /// </summary>
    public static void Split(double t, Span<long> limbs)
    {
        double q = Math.Truncate(t * Down);
        limbs[0] = (long)q;
        double r = t - q * Up;
        q = Math.Truncate(r);
        limbs[1] = (long)q;
        r = (r - q) * Up;
        q = Math.Truncate(r);
        limbs[2] = (long)q;
        r = (r - q) * Up;
        limbs[3] = (long)Math.Truncate(r);
    }

    /// <summary>Adds w·x; the caller checked <see cref="Fits"/>.</summary>
    public void Add(ReadOnlySpan<float> x, double weight)
    {
        if (x.Length != Length) throw new ArgumentException($"a term of {x.Length} values added to a sum of {Length}", nameof(x));
        Span<long> limbs = stackalloc long[Limbs];
        for (int i = 0; i < x.Length; i++)
        {
            Split(weight * x[i], limbs);
            for (int j = 0; j < Limbs; j++) _limbs[j * Length + i] += limbs[j];
        }
        Settle(1);
    }

    /// <summary>Adds a partial sum of <paramref name="terms"/> terms given as limbs (limb-major, as <see cref="Split"/> cuts them).</summary>
    public void AddLimbs(ReadOnlySpan<long> limbs, int terms)
    {
        if (limbs.Length != _limbs.Length) throw new ArgumentException($"a partial sum of {limbs.Length / Limbs} coordinates added to a sum of {Length}", nameof(limbs));
        ArgumentOutOfRangeException.ThrowIfNegative(terms);
        // Each limb of a partial sum of n terms is below n·2^40 in magnitude: nowhere near 2^63 for any cohort.
        for (int i = 0; i < _limbs.Length; i++) _limbs[i] += limbs[i];
        Settle(terms);
    }

    /// <summary>The limbs of the total in their one canonical form (limbs 1..3 in [0, 2^40)), limb-major like <see cref="AddLimbs"/> takes them.</summary>
    public long[] ToLimbs()
    {
        Normalize();
        return (long[])_limbs.Clone();
    }

    /// <summary>
    /// The sum, one double per coordinate: a function of the exact total alone. Each coordinate's magnitude is carried
    /// into canonical limbs (all non-negative, so adding them loses nothing to cancellation), converted from the smallest
    /// limb up, and given the total's sign.
    /// </summary>
    public double[] ToDoubles()
    {
        Normalize();
        var sum = new double[Length];
        Span<long> magnitude = stackalloc long[Limbs];
        for (int i = 0; i < Length; i++)
        {
            bool negative = _limbs[i] < 0; // canonical: the top limb carries the sign
            for (int j = 0; j < Limbs; j++) magnitude[j] = negative ? -_limbs[j * Length + i] : _limbs[j * Length + i];
            for (int j = Limbs - 1; j > 0; j--)
            {
                long carry = magnitude[j] >> LimbBits;
                magnitude[j] -= carry << LimbBits;
                magnitude[j - 1] += carry;
            }
            double value = magnitude[3] * Down * Down + magnitude[2] * Down + magnitude[1] + magnitude[0] * Up;
            sum[i] = negative ? -value : value;
        }
        return sum;
    }

    /// <summary>Carries between limbs once the terms since the last carry could come near int64's range (2^23 terms of 2^40).</summary>
    private void Settle(int terms)
    {
        _pendingTerms += terms;
        if (_pendingTerms >= 1 << 20) Normalize();
    }

    /// <summary>Limbs 1..3 into [0, 2^40), carrying upward: the unique representation of the total, so the doubles depend on it alone.</summary>
    private void Normalize()
    {
        for (int j = Limbs - 1; j > 0; j--)
        {
            int at = j * Length, above = (j - 1) * Length;
            for (int i = 0; i < Length; i++)
            {
                long carry = _limbs[at + i] >> LimbBits; // floor division by 2^40, also for negative limbs
                _limbs[at + i] -= carry << LimbBits;
                _limbs[above + i] += carry;
            }
        }
        _pendingTerms = 0;
    }
}
