using FedSim.Attacks.Inference;
using FedSim.Determinism;
using StandardNormal = MathNet.Numerics.Distributions.Normal;

namespace FedSim.Tests.Attacks.Inference;

/// <summary>Seeded synthetic audits with analytically known answers.</summary>
internal static class AttackTestKit
{
    public static DeterministicRandom Rng(ulong test) => new(Seeds.Derive(test, Seeds.None, Seeds.None, SeedPurpose.Attack));

    public static double[] Normal(DeterministicRandom rng, int n, double mean, double sd) =>
        Enumerable.Range(0, n).Select(_ => mean + sd * rng.NextGaussian()).ToArray();

    /// <summary>AUC of a score that is N(μ₁, σ²) for members and N(μ₀, σ²) for non-members: Φ((μ₁ − μ₀) / (σ√2)).</summary>
    public static double GaussianAuc(double separation, double sd) => StandardNormal.CDF(0, 1, separation / (sd * Math.Sqrt(2)));

    /// <summary>TPR at a given FPR for the same equal-variance pair: Φ(d′ + Φ⁻¹(FPR)), d′ = separation / σ.</summary>
    public static double GaussianTprAtFpr(double separation, double sd, double fpr) =>
        StandardNormal.CDF(0, 1, separation / sd + StandardNormal.InvCDF(0, 1, fpr));

    /// <summary>Asserts the measured AUC is within the 99.9 % Hanley–McNeil interval of the expected one.</summary>
    public static void AssertAucNear(double expected, MembershipMetrics measured)
    {
        var (lo, hi) = AucInterval.Around(expected, measured.Members, measured.NonMembers, 0.999);
        Assert.True(measured.Auc >= lo && measured.Auc <= hi, $"AUC {measured.Auc:F4} outside [{lo:F4}, {hi:F4}] around the expected {expected:F4}");
    }

    /// <summary>Asserts the audit looks member-blind: AUC inside the 99.9 % chance interval.</summary>
    public static void AssertChance(MembershipMetrics measured)
    {
        var (lo, hi) = AucInterval.Chance(measured.Members, measured.NonMembers, 0.999);
        Assert.True(measured.Auc >= lo && measured.Auc <= hi, $"AUC {measured.Auc:F4} outside the chance interval [{lo:F4}, {hi:F4}]");
    }

    /// <summary>Binary-classifier outputs with logits (margin, 0) and true label 0: p_y = σ(margin).</summary>
    public static ModelOutputs BinaryOutputs(IReadOnlyList<double> margins) =>
        new(margins.SelectMany(m => new[] { (float)m, 0f }).ToArray(), 2, new int[margins.Count]);
}
