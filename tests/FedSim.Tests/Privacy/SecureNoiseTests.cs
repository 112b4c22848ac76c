using FedSim.Composition;
using FedSim.Determinism;
using FedSim.Privacy;
using FedSim.Privacy.Mechanisms;
using FedSim.Rounds;
using FedSim.Scenario;
using FedSim.Strategies;
using MathNet.Numerics.Distributions;
using Xunit.Sdk;

namespace FedSim.Tests.Privacy;

/// <summary>
/// <c>privacy.secure_noise</c>: DP noise from the OS's cryptographic generator has the right distribution, is fresh on
/// every use, and is named in the privacy line; without it the noise is the seeded stream, as before.
/// </summary>
public sealed class SecureNoiseTests
{
    /// <summary>
    /// Fails unless <paramref name="draws"/> look N(0, 1): mean, variance, skewness and excess kurtosis each within five
    /// of their standard errors of 0, 1, 0, 0, and the Kolmogorov–Smirnov distance to Φ below its 1e-6 critical value
    /// (√(ln(2/α)/(2n))). A correct sampler fails one of these about once in a hundred thousand runs.
    /// </summary>
    internal static void AssertStandardNormal(IReadOnlyList<double> draws)
    {
        int n = draws.Count;
        double mean = draws.Average();
        double m2 = draws.Sum(x => (x - mean) * (x - mean)) / n;
        double m3 = draws.Sum(x => Math.Pow(x - mean, 3)) / n, m4 = draws.Sum(x => Math.Pow(x - mean, 4)) / n;
        Assert.True(Math.Abs(mean) < 5 / Math.Sqrt(n), $"mean {mean:G4}");
        Assert.True(Math.Abs(m2 - 1) < 5 * Math.Sqrt(2.0 / n), $"variance {m2:G6}");
        Assert.True(Math.Abs(m3 / Math.Pow(m2, 1.5)) < 5 * Math.Sqrt(6.0 / n), $"skewness {m3 / Math.Pow(m2, 1.5):G4}");
        Assert.True(Math.Abs(m4 / (m2 * m2) - 3) < 5 * Math.Sqrt(24.0 / n), $"excess kurtosis {m4 / (m2 * m2) - 3:G4}");
        var sorted = draws.Order().ToArray();
        double ks = 0;
        for (int i = 0; i < n; i++)
        {
            double cdf = Normal.CDF(0, 1, sorted[i]);
            ks = Math.Max(ks, Math.Max((i + 1.0) / n - cdf, cdf - (double)i / n));
        }
        Assert.True(ks < Math.Sqrt(Math.Log(2 / 1e-6) / (2 * n)), $"Kolmogorov–Smirnov distance {ks:G4}");
    }

    private static double[] Draw(GaussianSource source, int n)
    {
        var draws = new double[n];
        source.Fill(draws);
        return draws;
    }

    [Fact]
    public void Secure_draws_are_standard_normal()
    {
        AssertStandardNormal(Draw(GaussianSource.Secure(), 200_000));
    }

    [Fact]
    public void Secure_float_draws_are_standard_normal()
    {
        var draws = new float[200_000];

        new SecureGaussian().Fill(draws);

        AssertStandardNormal(draws.Select(x => (double)x).ToArray());
    }

    [Theory]
    [InlineData(1.02, 0.0)] // two per cent too wide
    [InlineData(1.0, 0.02)] // shifted by a fiftieth of σ
    public void The_normality_check_rejects_a_sampler_that_is_slightly_off(double scale, double shift)
    {
        var draws = Draw(GaussianSource.Seeded(5), 200_000).Select(x => scale * x + shift).ToArray();

        Assert.ThrowsAny<XunitException>(() => AssertStandardNormal(draws));
    }

    [Fact]
    public void Two_secure_sources_share_no_draw()
    {
        var first = Draw(GaussianSource.Secure(), 1_000);
        var second = Draw(GaussianSource.Secure(), 1_000);

        Assert.Empty(first.Intersect(second));
        Assert.Equal(1_000, first.Distinct().Count());
    }

    [Fact]
    public void Without_secure_noise_the_draws_are_the_seeded_stream()
    {
        var stream = new DeterministicRandom(11);
        var expected = Enumerable.Range(0, 100).Select(_ => stream.NextGaussian()).ToArray();

        Assert.Equal(expected, Draw(GaussianSource.For(secure: false, 11), 100));
        Assert.Equal(expected, Draw(GaussianSource.Seeded(11), 100));
        Assert.IsType<SecureGaussian>(GaussianSource.For(secure: true, 11));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Dp_fedavg_noise_replays_from_the_seed_unless_it_is_secure(bool secure)
    {
        // Prepare: zero updates, so the released mean is the noise alone, σ = z·S / m = 1 · 2 / 2 = 1 on each coordinate.
        const int n = 50_000;
        var central = new CentralDpSpec { NoiseMultiplier = 1, Clipping = new FixedClippingOptions { ClipNorm = 2 } };
        var stage = new CentralDpAggregationStage(central, new CentralDpAccounting(0.1, 1, 2, 1e-5), n, secureNoise: secure);
        RoundResults Round() => new(new RoundContext(1, 3, 100, 2, 0, new ServerState()), new float[n],
            [new DeviceResult(1, new float[n], 1), new DeviceResult(2, new float[n], 1)], []);
        var (first, second) = (Round(), Round());

        // Execute
        await stage.RunAsync(first, CancellationToken.None);
        await stage.RunAsync(second, CancellationToken.None);

        // Assert
        AssertStandardNormal(first.Update!);
        if (secure) Assert.Empty(first.Update!.Intersect(second.Update!));
        else Assert.Equal(first.Update, second.Update);
    }

    [Fact]
    public void The_privacy_line_says_a_run_with_secure_noise_cannot_be_replayed()
    {
        var scenario = new ScenarioSpec { Privacy = new PrivacySpec { Local = new LocalDpSpec(), SecureNoise = true } };
        var seeded = new ScenarioSpec { Privacy = new PrivacySpec { Local = new LocalDpSpec() } };

        Assert.EndsWith("; DP noise from the operating system's cryptographic generator (secure_noise): this run cannot be replayed",
            ScenarioComposition.DescribePrivacy(scenario));
        Assert.DoesNotContain("secure_noise", ScenarioComposition.DescribePrivacy(seeded));
    }
}
