using FedSim.Determinism;

namespace FedSim.Rounds;

/// <summary>Draws a round's cohort: k distinct devices out of n, seeded by (experiment seed, round).</summary>
public static class CohortSampler
{
    /// <summary>
    /// Floyd's algorithm (Bentley and Floyd 1987, "A sample of brilliance"): O(k) time and memory
    /// whatever n is, so a million registered devices cost nothing to sample. Returned sorted.
    /// </summary>
    public static long[] Sample(long population, int count, ulong experimentSeed, int round)
    {
        if (count < 0 || count > population)
            throw new ArgumentOutOfRangeException(nameof(count), $"cannot sample {count} of {population} devices");
        var rng = new DeterministicRandom(Seeds.Derive(experimentSeed, round, Seeds.None, SeedPurpose.CohortSampling));
        var chosen = new HashSet<long>(count);
        for (long j = population - count; j < population; j++)
        {
            long t = rng.NextInt64(j + 1);
            chosen.Add(chosen.Contains(t) ? j : t);
        }
        var result = chosen.ToArray();
        Array.Sort(result);
        return result;
    }
}
