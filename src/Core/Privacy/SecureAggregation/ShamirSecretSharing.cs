using System.Numerics;

namespace FedSim.Privacy.SecureAggregation;

/// <summary>One Shamir share: the polynomial's value <see cref="Y"/> (32 bytes, big-endian) at the point <see cref="X"/>.</summary>
public readonly record struct ShamirShare(ulong X, byte[] Y);

/// <summary>
/// Shamir t-of-n secret sharing (Shamir 1979) of 32-byte secrets over the prime field Z_q, q the order of
/// P-256's base point (a 256-bit prime). That field holds a P-256 private scalar exactly (d &lt; q), b_u is
/// drawn below q, and it has room for any cohort (GF(2^8) byte-wise sharing would stop at 255 holders).
/// A client with id u holds the share at x = u + 1 (x = 0 is the secret). Arithmetic is
/// System.Numerics.BigInteger.
/// </summary>
public static class ShamirSecretSharing
{
    public const int SecretBytes = 32;

    public static BigInteger Prime => EcdhKeyPair.CurveOrder;

    /// <summary>The share point of a client: its id + 1, so no client sits at x = 0.</summary>
    public static ulong PointOf(long clientId)
        => clientId >= 0 ? (ulong)clientId + 1 : throw new ArgumentOutOfRangeException(nameof(clientId), clientId, "client ids must be non-negative");

    /// <summary>
    /// Shares <paramref name="secret"/> (a field element, 32 bytes big-endian) with threshold <paramref name="threshold"/>:
    /// a random polynomial of degree t − 1 with f(0) = secret, evaluated at each of <paramref name="points"/>.
    /// Returns the values in the order of the points.
    /// </summary>
    public static byte[][] Split(ReadOnlySpan<byte> secret, IReadOnlyList<ulong> points, int threshold, SecretRandomness randomness)
    {
        var s = ToFieldElement(secret, nameof(secret));
        if (threshold < 1 || threshold > points.Count)
            throw new ArgumentOutOfRangeException(nameof(threshold), threshold, $"the threshold must lie in [1, {points.Count}] (the number of share holders)");
        if (points.Distinct().Count() != points.Count || points.Any(x => x == 0))
            throw new ArgumentException("share points must be distinct and non-zero", nameof(points));

        var coefficients = new BigInteger[threshold];
        coefficients[0] = s;
        for (int k = 1; k < threshold; k++)
            coefficients[k] = new BigInteger(randomness.NextBelow(Prime), isUnsigned: true, isBigEndian: true);

        var values = new byte[points.Count][];
        for (int i = 0; i < points.Count; i++)
        {
            BigInteger x = points[i], y = BigInteger.Zero;
            for (int k = threshold - 1; k >= 0; k--) y = (y * x + coefficients[k]) % Prime; // Horner
            values[i] = ToBytes(y);
        }
        return values;
    }

    /// <summary>
    /// The secret from at least <paramref name="threshold"/> shares (the <paramref name="threshold"/> with the smallest
    /// points are used, so the same holders give the same Lagrange basis). Fewer shares: an exception, never a guess.
    /// </summary>
    public static byte[] Reconstruct(IReadOnlyList<ShamirShare> shares, int threshold, LagrangeCache? cache = null)
    {
        if (threshold < 1) throw new ArgumentOutOfRangeException(nameof(threshold), threshold, "the threshold must be at least 1");
        if (shares.Count < threshold)
            throw new ArgumentException($"{shares.Count} shares cannot rebuild a secret shared with threshold {threshold}", nameof(shares));
        var chosen = shares.OrderBy(s => s.X).Take(threshold).ToList();
        return InterpolateAtZero(chosen, cache);
    }

    /// <summary>
    /// f(0) of the unique polynomial of degree &lt; shares.Count through the shares. With fewer shares than the
    /// threshold this is a valid-looking field element unrelated to the secret; <see cref="Reconstruct"/> refuses that case.
    /// </summary>
    public static byte[] InterpolateAtZero(IReadOnlyList<ShamirShare> shares, LagrangeCache? cache = null)
    {
        if (shares.Count == 0) throw new ArgumentException("no shares", nameof(shares));
        var points = shares.Select(s => s.X).ToArray();
        var basis = cache is null ? LagrangeCache.BasisAtZero(points) : cache.Get(points);
        BigInteger secret = BigInteger.Zero;
        for (int i = 0; i < shares.Count; i++)
            secret += basis[i] * ToFieldElement(shares[i].Y, nameof(shares));
        return ToBytes(secret % Prime);
    }

    internal static BigInteger ToFieldElement(ReadOnlySpan<byte> value, string parameter)
    {
        if (value.Length != SecretBytes) throw new ArgumentException($"field elements are {SecretBytes} bytes, got {value.Length}", parameter);
        var v = new BigInteger(value, isUnsigned: true, isBigEndian: true);
        return v < Prime ? v : throw new ArgumentException("value is not below the field prime", parameter);
    }

    internal static byte[] ToBytes(BigInteger value)
    {
        var bytes = new byte[SecretBytes];
        value.TryWriteBytes(bytes.AsSpan(SecretBytes - value.GetByteCount(isUnsigned: true)), out _, isUnsigned: true, isBigEndian: true);
        return bytes;
    }
}

/// <summary>
/// Lagrange coefficients λ_i = Π_{j≠i} x_j / (x_j − x_i) for interpolating at 0, kept per set of points: in a
/// complete graph every secret is rebuilt from the same responders, so the basis (t modular inversions) is
/// computed once per round instead of once per secret.
/// </summary>
public sealed class LagrangeCache
{
    private readonly Dictionary<string, BigInteger[]> _bases = new();

    public BigInteger[] Get(ulong[] points)
    {
        string key = string.Join(',', points);
        if (!_bases.TryGetValue(key, out var basis)) _bases[key] = basis = BasisAtZero(points);
        return basis;
    }

    public static BigInteger[] BasisAtZero(ulong[] points)
    {
        var q = ShamirSecretSharing.Prime;
        if (points.Distinct().Count() != points.Length) throw new ArgumentException("share points must be distinct", nameof(points));
        int t = points.Length;
        var numerators = new BigInteger[t];
        var denominators = new BigInteger[t];
        for (int i = 0; i < t; i++)
        {
            BigInteger numerator = BigInteger.One, denominator = BigInteger.One;
            for (int j = 0; j < t; j++)
            {
                if (j == i) continue;
                numerator = numerator * points[j] % q;
                denominator = denominator * (((BigInteger)points[j] - points[i]) % q + q) % q;
            }
            numerators[i] = numerator;
            denominators[i] = denominator;
        }
        // All t inverses from one modular exponentiation (Montgomery's batch-inversion trick): invert the product
        // of the denominators, then peel one factor off at a time. q is prime, so a^(q−2) is a's inverse (Fermat).
        var prefix = new BigInteger[t];
        prefix[0] = denominators[0];
        for (int i = 1; i < t; i++) prefix[i] = prefix[i - 1] * denominators[i] % q;
        var inverse = BigInteger.ModPow(prefix[t - 1], q - 2, q);
        var basis = new BigInteger[t];
        for (int i = t - 1; i >= 0; i--)
        {
            var inverseOfThis = i == 0 ? inverse : inverse * prefix[i - 1] % q;
            basis[i] = numerators[i] * inverseOfThis % q;
            inverse = inverse * denominators[i] % q;
        }
        return basis;
    }
}
