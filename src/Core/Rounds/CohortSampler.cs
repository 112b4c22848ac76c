using FedSim.Determinism;

namespace FedSim.Rounds;

/// <summary>Draws a round's cohort: k distinct devices out of n, seeded by (experiment seed, round).</summary>
public static class CohortSampler
{
    /// <summary>
    /// Floyd's algorithm (<see cref="RandomSubsets.Floyd"/>): O(k) whatever n is, so a million registered devices
    /// cost nothing to sample. Returned sorted.
    /// </summary>
    public static long[] Sample(long population, int count, ulong experimentSeed, int round)
    {
        if (count < 0 || count > population)
            throw new ArgumentOutOfRangeException(nameof(count), $"cannot sample {count} of {population} devices");
        var rng = new DeterministicRandom(Seeds.Derive(experimentSeed, round, Seeds.None, SeedPurpose.CohortSampling));
        var result = RandomSubsets.Floyd(population, count, rng).ToArray();
        Array.Sort(result);
        return result;
    }
}
