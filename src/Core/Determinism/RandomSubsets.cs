namespace FedSim.Determinism;

/// <summary>
/// Uniform random subsets drawn from a <see cref="DeterministicRandom"/>. Each draw consumes the stream in a fixed
/// order, so a seed gives the same subset on every platform; changing that order changes published results.
/// </summary>
public static class RandomSubsets
{
    /// <summary>
    /// <paramref name="count"/> distinct values of 0..population-1, uniformly, by Floyd's algorithm (Bentley and Floyd
    /// 1987, "A sample of brilliance"): O(count) time and memory whatever the population, so sampling a million
    /// devices costs nothing. Draws exactly <paramref name="count"/> values from the stream.
    /// </summary>
    public static HashSet<long> Floyd(long population, long count, DeterministicRandom rng)
    {
        ArgumentNullException.ThrowIfNull(rng);
        if (count < 0 || count > population)
            throw new ArgumentOutOfRangeException(nameof(count), count, $"cannot draw {count} distinct values out of {population}");
        var chosen = new HashSet<long>((int)count);
        for (long j = population - count; j < population; j++)
        {
            long t = rng.NextInt64(j + 1);
            chosen.Add(chosen.Contains(t) ? j : t);
        }
        return chosen;
    }

    /// <summary>
    /// A partial Fisher–Yates shuffle in place: afterwards the first <paramref name="count"/> items are a uniform
    /// random selection of all of them, in random order. Draws exactly <paramref name="count"/> values from the stream.
    /// </summary>
    public static void PartialShuffle<T>(Span<T> items, int count, DeterministicRandom rng)
    {
        ArgumentNullException.ThrowIfNull(rng);
        if (count < 0 || count > items.Length)
            throw new ArgumentOutOfRangeException(nameof(count), count, $"cannot pick {count} of {items.Length} items");
        for (int i = 0; i < count; i++)
        {
            int j = i + rng.NextInt(items.Length - i);
            (items[i], items[j]) = (items[j], items[i]);
        }
    }

    /// <summary><paramref name="count"/> distinct items of <paramref name="pool"/>, uniformly (a partial shuffle of a copy).</summary>
    public static T[] Pick<T>(IEnumerable<T> pool, int count, DeterministicRandom rng)
    {
        ArgumentNullException.ThrowIfNull(pool);
        var copy = pool.ToArray();
        PartialShuffle<T>(copy, count, rng);
        return copy[..count];
    }
}
