using System.Buffers.Binary;
using System.Numerics;
using System.Security.Cryptography;
using System.Text;
using FedSim.Determinism;

namespace FedSim.Privacy.SecureAggregation;

/// <summary>
/// Where a client's secrets come from: its two key pairs, its self-mask seed b_u and its share polynomials.
/// <see cref="OperatingSystem"/> (what runs use unless <c>deterministic_secrets</c> is set) draws from the OS CSPRNG;
/// <see cref="Deterministic"/> derives them from a FedSim seed so a test replays them bit for bit, but they are then
/// only as hard to guess as the experiment seed, which the coordinator holds. The aggregate is the same either way.
/// </summary>
public abstract class SecretRandomness
{
    public abstract void Fill(Span<byte> destination);

    /// <summary>AES-256-CTR keyed by HKDF(seed): a deterministic stream, different for every seed.</summary>
    public static SecretRandomness Deterministic(ulong seed) => new SeededStream(seed);

    /// <summary>System.Security.Cryptography.RandomNumberGenerator: real secrets, runs no longer replay.</summary>
    public static SecretRandomness OperatingSystem { get; } = new SystemStream();

    /// <summary>
    /// The secrets of one device in one protocol session: the OS generator (the default: fresh for every session, so a
    /// retried round never reuses a key pair, self-mask seed or share polynomial, as Bonawitz et al. require: b_u of one
    /// attempt and s_u of another would unmask the input), or, when <paramref name="deterministic"/>, a stream keyed
    /// by the device's round seed and the session id: replayable, and still fresh for every attempt.
    /// </summary>
    public static SecretRandomness ForSession(bool deterministic, ulong deviceSeed, string sessionId)
    {
        if (!deterministic) return OperatingSystem;
        var session = SHA256.HashData(Encoding.UTF8.GetBytes(sessionId));
        return Deterministic(deviceSeed ^ BinaryPrimitives.ReadUInt64LittleEndian(session));
    }

    /// <summary>A uniform 32-byte big-endian integer in [1, bound − 1] (rejection sampling, so no modulo bias).</summary>
    internal byte[] NextBelow(BigInteger bound)
    {
        var bytes = new byte[32];
        while (true)
        {
            Fill(bytes);
            var value = new BigInteger(bytes, isUnsigned: true, isBigEndian: true);
            if (!value.IsZero && value < bound) return bytes;
        }
    }

    private sealed class SeededStream : SecretRandomness
    {
        private readonly Aes _aes;
        private UInt128 _counter;

        public SeededStream(ulong seed)
        {
            Span<byte> ikm = stackalloc byte[sizeof(ulong)];
            BinaryPrimitives.WriteUInt64LittleEndian(ikm, seed);
            _aes = AesCounterMode.CreateCipher(SecAggKdf.Derive(ikm, "secret randomness", 32));
        }

        public override void Fill(Span<byte> destination)
        {
            // Whole blocks are drawn; an unused tail of the last block is discarded, never reused.
            Span<byte> block = stackalloc byte[1024];
            for (int offset = 0; offset < destination.Length; offset += block.Length)
            {
                int n = Math.Min(block.Length, destination.Length - offset);
                var keystream = block[..AesCounterMode.RoundUpToBlock(n)];
                AesCounterMode.Keystream(_aes, ref _counter, keystream);
                keystream[..n].CopyTo(destination[offset..]);
            }
        }
    }

    private sealed class SystemStream : SecretRandomness
    {
        public override void Fill(Span<byte> destination) => RandomNumberGenerator.Fill(destination);
    }
}

/// <summary>
/// HKDF-SHA256 (RFC 5869) from the BCL with the protocol's salt and context labels, so every derived
/// key is bound to its purpose, its session (experiment and round) and the parties it belongs to.
/// </summary>
public static class SecAggKdf
{
    /// <summary>The protocol's fixed HKDF salt (domain separation from any other use of the same secrets).</summary>
    public static ReadOnlySpan<byte> Salt => "FedSim secure aggregation v1"u8;

    /// <summary>Plain HKDF-SHA256: the RFC 5869 function, with the salt and info given.</summary>
    public static byte[] Hkdf(ReadOnlySpan<byte> inputKeyMaterial, ReadOnlySpan<byte> salt, ReadOnlySpan<byte> info, int length)
    {
        var output = new byte[length];
        HKDF.DeriveKey(HashAlgorithmName.SHA256, inputKeyMaterial, output, salt, info);
        return output;
    }

    /// <summary>HKDF with the protocol salt and info = label ‖ 0x00 ‖ each context part (length-prefixed strings, big-endian ids).</summary>
    public static byte[] Derive(ReadOnlySpan<byte> inputKeyMaterial, string label, int length, string? session = null, params long[] ids)
        => Hkdf(inputKeyMaterial, Salt, Info(label, session, ids), length);

    internal static byte[] Info(string label, string? session, params long[] ids)
    {
        using var info = new MemoryStream();
        info.Write(Encoding.UTF8.GetBytes(label));
        info.WriteByte(0);
        if (session is not null) WriteLengthPrefixed(info, Encoding.UTF8.GetBytes(session));
        Span<byte> id = stackalloc byte[sizeof(long)];
        foreach (long value in ids)
        {
            BinaryPrimitives.WriteInt64BigEndian(id, value);
            info.Write(id);
        }
        return info.ToArray();
    }

    private static void WriteLengthPrefixed(Stream stream, byte[] bytes)
    {
        Span<byte> length = stackalloc byte[sizeof(int)];
        BinaryPrimitives.WriteInt32BigEndian(length, bytes.Length);
        stream.Write(length);
        stream.Write(bytes);
    }
}

