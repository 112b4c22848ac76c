using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Security.Cryptography;

namespace FedSim.Privacy.SecureAggregation;

/// <summary>
/// AES in counter mode (NIST SP 800-38A §6.5), built from the BCL's AES block cipher: the counter blocks
/// T, T+1, … (a 128-bit big-endian increment) are encrypted with one ECB call over a whole chunk, which
/// OpenSSL/CNG run with AES-NI. The BCL has no raw CTR mode and ChaCha20 only as an AEAD, so this is
/// the shortest route to a standard, hardware-accelerated stream.
/// </summary>
public static class AesCounterMode
{
    public const int BlockBytes = 16;

    /// <summary>Blocks per ECB call: 16 KiB of keystream, small enough for the stack, large enough to amortize the call.</summary>
    private const int ChunkBlocks = 1024;

    /// <summary>output = input XOR keystream(key, initialCounterBlock); the SP 800-38A CTR encryption (and decryption).</summary>
    public static void Transform(ReadOnlySpan<byte> key, ReadOnlySpan<byte> initialCounterBlock, ReadOnlySpan<byte> input, Span<byte> output)
    {
        if (initialCounterBlock.Length != BlockBytes)
            throw new ArgumentException($"the initial counter block must be {BlockBytes} bytes, got {initialCounterBlock.Length}", nameof(initialCounterBlock));
        if (output.Length < input.Length)
            throw new ArgumentException($"output holds {output.Length} bytes, input has {input.Length}", nameof(output));
        using var aes = CreateCipher(key);
        var counter = BinaryPrimitives.ReadUInt128BigEndian(initialCounterBlock);
        Span<byte> chunk = stackalloc byte[ChunkBlocks * BlockBytes];
        for (int offset = 0; offset < input.Length; offset += chunk.Length)
        {
            int n = Math.Min(chunk.Length, input.Length - offset);
            var keystream = chunk[..RoundUpToBlock(n)];
            Keystream(aes, ref counter, keystream);
            for (int i = 0; i < n; i++) output[offset + i] = (byte)(input[offset + i] ^ keystream[i]);
        }
    }

    /// <summary>AES with the given key for ECB calls; the caller disposes it.</summary>
    internal static Aes CreateCipher(ReadOnlySpan<byte> key)
    {
        if (key.Length is not (16 or 24 or 32))
            throw new ArgumentException($"an AES key is 16, 24 or 32 bytes, got {key.Length}", nameof(key));
        var aes = Aes.Create();
        aes.Key = key.ToArray();
        return aes;
    }

    /// <summary>
    /// Writes E_K(counter), E_K(counter+1), … into <paramref name="output"/> (a whole number of blocks) and
    /// advances <paramref name="counter"/> past them (mod 2^128, SP 800-38A's standard incrementing function).
    /// </summary>
    internal static void Keystream(Aes aes, ref UInt128 counter, Span<byte> output)
    {
        if (output.Length % BlockBytes != 0) throw new ArgumentException("keystream is produced in whole blocks", nameof(output));
        for (int at = 0; at < output.Length; at += BlockBytes)
        {
            BinaryPrimitives.WriteUInt128BigEndian(output.Slice(at, BlockBytes), counter);
            counter = unchecked(counter + 1);
        }
        // Encrypting the counter blocks in place: the one-shot API allows exact overlap of input and output.
        aes.EncryptEcb(output, output, PaddingMode.None);
    }

    internal static int RoundUpToBlock(int bytes) => (bytes + BlockBytes - 1) / BlockBytes * BlockBytes;
}

/// <summary>
/// The protocol's PRG: a 32-byte seed expands into a vector of uniform uint32 masks (elements of Z_{2^32}).
/// PRG(seed) is AES-256-CTR keyed by the seed with the counter starting at block 0, read as little-endian
/// uint32 words. AES-CTR is the PRG of Bonawitz et al.'s implementation (beside P-256 ECDH and AES-GCM, the
/// other primitives used here); every 4 bytes of keystream give one
/// mask word, so masks are exactly uniform mod 2^32 with no rejection step. Each seed keys one stream only
/// (pairwise seeds are per round and per pair), so a fixed starting counter is safe.
/// </summary>
public static class MaskGenerator
{
    public const int SeedBytes = 32;

