using System.Numerics;
using FedSim.Privacy.SecureAggregation;

namespace FedSim.Tests.Privacy;

/// <summary>The cryptographic building blocks against published test vectors.</summary>
public sealed class SecureAggregationPrimitivesTests
{
    private static byte[] Hex(string hex) => Convert.FromHexString(hex.Replace(" ", ""));

    // NIST SP 800-38A (2001), Appendix F.5: the four plaintext blocks shared by the CTR examples.
    private const string Sp80038APlaintext =
        "6bc1bee22e409f96e93d7e117393172a ae2d8a571e03ac9c9eb76fac45af8e51 30c81c46a35ce411e5fbc1191a0a52ef f69f2445df4f9b17ad2b417be66c3710";
    private const string Sp80038AInitialCounter = "f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff";

    [Theory]
    // SP 800-38A F.5.1 CTR-AES128.Encrypt
    [InlineData("2b7e151628aed2a6abf7158809cf4f3c",
        "874d6191b620e3261bef6864990db6ce 9806f66b7970fdff8617187bb9fffdff 5ae4df3edbd5d35e5b4f09020db03eab 1e031dda2fbe03d1792170a0f3009cee")]
    // SP 800-38A F.5.5 CTR-AES256.Encrypt (the key size the mask PRG uses)
    [InlineData("603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4",
        "601ec313775789a5b7a7f504bbf3d228 f443e3ca4d62b59aca84e990cacaf5c5 2b0930daa23de94ce87017ba2d84988d dfc9c58db67aada613c2dd08457941a6")]
    public void Aes_counter_mode_matches_the_NIST_SP_800_38A_vectors(string key, string expectedCiphertext)
    {
        // Prepare
        var plaintext = Hex(Sp80038APlaintext);
        var ciphertext = new byte[plaintext.Length];

        // Execute
        AesCounterMode.Transform(Hex(key), Hex(Sp80038AInitialCounter), plaintext, ciphertext);

        // Assert
        Assert.Equal(Hex(expectedCiphertext), ciphertext);
    }

    [Fact]
    public void Mask_prg_is_aes256_ctr_from_counter_zero_read_as_little_endian_words()
    {
        // Prepare: AES-256 of the zero block under the zero key is dc95c078a2408989ad48a21492842087 (McGrew and Viega,
        // "The Galois/Counter Mode of Operation", Test Case 13: H = E(0^256, 0^128)), so PRG(0^32)'s first four words
        // are that block read as little-endian uint32.
        var words = new uint[5];

        // Execute
        MaskGenerator.Expand(new byte[32], words);

        // Assert
        Assert.Equal(new uint[] { 0x78C095DC, 0x898940A2, 0x14A248AD, 0x87208492 }, words[..4]);
    }

    [Fact]
    public void Mask_prg_is_deterministic_prefix_consistent_and_seed_dependent()
    {
        // Prepare
        var seed = Enumerable.Range(1, 32).Select(i => (byte)i).ToArray();
        var otherSeed = (byte[])seed.Clone();
        otherSeed[31] ^= 1;
        var a = new uint[10_000];
        var b = new uint[10_000];
        var shortRun = new uint[4_099]; // not a whole chunk, not a whole block
        var other = new uint[10_000];

        // Execute
        MaskGenerator.Expand(seed, a);
        MaskGenerator.Expand(seed, b);
        MaskGenerator.Expand(seed, shortRun);
        MaskGenerator.Expand(otherSeed, other);

        // Assert
        Assert.Equal(a, b);
        Assert.Equal(a[..shortRun.Length], shortRun);
        Assert.True(a.Zip(other).Count(p => p.First == p.Second) < 5, "a one-bit change of the seed must give an unrelated stream");
        // Uniform words: the mean of 10,000 uniform uint32 is 2^31 ± a few standard errors (σ/√n ≈ 1.24e7).
        Assert.InRange(a.Average(x => (double)x), 2147483648.0 - 6e7, 2147483648.0 + 6e7);
    }

    [Fact]
    public void Adding_and_subtracting_one_mask_restores_the_vector_mod_2_to_the_32()
    {
        // Prepare
        var seed = new byte[32];
        seed[0] = 7;
        var vector = Enumerable.Range(0, 1_001).Select(i => (uint)(i * 2654435761u)).ToArray();
        var original = (uint[])vector.Clone();
        var mask = new uint[vector.Length];
        MaskGenerator.Expand(seed, mask);

        // Execute
        MaskGenerator.AddTo(seed, vector);
        var afterAdd = (uint[])vector.Clone();
        MaskGenerator.SubtractFrom(seed, vector);

        // Assert
        Assert.Equal(original.Zip(mask, (x, m) => unchecked(x + m)), afterAdd);
        Assert.Equal(original, vector);
    }

    [Fact]
    public void Hkdf_matches_RFC_5869_test_case_1()
    {
        // RFC 5869, Appendix A.1 (Test Case 1: basic test case with SHA-256).
        var ikm = Hex("0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b");
        var salt = Hex("000102030405060708090a0b0c");
        var info = Hex("f0f1f2f3f4f5f6f7f8f9");

        var okm = SecAggKdf.Hkdf(ikm, salt, info, 42);

        Assert.Equal(Hex("3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865"), okm);
    }

