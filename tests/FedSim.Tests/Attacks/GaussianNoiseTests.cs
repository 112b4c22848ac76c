using FedSim.Attacks.Poisoning;
using static FedSim.Tests.Attacks.PoisoningTestKit;

namespace FedSim.Tests.Attacks;

public sealed class GaussianNoiseTests
{
    [Fact]
    public void Gaussian_noise_is_determined_by_the_crafting_seed()
    {
        // Prepare
        var options = new GaussianNoiseOptions { Mean = 0, Std = 1 };
        float[][] honest = [new float[16], new float[16]];

        // Execute
        var first = options.Craft(honest, Context(seed: 7));
        var again = options.Craft(honest, Context(seed: 7));
        var other = options.Craft(honest, Context(seed: 8));

        // Assert: same seed, same noise; another seed, other noise; members get different draws.
        Assert.Equal(first, again);
        Assert.NotEqual(first[0], other[0]);
        Assert.NotEqual(first[0], first[1]);
    }

    [Fact]
    public void Gaussian_noise_has_the_configured_mean_and_spread()
    {
        // Prepare: 20,000 draws; the standard error of the mean is 2/√20000 ≈ 0.014.
        var options = new GaussianNoiseOptions { Mean = 3, Std = 2 };

        // Execute
        var noise = options.Craft([new float[20_000]], Context(seed: 11))[0];

        // Assert
        double mean = noise.Average(v => (double)v);
        double std = Math.Sqrt(noise.Average(v => (v - mean) * (v - mean)));
        Assert.InRange(mean, 2.95, 3.05);
        Assert.InRange(std, 1.95, 2.05);
    }
}
