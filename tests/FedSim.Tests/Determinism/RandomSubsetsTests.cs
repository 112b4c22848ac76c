using FedSim.Determinism;

namespace FedSim.Tests.Determinism;

public sealed class RandomSubsetsTests
{
    // The expected values below were recorded from the draws before they shared this helper; a change here
    // silently changes every cohort, roster and audit set, so it must be deliberate.

    [Theory]
    [InlineData(9UL, 100L, 5L, new long[] { 0, 12, 24, 72, 92 }, 13731916974982681248UL)]
    [InlineData(123UL, 1_000_000L, 8L, new long[] { 126983, 196692, 337780, 377961, 467437, 656647, 969566, 999905 }, 14038567415921303508UL)]
    [InlineData(5UL, 6L, 6L, new long[] { 0, 1, 2, 3, 4, 5 }, 9295126279674440255UL)]
    public void Floyd_draws_are_pinned_and_consume_one_value_per_pick(ulong seed, long population, long count, long[] expected, ulong nextDraw)
    {
        // Prepare
        var rng = new DeterministicRandom(seed);

        // Execute
        var chosen = RandomSubsets.Floyd(population, count, rng);

        // Assert
        Assert.Equal(expected, chosen.Order());
        Assert.Equal(nextDraw, rng.NextUInt64());
    }

    [Theory]
    [InlineData(9UL, 10, 4, new[] { 0, 3, 1, 8, 4, 5, 6, 7, 2, 9 }, 16981796229282007397UL)]
    [InlineData(77UL, 20, 20, new[] { 8, 5, 12, 19, 11, 7, 6, 15, 14, 13, 3, 2, 0, 9, 17, 4, 16, 1, 18, 10 }, 7109947287623940590UL)]
    [InlineData(3UL, 8, 0, new[] { 0, 1, 2, 3, 4, 5, 6, 7 }, 12740027877540924608UL)]
    public void Partial_shuffle_is_pinned_and_consumes_one_value_per_pick(ulong seed, int length, int count, int[] expected, ulong nextDraw)
    {
        // Prepare
        var rng = new DeterministicRandom(seed);
        var items = Enumerable.Range(0, length).ToArray();

        // Execute
        RandomSubsets.PartialShuffle<int>(items, count, rng);

        // Assert
        Assert.Equal(expected, items);
        Assert.Equal(nextDraw, rng.NextUInt64());
    }

    [Fact]
    public void Pick_returns_the_partial_shuffles_prefix_and_leaves_the_pool_alone()
    {
        // Prepare
        var pool = Enumerable.Range(0, 10).ToArray();

        // Execute
        var picked = RandomSubsets.Pick(pool, 4, new DeterministicRandom(9));

        // Assert
        Assert.Equal([0, 3, 1, 8], picked);
        Assert.Equal(Enumerable.Range(0, 10), pool);
    }

    [Fact]
    public void Asking_for_more_than_there_is_fails()
    {
        // Prepare
        var rng = new DeterministicRandom(1);

        // Execute and Assert
        Assert.Throws<ArgumentOutOfRangeException>(() => RandomSubsets.Floyd(3, 4, rng));
        Assert.Throws<ArgumentOutOfRangeException>(() => RandomSubsets.Floyd(3, -1, rng));
        Assert.Throws<ArgumentOutOfRangeException>(() => RandomSubsets.Pick(new[] { 1, 2 }, 3, rng));
    }
}
