using FedSim.Determinism;
using FedSim.Privacy.SecureAggregation;

namespace FedSim.Tests.Privacy;

public sealed class SecureAggregationQuantizationTests
{
    private static float[] Uniform(int n, double range, ulong seed)
    {
        var random = new DeterministicRandom(seed);
        return Enumerable.Range(0, n).Select(_ => (float)((2 * random.NextDouble() - 1) * range)).ToArray();
    }

    [Theory]
    [InlineData(QuantizationRounding.Nearest)]
    [InlineData(QuantizationRounding.Stochastic)]
    public void Round_trip_error_stays_within_the_documented_bound(QuantizationRounding rounding)
    {
        // Prepare: values inside [−c, c], so only rounding error applies
        var quantizer = new FixedPointQuantizer(clipRange: 0.5, maxClients: 1_000, rounding);
        var values = Uniform(20_000, 0.5, 1);

        // Execute
        var back = quantizer.DequantizeSum(quantizer.Quantize(values, roundingSeed: 9).Values);

        // Assert
        double worst = values.Zip(back, (x, y) => Math.Abs(x - y)).Max();
        Assert.True(worst <= quantizer.RoundTripErrorBound, $"worst error {worst} above the bound {quantizer.RoundTripErrorBound}");
        Assert.Equal(0.5 / (int.MaxValue / 1_000), quantizer.Step, 15);
        // The bound is tight enough to matter: a coarser grid (half the levels) would break it somewhere.
        Assert.True(worst > quantizer.RoundTripErrorBound / 4);
    }

    [Fact]
    public void Sum_of_dequantized_updates_is_within_m_times_the_bound()
    {
        var quantizer = new FixedPointQuantizer(1.0, maxClients: 50, QuantizationRounding.Stochastic);
        var updates = Enumerable.Range(0, 50).Select(i => Uniform(2_000, 1.0, (ulong)i + 10)).ToList();
        var sum = new uint[2_000];

        foreach (var (u, i) in updates.Select((u, i) => (u, i))) ModularVector.AddInPlace(sum, quantizer.Quantize(u, (ulong)i).Values);
        var decoded = quantizer.DequantizeSum(sum);

        for (int j = 0; j < 2_000; j++)
        {
            double exact = updates.Sum(u => (double)u[j]);
            Assert.True(Math.Abs(decoded[j] - exact) <= 50 * quantizer.RoundTripErrorBound, $"coordinate {j}: {decoded[j]} vs {exact}");
        }
    }

    [Fact]
    public void N_clients_at_the_clipping_range_sum_without_wrapping()
    {
        // Prepare: every one of N clients sends +c (or −c) in one coordinate, and beyond c in another
        const int n = 1_000;
        var quantizer = new FixedPointQuantizer(2.0, n, QuantizationRounding.Stochastic);
        var update = new float[] { 2f, -2f, 1e9f, -1e9f };
        var sum = new uint[4];

        // Execute
        for (int i = 0; i < n; i++) ModularVector.AddInPlace(sum, quantizer.Quantize(update, (ulong)i).Values);
        var decoded = quantizer.DequantizeSum(sum);

        // Assert: the extremes are exact (n · c), so the sum fits below 2^31 in magnitude
        Assert.Equal(new[] { 2000.0, -2000.0, 2000.0, -2000.0 }, decoded.Select(d => Math.Round(d, 9)));
        Assert.Equal((uint)(n * (int.MaxValue / n)), sum[0]);
    }

    [Fact]
    public void Stochastic_rounding_is_seeded_and_unbiased()
    {
        var quantizer = new FixedPointQuantizer(1.0, 2, QuantizationRounding.Stochastic);
        // A value a third of the way between two grid points.
        float x = (float)(1000.3333 * quantizer.Step);
        var update = Enumerable.Repeat(x, 30_000).ToArray();

        var a = quantizer.Quantize(update, 1).Values;
        var b = quantizer.Quantize(update, 1).Values;
        var c = quantizer.Quantize(update, 2).Values;
        double mean = a.Average(v => (double)(int)v) * quantizer.Step;

        Assert.Equal(a, b);
        Assert.NotEqual(a, c);
        Assert.All(a, v => Assert.InRange((int)v, 1000, 1001));
        Assert.Equal(x, mean, 3e-3 * quantizer.Step * 1000); // ±0.3 % of the value: binomial noise over 30,000 draws
    }

    [Theory]
    [InlineData(QuantizationRounding.Nearest)]
    [InlineData(QuantizationRounding.Stochastic)]
    public void The_count_slot_sums_the_coordinates_each_client_clipped_exactly(QuantizationRounding rounding)
    {
        // Prepare: 40 clients; client i sends i coordinates beyond c = 0.3 (of either sign) among 100, the rest inside
        // [−c, c] including c itself (a weight of 1 is sent as exactly c), and a slot for the count.
        const int clients = 40, length = 100;
        var quantizer = new FixedPointQuantizer(0.3, clients, rounding, countsClipped: true);
        var sum = new uint[length + 1];

        // Execute
        for (int i = 0; i < clients; i++)
        {
            var update = Uniform(length + 1, 0.3, (ulong)i);
            update[0] = 0.3f;
            for (int k = 1; k <= i; k++) update[k] = k % 2 == 0 ? 0.31f : -5f;
            ModularVector.AddInPlace(sum, quantizer.Quantize(update, (ulong)i).Values);
        }
        var decoded = quantizer.DequantizeSum(sum);

        // Assert: 0 + 1 + ... + 39 clipped coordinates in all; the values still decode as before.
        Assert.Equal(clients * (clients - 1) / 2, decoded[length]);
        Assert.Equal(clients * 0.3, decoded[0], 6);
    }

    [Fact]
    public void Without_clipping_the_count_is_zero_and_without_the_slot_nothing_is_counted()
    {
        var counting = new FixedPointQuantizer(1.0, 10, QuantizationRounding.Nearest, countsClipped: true);
        var plain = new FixedPointQuantizer(1.0, 10, QuantizationRounding.Nearest);
        float[] inside = [0.5f, -1f, 1f, 0f];

        Assert.Equal(0u, counting.Quantize(inside, 0).Values[^1]);
        Assert.Equal(plain.Quantize([0.5f, -1f, 1f, 2f], 0).Values[..3], counting.Quantize([0.5f, -1f, 1f, 0f], 0).Values[..3]);
        Assert.Equal(1.0, plain.DequantizeSum(plain.Quantize([0.5f, -1f, 1f, 2f], 0).Values)[^1]); // clipped to c, not counted
    }

    [Fact]
    public void Non_finite_coordinates_are_refused_with_their_index()
    {
        var quantizer = new FixedPointQuantizer(1.0, 10, QuantizationRounding.Nearest);

        var e = Assert.Throws<ArgumentException>(() => quantizer.Quantize(new[] { 0f, float.NaN }, 0));

        Assert.Contains("coordinate 1", e.Message);
    }
}
