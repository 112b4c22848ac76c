using FedSim.Determinism;
using FedSim.Privacy.Accounting;

namespace FedSim.Privacy.Mechanisms;

/// <summary>
/// The Gaussian mechanism's noise: N(0, σ²) added independently to every coordinate of a sum. For DP-FedAvg with
/// clip norm S and noise multiplier z, σ = z·S (McMahan et al. 2018). Draws come from a <see cref="GaussianSource"/>:
/// seeded with <see cref="SeedPurpose.Noise"/>, so a run's noise is reproducible, or the OS's cryptographic generator
/// under <c>privacy.secure_noise</c>.
/// </summary>
public static class GaussianNoise
{
    /// <summary>σ of the noise on a sum of updates clipped to <paramref name="clipNorm"/>.</summary>
    public static double StandardDeviation(double noiseMultiplier, double clipNorm)
    {
        if (!(noiseMultiplier >= 0) || !double.IsFinite(noiseMultiplier))
            throw new PrivacyParameterException($"noise multiplier must be a finite number >= 0, got {noiseMultiplier}");
        if (!(clipNorm > 0) || !double.IsFinite(clipNorm))
            throw new PrivacyParameterException($"clip norm must be a finite number > 0, got {clipNorm}");
        return noiseMultiplier * clipNorm;
    }

    /// <summary>Adds σ·N(0, 1) to each entry of <paramref name="sum"/>, in index order.</summary>
    public static void AddTo(Span<double> sum, double standardDeviation, GaussianSource random)
    {
        if (!(standardDeviation >= 0) || !double.IsFinite(standardDeviation))
            throw new PrivacyParameterException($"noise standard deviation must be a finite number >= 0, got {standardDeviation}");
        if (standardDeviation == 0) return;
        for (int i = 0; i < sum.Length; i++) sum[i] += standardDeviation * random.Next();
    }
}
