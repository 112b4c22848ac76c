using FedSim.Privacy.Accounting;
using FedSim.Rounds;

namespace FedSim.Privacy;

/// <summary>
/// What DP-FedAvg's accountant assumes about every round of a scenario, and the ε it gives. Each round is one
/// run of the Poisson-subsampled Gaussian mechanism on the devices' data with
/// <list type="bullet">
/// <item>sampling rate q·a: a device is drawn with probability q (<c>training.sampling.rate</c>) and, independently,
/// available with probability a (<c>heterogeneity.availability</c>), so it is in the cohort with probability q·a;</item>
/// <item>noise multiplier z (<c>privacy.central.noise_multiplier</c>): with adaptive clipping the update sum gets z_Δ and
/// the clip count 2σ_b, which compose to exactly one Gaussian mechanism with z (Andrew et al. 2021, §3).</item>
/// </list>
/// Dropouts and deadlines only remove devices after they were drawn, independently of their data (a device's drop is
/// a seeded draw, its lateness a property of its profile), so they lower the inclusion probability: accounting at q·a
/// is an upper bound for every device. Sampling that does not have this form (fixed-size cohorts, over-selection,
/// availability windows from a trace) is refused when the scenario is validated.
/// </summary>
/// <param name="SamplingRate">q·a.</param>
/// <param name="NoiseMultiplier">The total z the accountant composes.</param>
/// <param name="ExpectedParticipants">m = q·a·(1 − dropout)·N: the fixed denominator of the noised mean (McMahan et al. 2018).</param>
public sealed record CentralDpAccounting(double SamplingRate, double NoiseMultiplier, double ExpectedParticipants, double Delta)
{

    /// <summary>ε at δ after <paramref name="rounds"/> rounds (0 before the first).</summary>
    public double EpsilonAfter(long rounds)
    {
        if (rounds <= 0) return 0;
        var accountant = new RdpAccountant();
        accountant.AddSteps(SamplingRate, NoiseMultiplier, rounds);
        return accountant.GetEpsilon(Delta).Epsilon;
    }
}

/// <summary>
/// One device's DP-SGD accountant: every local step is a Poisson-subsampled Gaussian mechanism on the device's
/// examples with rate q = min(1, B / n) (the local batches are Poisson-sampled with expected size B) and noise
/// multiplier z; the steps of every round the device trained in compose.
/// </summary>
public sealed record LocalDpAccounting(double SamplingRate, double NoiseMultiplier, double Delta)
{
    /// <summary>The device-state scalar holding the DP-SGD steps a device has taken in all its rounds.</summary>
    public const string StepsKey = "privacy.local_steps";

    public static LocalDpAccounting For(LocalDpSpec local, int batchSize, int examples, double delta)
        => new(Math.Min(1.0, (double)batchSize / Math.Max(1, examples)), local.NoiseMultiplier, delta);

    /// <summary>ε at δ after <paramref name="steps"/> local steps in all (0 before the first).</summary>
    public double EpsilonAfter(long steps)
    {
        if (steps <= 0) return 0;
        var accountant = new RdpAccountant();
        accountant.AddSteps(SamplingRate, NoiseMultiplier, steps);
        return accountant.GetEpsilon(Delta).Epsilon;
    }
}
