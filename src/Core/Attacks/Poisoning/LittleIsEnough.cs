using System.ComponentModel;
using FedSim.Components;
using MathNet.Numerics.Distributions;

namespace FedSim.Attacks.Poisoning;

/// <summary>
/// "A Little Is Enough" (Baruch, Baruch and Goldberg 2019): the members estimate the per-coordinate mean μ and
/// (sample) standard deviation σ of honest updates from their own honest updates, and all send μ − z·σ, small enough
/// per coordinate to pass median- and distance-based filters. Default z is the paper's z_max: with n clients and
/// m malicious, s = ⌊n/2 + 1⌋ − m and z = Φ⁻¹((n − s)/n).
/// </summary>
[ComponentKind("alie", Order = 5), GenerateSerializer]
[Description("ALIE (Baruch et al. 2019): colluding members all send μ − z·σ of their honest updates.")]
public sealed class LittleIsEnoughOptions : ByzantineOptions
{
    [Id(0), Description("Deviation z in standard deviations; empty means the paper's z_max for the round's n and m.")]
    public double? Z { get; set; }

    public override bool Colludes => true;

    /// <summary>Baruch et al.'s z_max for n clients of which m are malicious.</summary>
    public static double ZMax(int n, int m)
    {
        int s = n / 2 + 1 - m;
        double p = (n - s) / (double)n;
        return Normal.InvCDF(0, 1, Math.Clamp(p, 1e-6, 1 - 1e-6));
    }

    public override float[][] Craft(IReadOnlyList<float[]> honest, PoisoningContext context)
    {
        if (honest.Count == 0) return [];
        double z = Z ?? ZMax(context.CohortSize, context.Malicious);
        int d = honest[0].Length, k = honest.Count;
        var crafted = new float[d];
        for (int i = 0; i < d; i++)
        {
            double mean = 0;
            for (int j = 0; j < k; j++) mean += honest[j][i];
            mean /= k;
            double variance = 0;
            for (int j = 0; j < k; j++) variance += (honest[j][i] - mean) * (honest[j][i] - mean);
            // Sample standard deviation (n − 1), as ByzFL's ALittleIsEnough computes it (var with ddof = 1) and its
            // published vector shows; a lone member has no spread to estimate and sends the mean (σ = 0).
            double std = k > 1 ? Math.Sqrt(variance / (k - 1)) : 0;
            crafted[i] = (float)(mean - z * std);
        }
        return honest.Select(_ => (float[])crafted.Clone()).ToArray();
    }
}
