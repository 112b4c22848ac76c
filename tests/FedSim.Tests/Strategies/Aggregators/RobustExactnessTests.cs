using FedSim.Scenarios.Bench;
using FedSim.Strategies;
using FedSim.Strategies.Aggregators;
using static FedSim.Tests.Strategies.Aggregators.AggregatorTestKit;

namespace FedSim.Tests.Strategies.Aggregators;

/// <summary>
/// The vectorized robust aggregators against the scalar loops they replace (<see cref="ScalarAggregation"/>): the
/// same distances bit for bit, so the same selections with the same tie-breaking, and the same aggregated vectors.
/// </summary>
public sealed class RobustExactnessTests
{
    public static TheoryData<int, int> Shapes => new()
    {
        { 1, 5 }, { 2, 1 }, { 3, 7 }, { 9, 33 }, { 17, 1000 }, { 40, 517 }, { 65, 3001 },
    };

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Pairwise_distances_are_the_scalar_sums_bit_for_bit(int n, int d)
    {
        // Prepare: values over several orders of magnitude, so every rounding step of the scalar sum matters.
        var vectors = RandomVectors(n, d, seed: n * 1000 + d, spread: true);

        // Execute
        var fast = AggregationMath.PairwiseSquaredDistances(vectors);
        var scalar = ScalarAggregation.PairwiseSquaredDistances(vectors);

        // Assert
        for (int a = 0; a < n; a++)
            for (int b = 0; b < n; b++)
                Assert.True(BitConverter.DoubleToInt64Bits(scalar[a, b]) == BitConverter.DoubleToInt64Bits(fast[a, b]),
                    $"d[{a},{b}]: scalar {scalar[a, b]:R}, vectorized {fast[a, b]:R}");
    }

    [Fact]
    public void Three_hundred_random_updates_aggregate_as_the_scalar_reference()
    {
        AssertAllMatchReference(RandomVectors(300, 96, seed: 300, spread: false));
    }

    [Fact]
    public void Near_ties_are_settled_by_the_same_rounding_as_the_scalar_sums()
    {
        // Prepare: update s is one random vector of 41 × 7 values rotated by 7s, so the distance between updates a and
        // b depends on (b − a) mod 41 alone and every Krum score is the same real number. Only rounding, which
        // depends on where each sum starts, tells the scores apart: last-bit near-ties everywhere.
        var p = RandomVectors(1, 41 * 7, seed: 7, spread: false)[0];
        var vectors = Enumerable.Range(0, 41).Select(s => Enumerable.Range(0, p.Length).Select(i => p[(i + 7 * s) % p.Length]).ToArray()).ToList();
        var scores = ScalarAggregation.KrumScores(vectors, 8);
        Assert.True(scores.Max() - scores.Min() <= 1e-12 * scores.Max(), "the scores should agree to rounding");
        Assert.True(scores.Distinct().Count() > 1, "rounding should tell some scores apart");

        // Execute / Assert
        Assert.Equal(scores, KrumAggregator.Scores(vectors, 8));
        AssertAllMatchReference(vectors);
    }

    [Fact]
    public void Exact_ties_from_duplicate_updates_go_to_the_lower_device_as_before()
    {
        // Prepare: small integers make many distances and scores tie exactly; six colluding updates are identical
        // (their mutual distances are exactly 0), a common Byzantine pattern that Krum scores as a tight cluster.
        var rng = new Random(11);
        var vectors = Enumerable.Range(0, 37).Select(_ => Enumerable.Range(0, 9).Select(_ => (float)rng.Next(-2, 3)).ToArray()).ToList();
        var attacker = Enumerable.Range(0, 9).Select(i => i % 2 == 0 ? 3f : -3f).ToArray();
        foreach (int k in new[] { 2, 5, 13, 21, 30, 36 }) vectors[k] = (float[])attacker.Clone();

        // Execute / Assert
        AssertAllMatchReference(vectors);
    }

