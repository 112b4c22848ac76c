using FedSim.Privacy.SecureAggregation;

namespace FedSim.Tests.Privacy;

public sealed class SecureAggregationShamirTests
{
    private static readonly ulong[] Points = [1, 2, 5, 9, 10, 1001];
    private const int Threshold = 4;

    private static (byte[] Secret, ShamirShare[] Shares) Shared(ulong seed)
    {
        var randomness = SecretRandomness.Deterministic(seed);
        var secret = randomness.NextBelow(ShamirSecretSharing.Prime);
        var values = ShamirSecretSharing.Split(secret, Points, Threshold, randomness);
        return (secret, Points.Select((x, i) => new ShamirShare(x, values[i])).ToArray());
    }

    private static IEnumerable<ShamirShare[]> Subsets(ShamirShare[] shares, int size)
    {
        if (size == 0) { yield return []; yield break; }
        for (int i = 0; i <= shares.Length - size; i++)
            foreach (var rest in Subsets(shares[(i + 1)..], size - 1))
                yield return [shares[i], .. rest];
    }

    [Fact]
    public void Any_t_shares_rebuild_the_secret()
    {
        // Prepare
        var (secret, shares) = Shared(1);

        // Execute: every one of the C(6, 4) = 15 subsets of size t, and more than t
        var rebuilt = Subsets(shares, Threshold).Select(s => ShamirSecretSharing.Reconstruct(s, Threshold)).ToList();

        // Assert
        Assert.Equal(15, rebuilt.Count);
        Assert.All(rebuilt, r => Assert.Equal(secret, r));
        Assert.Equal(secret, ShamirSecretSharing.Reconstruct(shares, Threshold));
        Assert.Equal(secret, ShamirSecretSharing.InterpolateAtZero(shares)); // all 6 points lie on the degree-3 polynomial
    }

    [Fact]
    public void Fewer_than_t_shares_are_refused_and_interpolating_them_gives_garbage()
    {
        // Prepare
        var (secret, shares) = Shared(2);

        // Execute
        var tooFew = Subsets(shares, Threshold - 1).ToList();
        var guesses = tooFew.Select(s => ShamirSecretSharing.InterpolateAtZero(s)).ToList();

        // Assert
        Assert.All(tooFew, s => Assert.Throws<ArgumentException>(() => ShamirSecretSharing.Reconstruct(s, Threshold)));
        Assert.All(guesses, g => Assert.NotEqual(secret, g));
        Assert.True(guesses.Select(Convert.ToHexString).Distinct().Count() > 1, "different t − 1 subsets should point at different values");
    }

    [Fact]
    public void A_corrupted_share_changes_the_rebuilt_secret()
    {
        var (secret, shares) = Shared(3);
        var corrupted = shares.ToArray();
        var y = (byte[])corrupted[0].Y.Clone();
        y[^1] ^= 1;
        corrupted[0] = corrupted[0] with { Y = y };

        Assert.NotEqual(secret, ShamirSecretSharing.Reconstruct(corrupted, Threshold));
    }

    [Fact]
    public void Splitting_refuses_a_threshold_above_the_holders_or_repeated_points()
    {
        var randomness = SecretRandomness.Deterministic(4);
        var secret = new byte[32];

        Assert.Throws<ArgumentOutOfRangeException>(() => ShamirSecretSharing.Split(secret, [1, 2, 3], 4, randomness));
        Assert.Throws<ArgumentException>(() => ShamirSecretSharing.Split(secret, [1, 2, 2], 2, randomness));
        Assert.Throws<ArgumentException>(() => ShamirSecretSharing.Split(secret, [0, 1, 2], 2, randomness));
        Assert.Throws<ArgumentException>(() => ShamirSecretSharing.Split(Enumerable.Repeat((byte)0xFF, 32).ToArray(), [1, 2, 3], 2, randomness));
    }
}
