using FedSim.Determinism;

namespace FedSim.Attacks.Poisoning;

/// <summary>
/// Which devices are malicious: exactly round(fraction·N) of them, drawn once from the experiment seed with
/// Floyd's algorithm (purpose Byzantine), so every silo and every resume agrees without shipping the list.
/// </summary>
public sealed class ByzantineRoster
{
    private readonly HashSet<long> _malicious;

    public ByzantineRoster(ulong experimentSeed, long population, double fraction)
    {
        long count = (long)Math.Round(fraction * population, MidpointRounding.AwayFromZero);
        count = Math.Clamp(count, 0, population);
        var rng = new DeterministicRandom(Seeds.Derive(experimentSeed, Seeds.None, Seeds.None, SeedPurpose.Byzantine));
        _malicious = RandomSubsets.Floyd(population, count, rng);
    }

    /// <summary>No malicious devices.</summary>
    public static ByzantineRoster None { get; } = new(0, 0, 0);

    public int Count => _malicious.Count;

    public bool IsMalicious(long device) => _malicious.Contains(device);
}