    [Fact]
    public void A_NaN_coordinate_gives_the_scalar_median_and_trimmed_mean()
    {
        var vectors = RandomVectors(12, 40, seed: 3, spread: false);
        vectors[4][7] = float.NaN;
        vectors[9][7] = float.NaN;
        vectors[1][8] = float.PositiveInfinity;

        Assert.Equal(ScalarAggregation.Median(vectors), MedianAggregator.CoordinateMedian(vectors));
        Assert.Equal(ScalarAggregation.TrimmedMean(vectors, 2), TrimmedMeanAggregator.CoordinateTrimmedMean(vectors, 2));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(16)]
    [InlineData(17)]
    [InlineData(64)]
    [InlineData(65)]
    [InlineData(129)]
    public void Coordinate_wise_rules_match_the_scalar_sorts_with_repeated_values_zeros_of_both_signs_and_infinities(int n)
    {
        // Prepare: 37 coordinates (two full blocks of sixteen and a partial one), values drawn mostly from a few.
        float[] few = [float.NegativeInfinity, -1f, -0f, 0f, 0.5f, 1f, float.PositiveInfinity];
        var rng = new Random(n);
        var vectors = Enumerable.Range(0, n).Select(_ => Enumerable.Range(0, 37)
            .Select(_ => rng.Next(3) == 0 ? (float)rng.NextDouble() : few[rng.Next(few.Length)]).ToArray()).ToList();
        int trim = (n - 1) / 2 / 2;
        var reference = Enumerable.Range(0, 37).Select(i => (double)vectors[i % n][i]).ToArray();

        // Execute / Assert
        Assert.Equal(ScalarAggregation.Median(vectors), MedianAggregator.CoordinateMedian(vectors));
        Assert.Equal(ScalarAggregation.TrimmedMean(vectors, trim), TrimmedMeanAggregator.CoordinateTrimmedMean(vectors, trim));
        Assert.Equal(ScalarAggregation.MeanOfClosest(vectors, reference, (n + 1) / 2), BulyanAggregator.MeanOfClosest(vectors, reference, (n + 1) / 2));
    }

    /// <summary>Krum, Multi-Krum, Bulyan (f as a scenario with 20 % Byzantine clients sets it), median, trimmed mean.</summary>
    private static void AssertAllMatchReference(IReadOnlyList<float[]> vectors)
    {
        int n = vectors.Count;
        var input = Input([.. vectors]);
        int f = (int)Math.Ceiling(0.2 * n);

        int krumF = Math.Min(f, KrumAggregator.TolerableF(n));
        Assert.Equal(ScalarAggregation.KrumScores(vectors, krumF), KrumAggregator.Scores(vectors, krumF));
        var krum = new KrumAggregator(f).Aggregate(input);
        Assert.Equal([(long)ScalarAggregation.Krum(vectors, krumF)], krum.Used);

        var (multiChosen, multiMean) = ScalarAggregation.MultiKrum(vectors, krumF, n - krumF);
        var multi = new MultiKrumAggregator(f).Aggregate(input);
        Assert.Equal(multiChosen.Select(i => (long)i), multi.Used);
        Assert.Equal(multiMean, multi.Update);

        int bulyanF = Math.Min(f, BulyanAggregator.TolerableF(n));
        var (selected, bulyanUpdate) = ScalarAggregation.Bulyan(vectors, bulyanF);
        var bulyan = new BulyanAggregator(f).Aggregate(input);
        Assert.Equal(selected.Select(i => (long)i), bulyan.Used);
        Assert.Equal(bulyanUpdate, bulyan.Update);

        Assert.Equal(ScalarAggregation.Mean(vectors), AggregationMath.Mean(vectors));
        Assert.Equal(ScalarAggregation.Median(vectors), new MedianAggregator().Aggregate(input).Update);
        int trim = TrimmedMeanAggregator.TrimCount(0.2, n);
        Assert.Equal(ScalarAggregation.TrimmedMean(vectors, trim), new TrimmedMeanAggregator(0.2).Aggregate(input).Update);
    }

    private static List<float[]> RandomVectors(int n, int d, int seed, bool spread)
    {
        var rng = new Random(seed);
        return Enumerable.Range(0, n).Select(_ => Enumerable.Range(0, d).Select(_ =>
        {
            float v = (float)(rng.NextDouble() * 2 - 1);
            return spread ? v * MathF.Pow(10, rng.Next(-6, 7)) : v;
        }).ToArray()).ToList();
    }
}