/// <summary>
/// One ECDH key pair on NIST P-256 (System.Security.Cryptography). Public keys travel as uncompressed SEC 1
/// points (0x04 ‖ X ‖ Y, 65 bytes); the private key is the 32-byte scalar d, which is what a client
/// Shamir-shares for its masking key pair, and what the server rebuilds a pair from for a dropped client.
/// </summary>
public sealed class EcdhKeyPair : IDisposable
{
    public const int PublicKeyBytes = 65;
    public const int PrivateKeyBytes = 32;

    /// <summary>The order n of P-256's base point (FIPS 186-4 §D.1.2.3); also the Shamir field's prime.</summary>
    public static BigInteger CurveOrder { get; } = BigInteger.Parse(
        "0FFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551", System.Globalization.NumberStyles.HexNumber);

    private readonly ECDiffieHellman _key;

    private EcdhKeyPair(ECDiffieHellman key, byte[] privateScalar)
    {
        _key = key;
        PrivateScalar = privateScalar;
        var q = key.ExportParameters(includePrivateParameters: false).Q;
        PublicKey = [0x04, .. q.X!, .. q.Y!];
    }

    public byte[] PublicKey { get; }

    /// <summary>d, big-endian, 32 bytes.</summary>
    public byte[] PrivateScalar { get; }

    /// <summary>A fresh pair whose scalar d is drawn uniformly from [1, n − 1].</summary>
    public static EcdhKeyPair Generate(SecretRandomness randomness) => FromPrivateScalar(randomness.NextBelow(CurveOrder));

    /// <summary>The pair with private scalar d; the public point is computed from it.</summary>
    public static EcdhKeyPair FromPrivateScalar(ReadOnlySpan<byte> privateScalar)
    {
        if (privateScalar.Length != PrivateKeyBytes)
            throw new ArgumentException($"a P-256 private scalar is {PrivateKeyBytes} bytes, got {privateScalar.Length}", nameof(privateScalar));
        var d = new BigInteger(privateScalar, isUnsigned: true, isBigEndian: true);
        if (d.IsZero || d >= CurveOrder) throw new ArgumentException("a P-256 private scalar must lie in [1, n − 1]", nameof(privateScalar));
        var copy = privateScalar.ToArray();
        var key = ECDiffieHellman.Create(new ECParameters { Curve = ECCurve.NamedCurves.nistP256, D = copy });
        return new EcdhKeyPair(key, copy);
    }

    /// <summary>The raw shared secret: the x-coordinate of d·Q_peer (SEC 1 §3.3.1), to be fed to a KDF, never used as a key directly.</summary>
    public byte[] Agree(byte[] peerPublicKey)
    {
        using var peer = ImportPublicKey(peerPublicKey);
        return _key.DeriveRawSecretAgreement(peer.PublicKey);
    }

    /// <summary>Parses and validates (on the curve) an uncompressed P-256 point.</summary>
    public static ECDiffieHellman ImportPublicKey(byte[] publicKey)
    {
        if (publicKey is not { Length: PublicKeyBytes } || publicKey[0] != 0x04)
            throw new ArgumentException($"a P-256 public key is an uncompressed point of {PublicKeyBytes} bytes starting with 0x04", nameof(publicKey));
        try
        {
            return ECDiffieHellman.Create(new ECParameters
            {
                Curve = ECCurve.NamedCurves.nistP256,
                Q = new ECPoint { X = publicKey[1..33], Y = publicKey[33..] },
            });
        }
        catch (CryptographicException e)
        {
            throw new ArgumentException($"not a point on P-256: {e.Message}", nameof(publicKey), e);
        }
    }

    public void Dispose() => _key.Dispose();
}

/// <summary>The keys and seeds the protocol derives from ECDH agreements and from b_u, each bound to its purpose.</summary>
internal static class SecAggKeys
{
    /// <summary>s_{u,v}: the same for both ends, so the pair's masks cancel.</summary>
    public static byte[] PairwiseMaskSeed(byte[] sharedSecret, string session, long u, long v)
        => SecAggKdf.Derive(sharedSecret, "pairwise mask", MaskGenerator.SeedBytes, session, Math.Min(u, v), Math.Max(u, v));

    /// <summary>
    /// The AES-GCM key for shares sent from <paramref name="from"/> to <paramref name="to"/>. One key per direction,
    /// each encrypting exactly one message, which is what makes the fixed all-zero nonce safe.
    /// </summary>
    public static byte[] ShareEncryptionKey(byte[] sharedSecret, string session, long from, long to)
        => SecAggKdf.Derive(sharedSecret, "share encryption", 32, session, from, to);

    /// <summary>The PRG seed of the self mask PRG(b_u).</summary>
    public static byte[] SelfMaskSeed(ReadOnlySpan<byte> selfMaskSecret, string session, long owner)
        => SecAggKdf.Derive(selfMaskSecret, "self mask", MaskGenerator.SeedBytes, session, owner);

    /// <summary>
    /// SHA-256 commitment to b_u, published with the shares so the server can tell a correctly rebuilt b_u from
    /// garbage (b_u is 256 random bits: the hash reveals nothing usable). Not in Bonawitz et al.; it turns a
    /// corrupted share into a typed failure instead of a wrong sum.
    /// </summary>
    public static byte[] SelfMaskCommitment(ReadOnlySpan<byte> selfMaskSecret, string session, long owner)
    {
        var context = SecAggKdf.Info("self mask commitment", session, owner);
        return SHA256.HashData([.. context, .. selfMaskSecret]);
    }

    public static byte[] ShareAssociatedData(string session, long from, long to) => SecAggKdf.Info("share", session, from, to);
}
