using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using FedSim.Components;
using FedSim.Privacy.Mechanisms;

namespace FedSim.Privacy;

// The scenario's `privacy:` section. A fixed section rather than one component family, because its mechanisms
// compose: central DP-FedAvg, local DP-SGD and secure aggregation can each be on or off independently (DP-FedAvg
// over secure aggregation is the usual deployment). Each mechanism is an optional sub-section (absent = off); the
// one real choice between interchangeable kinds, how DP-FedAvg picks its clip norm, is a component family.

/// <summary>The scenario's privacy mechanisms and the (ε, δ) they are reported at. Everything is off by default.</summary>
[GenerateSerializer]
[Description("Differential privacy (central DP-FedAvg, local DP-SGD) and secure aggregation; all off unless their sub-section is given.")]
public sealed class PrivacySpec
{
    [Id(0), Description("δ of the reported (ε, δ) guarantee (take it well below 1 / the number of records protected: devices for central DP, a device's examples for local DP).")]
    [Range(0, 1, MinimumIsExclusive = true, MaximumIsExclusive = true)]
    public double Delta { get; set; } = 1e-5;

    [Id(1), Description("Stop the run cleanly before a round that would take ε (at delta) above this budget (0 = no budget). Central DP: the run's ε; local DP only: each device's own ε (a device declines rounds it cannot afford).")]
    [Range(0, double.MaxValue)]
    public double EpsilonBudget { get; set; }

    [Id(2), Description("User-level DP-FedAvg (McMahan et al. 2018): each device's update clipped to L2 norm S, Gaussian noise N(0, z²S²) on their sum; needs training.sampling.kind: poisson. Omit for none.")]
    public CentralDpSpec? Central { get; set; }

    [Id(3), Description("Example-level DP-SGD on every device (Abadi et al. 2016): per-example gradient clipping and Gaussian noise in local training, Poisson-sampled local batches, a per-device accountant. Omit for none.")]
    public LocalDpSpec? Local { get; set; }

    [Id(4), Description("Secure aggregation (Bonawitz et al. 2017; SecAgg+ of Bell et al. 2020 with graph: sparse): the coordinator sees only masked updates and their sum. Omit for none.")]
    public SecureAggregationSpec? SecureAggregation { get; set; }

    [Id(5), Description("true: every DP noise draw (DP-FedAvg's noise and adaptive clipping's count noise on the coordinator, DP-SGD's on the devices) comes from the operating system's cryptographic generator, each draw the sum of four polar-method normals from 53-bit uniforms, halved (Opacus' secure_mode; Holohan and Braghin 2021), so nobody who holds the seed can subtract the noise. The run then cannot be replayed (summary.json's privacy line says so). false (default): noise from the experiment seed, reproducible. Needs privacy.central or privacy.local.")]
    public bool SecureNoise { get; set; }

    /// <summary>Whether any mechanism is on.</summary>
    public bool Any => Central is not null || Local is not null || SecureAggregation is not null;
}

/// <summary>DP-FedAvg's settings: the noise multiplier and how the clip norm is chosen.</summary>
[GenerateSerializer]
public sealed class CentralDpSpec
{
    [Id(0), Description("z: the noise on the sum of clipped updates has standard deviation z·S.")]
    [Range(0, double.MaxValue, MinimumIsExclusive = true)]
    public double NoiseMultiplier { get; set; } = 1.0;

    [Id(1), Description("How the clip norm S is chosen: clipping.kind fixed (clip_norm) or adaptive (the noised quantile estimate of Andrew et al. 2021).")]
    public ClippingOptions Clipping { get; set; } = new FixedClippingOptions();
}

/// <summary>DP-SGD's settings on the devices.</summary>
[GenerateSerializer]
public sealed class LocalDpSpec
{
    [Id(0), Description("z: the noise on each step's sum of clipped per-example gradients has standard deviation z·C.")]
    [Range(0, double.MaxValue, MinimumIsExclusive = true)]
    public double NoiseMultiplier { get; set; } = 1.0;

    [Id(1), Description("C: every example's gradient is clipped to this L2 norm (over all parameters) before summing.")]
    [Range(0, double.MaxValue, MinimumIsExclusive = true)]
    public double ClipNorm { get; set; } = 1.0;
}

public static class SecureAggregationGraphs
{
    public const string Complete = "complete";
    public const string Sparse = "sparse";
    public static readonly string[] All = [Complete, Sparse];
}

public static class QuantizationRoundings
{
    public const string Nearest = "nearest";
    public const string Stochastic = "stochastic";
    public static readonly string[] All = [Nearest, Stochastic];
}

/// <summary>Secure aggregation's settings (see src/Core/Privacy/SecureAggregation/README.md).</summary>
[GenerateSerializer]
public sealed class SecureAggregationSpec
{
    [Id(0), Description("complete: every device masks with every other (Bonawitz et al. 2017); sparse: k neighbours in a seeded random graph (SecAgg+, Bell et al. 2020), for large cohorts.")]
    [AllowedValues("complete", "sparse")]
    public string Graph { get; set; } = SecureAggregationGraphs.Complete;

    [Id(1), Description("sparse: neighbours k per device (even; 0 = 2·ceil(log2 cohort)).")]
    [Range(0, int.MaxValue)]
    public int Neighbours { get; set; }

    [Id(2), Description("t: shares needed to rebuild a device's secrets (0 = a strict majority of its share holders). The sum survives until fewer than t holders are left.")]
    [Range(0, int.MaxValue)]
    public int Threshold { get; set; }

