using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using FedSim.Components;
using FedSim.Determinism;

namespace FedSim.Rounds;

/// <summary>
/// The device-sampling family (<c>training.sampling.kind</c>): how a round's cohort is drawn from the registered
/// devices. It is part of the privacy story: a DP accountant's amplification-by-sampling bound holds only for the
/// sampling actually used, so the privacy rules read this section.
/// </summary>
[ComponentFamily("sampling"), GenerateSerializer]
[Description("How each round's cohort is drawn: a fixed number of devices, or each device independently (Poisson).")]
public abstract class SamplingOptions : ComponentOptions
{
    /// <summary>The cohort size a round expects (robust aggregators' f, secure aggregation's quantizer bound).</summary>
    public abstract int ExpectedCohort(long population, int devicesPerRound);

    /// <summary>Whether the round waits for a target number of devices (training.devices_per_round).</summary>
    public virtual bool TargetsCohortSize => true;

    /// <summary>
    /// The round's cohort, sorted, from the round's cohort-sampling stream. <paramref name="available"/> filters the
    /// devices that cannot take part this round (null: everyone can).
    /// </summary>
    public abstract long[] Sample(int round, ulong seed, long population, int count, Func<long, bool>? available);
}

/// <summary>Fixed-size sampling: exactly <c>devices_per_round</c> devices, uniformly without replacement (Floyd's algorithm).</summary>
[ComponentKind("fixed", Order = 0), GenerateSerializer]
[Description("Fixed size: exactly training.devices_per_round devices, uniformly without replacement (Floyd's algorithm).")]
public sealed class FixedSizeSamplingOptions : SamplingOptions
{
    /// <summary>The sampling of a scenario that names none.</summary>
    public static readonly FixedSizeSamplingOptions Default = new();

    public override int ExpectedCohort(long population, int devicesPerRound) => devicesPerRound;

    /// <summary>
    /// With everyone available, Floyd's algorithm draws exactly <paramref name="count"/> (a million registered devices
    /// cost nothing until sampled); otherwise devices are drawn one by one without replacement from the same seeded
    /// stream, skipping unavailable ones, until enough are found or the population is exhausted.
    /// </summary>
    public override long[] Sample(int round, ulong seed, long population, int count, Func<long, bool>? available)
    {
        if (available is null) return CohortSampler.Sample(population, count, seed, round);

        // Lazy Fisher–Yates over 0..N-1: only swapped positions are stored, so memory is O(draws), not O(N).
        var rng = new DeterministicRandom(Seeds.Derive(seed, round, Seeds.None, SeedPurpose.CohortSampling));
        var swapped = new Dictionary<long, long>();
        var chosen = new List<long>(count);
        for (long i = 0; i < population && chosen.Count < count; i++)
        {
            long j = i + rng.NextInt64(population - i);
            long atJ = swapped.GetValueOrDefault(j, j);
            swapped[j] = swapped.GetValueOrDefault(i, i);
            if (available(atJ)) chosen.Add(atJ);
        }
        var result = chosen.ToArray();
        Array.Sort(result);
        return result;
    }
}

/// <summary>
/// Poisson sampling: every device joins a round independently with probability q, so the cohort size varies
/// (binomial, mean q·N). It is the sampling the RDP accountant of the subsampled Gaussian mechanism assumes
/// (Mironov, Talwar and Zhang 2019), and what DP-FedAvg (McMahan et al. 2018) uses.
/// </summary>
[ComponentKind("poisson", Order = 1), GenerateSerializer]
[Description("Poisson: every device joins a round independently with probability rate (cohort size varies, mean rate x devices); training.devices_per_round is not used. What the DP accountant assumes.")]
public sealed class PoissonSamplingOptions : SamplingOptions
{
    [Id(0), Description("q: the probability that a device joins a round.")]
    [Range(0, 1, MinimumIsExclusive = true)]
    public double Rate { get; set; } = 0.1;

    public override int ExpectedCohort(long population, int devicesPerRound) => (int)Math.Max(1, Math.Round(Rate * population));

    public override bool TargetsCohortSize => false;

    public override long[] Sample(int round, ulong seed, long population, int count, Func<long, bool>? available)
        => Sample(round, seed, population, available);

    /// <summary>
    /// The round's cohort, sorted: each of the <paramref name="population"/> devices independently with probability q,
    /// drawn as the gaps of a Bernoulli process (geometric skips), so the cost is O(q·N), not O(N).
    /// <paramref name="admit"/> filters the drawn devices (availability).
    /// </summary>
    public long[] Sample(int round, ulong seed, long population, Func<long, bool>? admit = null)
    {
        var rng = new DeterministicRandom(Seeds.Derive(seed, round, Seeds.None, SeedPurpose.CohortSampling));
        return rng.BernoulliPositions(population, Rate).Where(d => admit is null || admit(d)).ToArray();
    }
}
