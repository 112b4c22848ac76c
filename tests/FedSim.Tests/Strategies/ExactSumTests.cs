using System.Numerics;
using FedSim.Determinism;
using FedSim.Strategies;

namespace FedSim.Tests.Strategies;

public sealed class ExactSumTests
{
    /// <summary>Every double is an integer multiple of 2^-1074: its exact value as that integer.</summary>
    private static BigInteger Exact(double value)
    {
        long bits = BitConverter.DoubleToInt64Bits(value);
        int exponent = (int)((bits >> 52) & 0x7FF);
        long mantissa = bits & 0xFFFFFFFFFFFFFL;
        if (exponent != 0) mantissa |= 1L << 52;
        var magnitude = new BigInteger(mantissa) << Math.Max(0, exponent - 1);
        return value < 0 ? -magnitude : magnitude;
    }

    /// <summary>Vectors whose values span many orders of magnitude, both signs, zeros and exact ties.</summary>
    private static float[][] Terms(int count, int length, ulong seed)
    {
        var rng = new DeterministicRandom(seed);
        return Enumerable.Range(0, count).Select(_ => Enumerable.Range(0, length).Select(i => i switch
        {
            0 => 0f,
            1 => 1e-30f * (rng.NextInt(2) == 0 ? 1 : -1),
            2 => 3.0e19f,
            _ => (float)(rng.NextGaussian() * Math.Pow(10, rng.NextInt(12) - 8)),
        }).ToArray()).ToArray();
    }

    [Fact]
    public void Sum_is_within_one_step_of_2_to_the_minus_80_per_term_of_the_exact_sum()
    {
        // Prepare: 40 weighted vectors; the reference sums the exact products as big integers (no rounding at all).
        var terms = Terms(40, 64, 3);
        var weights = Enumerable.Range(0, terms.Length).Select(k => (double)(1 + 97 * k)).ToArray();
        var sum = new ExactSum(64);

        // Execute
        for (int k = 0; k < terms.Length; k++) sum.Add(terms[k], weights[k]);
        var result = sum.ToDoubles();

        // Assert: truncation drops less than 2^-80 per term, and the last conversion rounds once more (a few ulps).
        var quantum = BigInteger.One << (1074 - 80);
        for (int i = 0; i < 64; i++)
        {
            var exact = terms.Select((t, k) => Exact(weights[k] * t[i])).Aggregate(BigInteger.Zero, (a, b) => a + b);
            var difference = BigInteger.Abs(Exact(result[i]) - exact);
            var ulps = Exact(Math.BitIncrement(Math.Abs(result[i]))) - Exact(Math.Abs(result[i]));
            Assert.True(difference <= terms.Length * quantum + 4 * ulps, $"coordinate {i}: {result[i]:R} is off by {(double)difference / (double)quantum} x 2^-80");
        }
    }

    [Fact]
    public void Any_order_and_any_grouping_into_partial_sums_gives_the_same_bits()
    {
        // Prepare
        var terms = Terms(30, 33, 5);
        var forward = new ExactSum(33);
        var backward = new ExactSum(33);
        var grouped = new ExactSum(33);

        // Execute: one by one forward, one by one backward, and as three partial sums (as three cohorts' pools) added up.
        foreach (var t in terms) forward.Add(t, 7);
        foreach (var t in terms.Reverse()) backward.Add(t, 7);
        foreach (var cohort in terms.Chunk(11))
        {
            var partial = new ExactSum(33);
            foreach (var t in cohort) partial.Add(t, 7);
            grouped.AddLimbs(partial.ToLimbs(), cohort.Length);
        }

        // Assert: bit for bit, where a running double sum in the two orders differs.
        Assert.Equal(forward.ToDoubles(), backward.ToDoubles());
        Assert.Equal(forward.ToDoubles(), grouped.ToDoubles());
        var runningForward = new double[33];
        var runningBackward = new double[33];
        foreach (var t in terms) for (int i = 0; i < 33; i++) runningForward[i] += 7.0 * t[i];
        foreach (var t in terms.Reverse()) for (int i = 0; i < 33; i++) runningBackward[i] += 7.0 * t[i];
        Assert.NotEqual(runningForward, runningBackward);
    }

    [Fact]
    public void Split_cuts_a_term_into_four_limbs_that_make_its_multiple_of_2_to_the_minus_80_rounded_toward_zero()
    {
        Span<long> limbs = stackalloc long[ExactSum.Limbs];
        foreach (double t in new[] { 0.0, 1.0, -1.0, 0.1, -123456.789, Math.ScaleB(1.0, 79) * 1.5, -Math.ScaleB(1.0, -79), 6.02e23, -3e-30 })
        {
            ExactSum.Split(t, limbs);
            var back = (new BigInteger(limbs[0]) << 120) + (new BigInteger(limbs[1]) << 80) + (new BigInteger(limbs[2]) << 40) + new BigInteger(limbs[3]);
            Assert.Equal(BigInteger.Divide(Exact(t), BigInteger.One << (1074 - 80)), back); // Divide truncates toward zero
            foreach (long limb in limbs) Assert.True(Math.Abs(limb) < 1L << ExactSum.LimbBits, $"{t:R}: limb {limb}");
        }
    }

    [Fact]
    public void Terms_beyond_2_to_the_80_or_not_finite_do_not_fit()
    {
        Assert.True(ExactSum.Fits([1e20f, -3f], 1000));
        Assert.False(ExactSum.Fits([1e21f], 2e3));        // 2e24 > 2^80 ≈ 1.2e24
        Assert.False(ExactSum.Fits([1f, float.NaN], 1));
        Assert.False(ExactSum.Fits([float.PositiveInfinity], 1));
    }
}
