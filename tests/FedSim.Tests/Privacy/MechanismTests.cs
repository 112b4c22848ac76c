using FedSim.Determinism;
using FedSim.Privacy;
using FedSim.Privacy.Mechanisms;
using FedSim.Privacy.Accounting;

namespace FedSim.Tests.Privacy;

public sealed class L2ClippingTests
{
    [Fact]
    public void Long_update_is_scaled_onto_the_clip_norm()
    {
        float[] update = [3f, 4f]; // norm 5

        var clipped = L2Clipping.Clip(update, 1.0);

        Assert.True(clipped.WasClipped);
        Assert.Equal(5.0, clipped.OriginalNorm);
        Assert.Equal(0.6, clipped.Values[0], 6);
        Assert.Equal(0.8, clipped.Values[1], 6);
        Assert.True(L2Clipping.Norm(clipped.Values) <= 1.0);
        Assert.Equal([3f, 4f], update); // the input is left alone
    }

    [Fact]
    public void Short_update_is_copied_unchanged()
    {
        float[] update = [0.3f, -0.4f];

        var clipped = L2Clipping.Clip(update, 1.0);

        Assert.False(clipped.WasClipped);
        Assert.Equal(update, clipped.Values);
        Assert.NotSame(update, clipped.Values);
    }

    [Fact]
    public void Clipped_norm_never_exceeds_the_bound_after_rounding_to_float()
    {
        var random = new DeterministicRandom(7);
        for (int trial = 0; trial < 200; trial++)
        {
            var update = new float[1 + random.NextInt(5000)];
            for (int i = 0; i < update.Length; i++) update[i] = (float)(random.NextGaussian() * 3);
            double bound = 0.01 + random.NextDouble();

            var clipped = L2Clipping.Clip(update, bound);

            double norm = L2Clipping.Norm(clipped.Values);
            Assert.True(norm <= bound, $"trial {trial}: norm {norm:R} > bound {bound:R}");
            Assert.True(norm >= bound * (1 - 1e-6), $"trial {trial}: norm {norm:R} well below bound {bound:R}");
        }
    }

    [Fact]
    public void Diverged_update_is_refused_rather_than_clipped_to_nan()
    {
        var error = Assert.Throws<ArgumentException>(() => L2Clipping.Clip([1f, float.NaN], 1.0));

        Assert.Contains("non-finite", error.Message);
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(-1.0)]
    [InlineData(double.PositiveInfinity)]
    public void Non_positive_clip_norm_is_refused(double clipNorm)
    {
        Assert.Throws<PrivacyParameterException>(() => L2Clipping.Clip([1f], clipNorm));
    }
}

public sealed class GaussianNoiseTests
{
    [Fact]
    public void Noise_is_sigma_times_the_seeded_standard_normal_stream()
    {
        double[] sum = [1, 2, 3];
        var reference = new DeterministicRandom(42);
        double[] expected = [1 + 2 * reference.NextGaussian(), 2 + 2 * reference.NextGaussian(), 3 + 2 * reference.NextGaussian()];

        GaussianNoise.AddTo(sum, 2.0, GaussianSource.Seeded(42));

        Assert.Equal(expected, sum);
    }

    [Fact]
    public void Noise_has_the_requested_standard_deviation()
    {
        var sum = new double[200_000];

        GaussianNoise.AddTo(sum, GaussianNoise.StandardDeviation(1.1, 0.5), GaussianSource.Seeded(3));

        double mean = sum.Average();
        double sd = Math.Sqrt(sum.Select(x => (x - mean) * (x - mean)).Average());
        Assert.InRange(mean, -0.005, 0.005);
        Assert.InRange(sd, 0.55 * 0.99, 0.55 * 1.01);
    }

    [Fact]
    public void Zero_noise_leaves_the_sum_alone()
    {
        double[] sum = [1, 2];

        GaussianNoise.AddTo(sum, 0, GaussianSource.Seeded(1));

        Assert.Equal([1.0, 2.0], sum);
    }

    [Fact]
    public void Standard_deviation_is_noise_multiplier_times_clip_norm()
    {
        Assert.Equal(0.55, GaussianNoise.StandardDeviation(1.1, 0.5), 15);
        Assert.Throws<PrivacyParameterException>(() => GaussianNoise.StandardDeviation(-1, 0.5));
    }
}