    [Fact]
    public void Ecdh_p256_matches_the_NIST_CAVP_shared_secret_vector()
    {
        // NIST CAVP "ECC CDH Primitive" test vectors (KAS_ECC_CDH_PrimitiveTest.txt), [P-256] COUNT = 0.
        var dIut = Hex("7d7dc5f71eb29ddaf80d6214632eeae03d9058af1fb6d22ed80badb62bc1a534");
        var qIut = Hex("04" + "ead218590119e8876b29146ff89ca61770c4edbbf97d38ce385ed281d8a6b230"
                            + "28af61281fd35e2fa7002523acc85a429cb06ee6648325389f59edfce1405141");
        var qCavs = Hex("04" + "700c48f77f56584c5cc632ca65640db91b6bacce3a4df6b42ce7cc838833d287"
                             + "db71e509e3fd9b060ddb20ba5c51dcc5948d46fbf640dfe0441782cab85fa4ac");

        using var key = EcdhKeyPair.FromPrivateScalar(dIut);
        var z = key.Agree(qCavs);

        Assert.Equal(qIut, key.PublicKey);
        Assert.Equal(Hex("46fc62106420ff012e54a434fbdd2d25ccc5852060561e68040dd7778997bd7b"), z);
    }

    [Fact]
    public void Shamir_field_prime_is_the_P256_group_order()
    {
        // FIPS 186-4 §D.1.2.3: base point G and field prime p. If the order n were wrong, (n − 1)·G would not be −G = (Gx, p − Gy).
        var gx = Hex("6b17d1f2e12c4247f8bce6e563a440f277037d812deb33a0f4a13945d898c296");
        var gy = new BigInteger(Hex("4fe342e2fe1a7f9b8ee7eb4a7c0f9e162bce33576b315ececbb6406837bf51f5"), isUnsigned: true, isBigEndian: true);
        var p = new BigInteger(Hex("ffffffff00000001000000000000000000000000ffffffffffffffffffffffff"), isUnsigned: true, isBigEndian: true);
        var minusOne = (ShamirSecretSharing.Prime - 1).ToByteArray(isUnsigned: true, isBigEndian: true);

        using var key = EcdhKeyPair.FromPrivateScalar(minusOne);

        Assert.Equal(gx, key.PublicKey[1..33]);
        Assert.Equal((p - gy).ToByteArray(isUnsigned: true, isBigEndian: true), key.PublicKey[33..]);
        Assert.Throws<ArgumentException>(() => EcdhKeyPair.FromPrivateScalar(ShamirSecretSharing.Prime.ToByteArray(isUnsigned: true, isBigEndian: true)));
    }

    [Fact]
    public void Both_ends_of_a_pair_agree_the_same_secret_and_a_bad_point_is_refused()
    {
        var randomness = SecretRandomness.Deterministic(42);
        using var a = EcdhKeyPair.Generate(randomness);
        using var b = EcdhKeyPair.Generate(randomness);
        var offCurve = (byte[])b.PublicKey.Clone();
        offCurve[^1] ^= 1;

        Assert.Equal(a.Agree(b.PublicKey), b.Agree(a.PublicKey));
        Assert.NotEqual(a.PublicKey, b.PublicKey);
        Assert.Throws<ArgumentException>(() => a.Agree(offCurve));
    }

    [Fact]
    public void Deterministic_secrets_replay_per_seed_and_differ_across_seeds()
    {
        var first = new byte[100];
        var again = new byte[100];
        var other = new byte[100];

        SecretRandomness.Deterministic(5).Fill(first);
        SecretRandomness.Deterministic(5).Fill(again);
        SecretRandomness.Deterministic(6).Fill(other);

        Assert.Equal(first, again);
        Assert.NotEqual(first, other);
    }

    [Fact]
    public void Session_secrets_come_from_the_os_unless_asked_and_are_fresh_for_every_attempt_of_a_round()
    {
        // Prepare: the same device and round seed in two protocol sessions (a round retried after a coordinator restart).
        static byte[] Draw(SecretRandomness source) { var bytes = new byte[64]; source.Fill(bytes); return bytes; }
        const ulong seed = 77;

        // Execute
        var byDefault = SecretRandomness.ForSession(deterministic: false, seed, "exp/round-3/attempt-1");
        var first = Draw(SecretRandomness.ForSession(deterministic: true, seed, "exp/round-3/attempt-1"));
        var replayed = Draw(SecretRandomness.ForSession(deterministic: true, seed, "exp/round-3/attempt-1"));
        var retried = Draw(SecretRandomness.ForSession(deterministic: true, seed, "exp/round-3/attempt-2"));

        // Assert: OS draws by default, never the same twice; seeded secrets replay per session, never across sessions.
        Assert.Same(SecretRandomness.OperatingSystem, byDefault);
        Assert.NotEqual(Draw(byDefault), Draw(byDefault));
        Assert.Equal(first, replayed);
        Assert.NotEqual(first, retried);
    }
}
