namespace FedSim.Privacy.SecureAggregation;

// The messages of one round, in order. "Up" goes from a client to the server, "down" from the server to one
// client. They are plain immutable data so device and coordinator grains can exchange them as they are.
// None carries an unmasked update: the only vector that goes up is SecAggMaskedInput's.

/// <summary>Stage 0, up: a client's two public keys, c (to encrypt shares to it) and s (to agree pairwise masks).</summary>
[GenerateSerializer, Immutable]
public sealed record SecAggKeyAdvertisement(
    [property: Id(0)] long ClientId,
    [property: Id(1)] byte[] EncryptionPublicKey,
    [property: Id(2)] byte[] MaskingPublicKey);

/// <summary>Stage 1, down: the advertisements of the client's neighbours (every other client in the complete graph).</summary>
[GenerateSerializer, Immutable]
public sealed record SecAggKeyRoster(
    [property: Id(0)] long To,
    [property: Id(1)] SecAggKeyAdvertisement[] Neighbours);

/// <summary>AES-GCM ciphertext of one holder's shares of the sender's s-key and b (64 bytes) with its 16-byte tag.</summary>
[GenerateSerializer, Immutable]
public sealed record SecAggEncryptedShare(
    [property: Id(0)] long From,
    [property: Id(1)] long To,
    [property: Id(2)] byte[] Ciphertext);

/// <summary>Stage 1, up: a client's encrypted shares, one per neighbour, and its commitment to b.</summary>
[GenerateSerializer, Immutable]
public sealed record SecAggShareBundle(
    [property: Id(0)] long From,
    [property: Id(1)] byte[] SelfMaskCommitment,
    [property: Id(2)] SecAggEncryptedShare[] Shares);

/// <summary>Stage 2, down: the shares addressed to this client by neighbours that completed stage 1 (U2).</summary>
[GenerateSerializer, Immutable]
public sealed record SecAggShareDelivery(
    [property: Id(0)] long To,
    [property: Id(1)] SecAggEncryptedShare[] Shares);

/// <summary>Stage 2, up: y_u = x_u + PRG(b_u) + Σ_{v&gt;u} PRG(s_uv) − Σ_{v&lt;u} PRG(s_uv) (mod 2^32).</summary>
[GenerateSerializer, Immutable]
public sealed record SecAggMaskedInput(
    [property: Id(0)] long From,
    [property: Id(1)] uint[] MaskedVector);

/// <summary>
/// Stage 3, down: which of the client's share holders-and-neighbours sent their masked input (U3). The client
/// answers with b-shares for them and s-key shares for the rest of its U2 neighbours, never both for one client.
/// </summary>
[GenerateSerializer, Immutable]
public sealed record SecAggUnmaskRequest(
    [property: Id(0)] long To,
    [property: Id(1)] long[] Survivors);

/// <summary>One decrypted share of <see cref="Owner"/>'s secret, held by the responding client (its point is the responder's).</summary>
[GenerateSerializer, Immutable]
public sealed record SecAggRevealedShare(
    [property: Id(0)] long Owner,
    [property: Id(1)] byte[] Share);

/// <summary>Stage 3, up: b-shares of surviving neighbours, s-key shares of neighbours that dropped after stage 1.</summary>
[GenerateSerializer, Immutable]
public sealed record SecAggUnmaskResponse(
    [property: Id(0)] long From,
    [property: Id(1)] SecAggRevealedShare[] SelfMaskShares,
    [property: Id(2)] SecAggRevealedShare[] MaskingKeyShares);

/// <summary>
/// The round's outcome on the server: the sum mod 2^32 of the contributors' quantized updates, its real-valued
/// reading, and who contributed (U3) and who dropped after advertising keys.
/// </summary>
[GenerateSerializer, Immutable]
public sealed record SecAggResult(
    [property: Id(0)] uint[] QuantizedSum,
    [property: Id(1)] double[] Sum,
    [property: Id(2)] long[] Contributors,
    [property: Id(3)] long[] Dropped);

/// <summary>The protocol's stages, in order (Bonawitz et al. 2017, Fig. 4 rounds 0, 1, 2 and 4; the consistency check of round 3 belongs to the malicious-server variant).</summary>
public enum SecAggStage
{
    AdvertiseKeys = 0,
    ShareKeys = 1,
    MaskedInputCollection = 2,
    Unmasking = 3,
    Finished = 4,
}

/// <summary>
/// The round cannot produce a correct sum: fewer than t clients (or share holders) are left at
/// <see cref="Stage"/>, or a rebuilt secret failed its check. The round must fail; there is no partial result.
/// </summary>
[GenerateSerializer]
public sealed class SecureAggregationAbortedException : Exception
{
    public SecureAggregationAbortedException(SecAggStage stage, int required, int available, string message)
        : base($"secure aggregation aborted at {stage}: {message}")
    {
        Stage = stage;
        Required = required;
        Available = available;
    }

    [Id(0)] public SecAggStage Stage { get; }

    /// <summary>How many were needed (usually the threshold t).</summary>
    [Id(1)] public int Required { get; }

    [Id(2)] public int Available { get; }
}