public sealed class AdaptiveClippingTests
{
    [Fact]
    public void Clip_norm_shrinks_when_too_many_updates_fit_and_grows_back_when_too_few_do()
    {
        // γ = 0.5, η_C = 0.2, no count noise, m = 10.
        var clipping = new AdaptiveClipping(initialClipNorm: 1.0, targetUnclippedQuantile: 0.5, learningRate: 0.2, countNoiseStdDev: 0);

        // 8 of 10 fit: b̃ = ½ + (8 − 5)/10 = 0.8, C = exp(−0.2·(0.8 − 0.5)) = exp(−0.06).
        var first = clipping.Update(unclippedCount: 8, participants: 10, expectedParticipants: 10, GaussianSource.Seeded(1));
        // 2 of 10 fit: b̃ = 0.2, C = exp(−0.06)·exp(+0.06) = 1.
        var second = clipping.Update(unclippedCount: 2, participants: 10, expectedParticipants: 10, GaussianSource.Seeded(1));

        Assert.Equal(0.8, first.NoisedUnclippedFraction, 15);
        Assert.Equal(0.94176453358424872, first.NextClipNorm, 15);
        Assert.Equal(0.2, second.NoisedUnclippedFraction, 15);
        Assert.Equal(1.0, second.NextClipNorm, 14);
    }

    [Fact]
    public void Count_noise_is_sigma_b_over_the_expected_cohort()
    {
        var clipping = new AdaptiveClipping(1.0, 0.5, 0.2, countNoiseStdDev: 2.0);
        double g = new DeterministicRandom(9).NextGaussian();

        var update = clipping.Update(unclippedCount: 6, participants: 10, expectedParticipants: 20, GaussianSource.Seeded(9));

        // b̃ = ½ + ((6 − 5) + 2g)/20
        Assert.Equal(0.5 + (1 + 2 * g) / 20, update.NoisedUnclippedFraction, 15);
        Assert.Equal(Math.Exp(-0.2 * (update.NoisedUnclippedFraction - 0.5)), update.NextClipNorm, 15);
    }

    [Fact]
    public void Clip_norm_settles_at_the_target_quantile_of_the_update_norms()
    {
        // Update norms 1, 2, …, 100 every round: the median is about 50, the 0.8-quantile about 80.
        double[] norms = Enumerable.Range(1, 100).Select(x => (double)x).ToArray();
        foreach (double quantile in new[] { 0.5, 0.8 })
        {
            var clipping = new AdaptiveClipping(initialClipNorm: 5, quantile, learningRate: 0.2, countNoiseStdDev: 0);
            for (int round = 0; round < 300; round++)
            {
                int unclipped = norms.Count(clipping.IsUnclipped);
                clipping.Update(unclipped, norms.Length, norms.Length, GaussianSource.Seeded((ulong)round));
            }
            Assert.InRange(clipping.ClipNorm, quantile * 100 - 3, quantile * 100 + 3);
        }
    }

    [Fact]
    public void Update_noise_multiplier_makes_both_queries_compose_to_the_total()
    {
        // z = 1, σ_b = 1: z_Δ = (1 − (2·1)⁻²)^(−½) = 1/√0.75.
        Assert.Equal(1.1547005383792515, AdaptiveClipping.UpdateNoiseMultiplier(1.0, 1.0), 15);
        // m = 100 with the paper's σ_b = m/20 = 5: z_Δ = (1 − 1/100)^(−½).
        Assert.Equal(1.0050378152592121, AdaptiveClipping.UpdateNoiseMultiplier(1.0, 5.0), 15);
        // Composition check: z_Δ⁻² + (2σ_b)⁻² = z⁻².
        double zDelta = AdaptiveClipping.UpdateNoiseMultiplier(0.7, 3.0);
        Assert.Equal(Math.Pow(0.7, -2), Math.Pow(zDelta, -2) + Math.Pow(6.0, -2), 12);
        Assert.Equal(0, AdaptiveClipping.UpdateNoiseMultiplier(0, 1.0));
    }

    [Theory]
    [InlineData(2.0, 1.0)]
    [InlineData(3.0, 1.0)]
    [InlineData(1.0, 0.0)]
    public void Count_noise_too_small_for_the_noise_multiplier_is_refused(double z, double countNoise)
    {
        var error = Assert.Throws<PrivacyParameterException>(() => AdaptiveClipping.UpdateNoiseMultiplier(z, countNoise));

        Assert.Contains("noise multiplier < 2 x count noise", error.Message);
    }
}