    /// <summary>output = PRG(seed), the first output.Length words.</summary>
    public static void Expand(ReadOnlySpan<byte> seed, Span<uint> output) => Apply(seed, output, Operation.Overwrite);

    /// <summary>target += PRG(seed) (mod 2^32).</summary>
    public static void AddTo(ReadOnlySpan<byte> seed, Span<uint> target) => Apply(seed, target, Operation.Add);

    /// <summary>target −= PRG(seed) (mod 2^32).</summary>
    public static void SubtractFrom(ReadOnlySpan<byte> seed, Span<uint> target) => Apply(seed, target, Operation.Subtract);

    private enum Operation { Overwrite, Add, Subtract }

    private static void Apply(ReadOnlySpan<byte> seed, Span<uint> target, Operation operation)
    {
        if (seed.Length != SeedBytes) throw new ArgumentException($"a mask seed is {SeedBytes} bytes, got {seed.Length}", nameof(seed));
        using var aes = AesCounterMode.CreateCipher(seed);
        UInt128 counter = 0;
        const int chunkWords = 4096; // 16 KiB
        Span<uint> words = stackalloc uint[chunkWords];
        var bytes = MemoryMarshal.AsBytes(words);
        for (int offset = 0; offset < target.Length; offset += chunkWords)
        {
            int n = Math.Min(chunkWords, target.Length - offset);
            AesCounterMode.Keystream(aes, ref counter, bytes[..AesCounterMode.RoundUpToBlock(n * sizeof(uint))]);
            // Words are defined as little-endian so every platform draws the same masks.
            if (!BitConverter.IsLittleEndian) BinaryPrimitives.ReverseEndianness(words[..n], words[..n]);
            var slice = target.Slice(offset, n);
            switch (operation)
            {
                case Operation.Overwrite: words[..n].CopyTo(slice); break;
                case Operation.Add: ModularVector.AddInPlace(slice, words[..n]); break;
                case Operation.Subtract: ModularVector.SubtractInPlace(slice, words[..n]); break;
            }
        }
    }
}

/// <summary>Element-wise arithmetic in Z_{2^32}: uint addition and subtraction wrap, which is exactly mod 2^32.</summary>
public static class ModularVector
{
    public static void AddInPlace(Span<uint> target, ReadOnlySpan<uint> values)
    {
        if (values.Length != target.Length) throw new ArgumentException($"lengths differ: {target.Length} and {values.Length}", nameof(values));
        int i = 0;
        if (System.Numerics.Vector.IsHardwareAccelerated)
        {
            int width = System.Numerics.Vector<uint>.Count;
            for (; i <= target.Length - width; i += width)
            {
                var sum = new System.Numerics.Vector<uint>(target[i..]) + new System.Numerics.Vector<uint>(values[i..]);
                sum.CopyTo(target[i..]);
            }
        }
        for (; i < target.Length; i++) target[i] = unchecked(target[i] + values[i]);
    }

    public static void SubtractInPlace(Span<uint> target, ReadOnlySpan<uint> values)
    {
        if (values.Length != target.Length) throw new ArgumentException($"lengths differ: {target.Length} and {values.Length}", nameof(values));
        int i = 0;
        if (System.Numerics.Vector.IsHardwareAccelerated)
        {
            int width = System.Numerics.Vector<uint>.Count;
            for (; i <= target.Length - width; i += width)
            {
                var difference = new System.Numerics.Vector<uint>(target[i..]) - new System.Numerics.Vector<uint>(values[i..]);
                difference.CopyTo(target[i..]);
            }
        }
        for (; i < target.Length; i++) target[i] = unchecked(target[i] - values[i]);
    }
}