    [Id(3), Description("c: each coordinate of the (weighted) update is clipped to [-c, c] before fixed-point quantization; how many were clipped is counted inside the mask, so the coordinator learns only the round's total (metrics.csv secagg_clipped_coordinates). With central DP the clip norm S is used instead (a clipped update's coordinates already lie within it).")]
    [Range(0, double.MaxValue, MinimumIsExclusive = true)]
    public double ClipRange { get; set; } = 1.0;

    [Id(4), Description("nearest or stochastic (unbiased, seeded) rounding to the fixed-point grid.")]
    [AllowedValues("nearest", "stochastic")]
    public string Rounding { get; set; } = QuantizationRoundings.Nearest;

    [Id(5), Description("false (default): each device's key pairs, self-mask seed and share polynomials come from the operating system's cryptographic generator, fresh for every protocol session (every attempt of a round), as Bonawitz et al. require. true: derived from the experiment seed and the session, so a test replays them bit for bit; only as secret as the seed, which the coordinator holds. The aggregate is the same either way: the masks cancel.")]
    public bool DeterministicSecrets { get; set; }
}

/// <summary>The clipping family of DP-FedAvg (<c>privacy.central.clipping.kind</c>): where the clip norm S comes from.</summary>
[ComponentFamily("clipping"), GenerateSerializer]
[Description("How DP-FedAvg's clip norm is chosen.")]
public abstract class ClippingOptions : ComponentOptions
{
    /// <summary>S in the first round.</summary>
    public abstract double InitialClipNorm { get; }

    /// <summary>Whether S follows the share of unclipped updates (each device then reports whether it fitted under S).</summary>
    public virtual bool TracksUnclippedFraction => false;

    /// <summary>
    /// S for the next round and the noised unclipped fraction it was moved by, after a round that clipped to
    /// <paramref name="clipNorm"/>; null when S is fixed.
    /// </summary>
    public virtual (double NextClipNorm, double NoisedUnclippedFraction)? Adapt(double clipNorm, double expectedParticipants, int unclipped, int used,
        GaussianSource countNoise) => null;

    /// <summary>
    /// The noise multiplier of the update sum, given the run's total z: all of it for fixed clipping; what is left
    /// after the clip-count query for adaptive clipping (<see cref="AdaptiveClipping.UpdateNoiseMultiplier"/>).
    /// </summary>
    public virtual double UpdateNoiseMultiplier(double totalNoiseMultiplier, double expectedParticipants) => totalNoiseMultiplier;

    /// <summary>Human-readable mechanism name for summaries.</summary>
    public abstract string Describe();
}

/// <summary>A fixed clip norm S for every round.</summary>
[ComponentKind("fixed", Order = 0), GenerateSerializer]
[Description("A fixed clip norm for every round.")]
public sealed class FixedClippingOptions : ClippingOptions
{
    [Id(0), Description("S: every device's update is scaled down to this L2 norm if longer.")]
    [Range(0, double.MaxValue, MinimumIsExclusive = true)]
    public double ClipNorm { get; set; } = 1.0;

    public override double InitialClipNorm => ClipNorm;

    public override string Describe() => $"fixed clip norm {ClipNorm:R}";
}

/// <summary>
/// Adaptive quantile clipping (Andrew, Thakkar, McMahan and Ramaswamy 2021): S follows the target quantile of the
/// update norms through a noised count of unclipped updates, paid for out of the same noise multiplier.
/// </summary>
[ComponentKind("adaptive", Order = 1), GenerateSerializer]
[Description("Adaptive quantile clipping (Andrew et al. 2021): the clip norm tracks a quantile of the update norms, estimated with its own noised count.")]
public sealed class AdaptiveClippingOptions : ClippingOptions
{
    [Id(0), Description("S in the first round (Andrew et al. start at 0.1).")]
    [Range(0, double.MaxValue, MinimumIsExclusive = true)]
    public double InitialNorm { get; set; } = 0.1;

    [Id(1), Description("γ: the fraction of updates that should fit under the clip norm.")]
    [Range(0, 1)]
    public double TargetQuantile { get; set; } = 0.5;

    [Id(2), Description("η_C: the clip norm changes by at most a factor exp(η_C) per round.")]
    [Range(0, double.MaxValue, MinimumIsExclusive = true)]
    public double LearningRate { get; set; } = 0.2;

    [Id(3), Description("σ_b: standard deviation of the noise on the unclipped count (0 = expected participants / 20, the paper's choice).")]
    [Range(0, double.MaxValue)]
    public double CountNoiseStd { get; set; }

    public override double InitialClipNorm => InitialNorm;

    public override bool TracksUnclippedFraction => true;

    public override (double NextClipNorm, double NoisedUnclippedFraction)? Adapt(double clipNorm, double expectedParticipants, int unclipped, int used,
        GaussianSource countNoise)
    {
        var next = Create(clipNorm, expectedParticipants).Update(unclipped, used, expectedParticipants, countNoise);
        return (next.NextClipNorm, next.NoisedUnclippedFraction);
    }

    /// <summary>σ_b for a round of <paramref name="expectedParticipants"/> expected devices.</summary>
    public double CountNoise(double expectedParticipants) => CountNoiseStd > 0 ? CountNoiseStd : expectedParticipants / 20;

    public override double UpdateNoiseMultiplier(double totalNoiseMultiplier, double expectedParticipants)
        => AdaptiveClipping.UpdateNoiseMultiplier(totalNoiseMultiplier, CountNoise(expectedParticipants));

    public AdaptiveClipping Create(double clipNorm, double expectedParticipants)
        => new(clipNorm, TargetQuantile, LearningRate, CountNoise(expectedParticipants));

    public override string Describe() => $"adaptive clipping (quantile {TargetQuantile:R}, initial norm {InitialNorm:R})";
}
