using FedSim.Attacks.Poisoning;

namespace FedSim.Tests.Attacks;

public sealed class ByzantineRosterTests
{
    [Fact]
    public void Roster_marks_exactly_round_fraction_times_population()
    {
        var roster = new ByzantineRoster(experimentSeed: 5, population: 1000, fraction: 0.2);
        var odd = new ByzantineRoster(experimentSeed: 5, population: 7, fraction: 0.5); // 3.5 rounds away from zero

        Assert.Equal(200, roster.Count);
        Assert.Equal(200, Enumerable.Range(0, 1000).Count(d => roster.IsMalicious(d)));
        Assert.Equal(4, odd.Count);
        Assert.False(roster.IsMalicious(1000));
        Assert.Equal(0, ByzantineRoster.None.Count);
    }

    [Fact]
    public void Roster_is_determined_by_the_experiment_seed()
    {
        var first = Members(new ByzantineRoster(5, 500, 0.1), 500);
        var again = Members(new ByzantineRoster(5, 500, 0.1), 500);
        var other = Members(new ByzantineRoster(6, 500, 0.1), 500);

        Assert.Equal(first, again);
        Assert.NotEqual(first, other);
    }

    [Fact]
    public void Every_device_is_equally_likely_to_be_malicious()
    {
        // Prepare: 4,000 rosters of 5 in 20 devices; each device expects 1,000 memberships, standard deviation
        // √(4000 · 0.25 · 0.75) ≈ 27. A biased Floyd draw (e.g. one that never picks the last device) fails this.
        var counts = new int[20];

        // Execute
        for (ulong seed = 0; seed < 4000; seed++)
            foreach (long d in Members(new ByzantineRoster(seed, 20, 0.25), 20)) counts[d]++;

        // Assert: within 6 standard deviations.
        Assert.All(counts, c => Assert.InRange(c, 1000 - 160, 1000 + 160));
    }

    private static long[] Members(ByzantineRoster roster, long population)
        => Enumerable.Range(0, (int)population).Where(d => roster.IsMalicious(d)).Select(d => (long)d).ToArray();

    [Theory]
    [InlineData(1UL, new[] { 2, 10, 13, 14, 29, 33, 37, 40, 48, 49 })]
    [InlineData(2UL, new[] { 18, 19, 20, 23, 24, 26, 33, 38, 40, 43 })]
    public void Roster_is_pinned_across_versions(ulong seed, int[] expected)
    {
        // Prepare
        var roster = new ByzantineRoster(seed, 50, 0.2);

        // Execute
        var malicious = Enumerable.Range(0, 50).Where(d => roster.IsMalicious(d));

        // Assert: a change here silently changes every published poisoning run
        Assert.Equal(expected, malicious);
    }
}
