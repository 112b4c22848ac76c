namespace FedSim.Privacy.SecureAggregation;

/// <summary>
/// The payload bytes of each protocol message, counted the way a run's metrics count a plain update (4 bytes per
/// coordinate, nothing for framing): 8 per client id, the P-256 public keys (65 bytes uncompressed), the 96-byte
/// encrypted share pairs, 32-byte commitments and revealed shares, 4 per masked coordinate. <c>fedsim bench secagg</c>
/// reports the Orleans-serialized sizes instead (5 bytes per coordinate there, for plain and masked alike).
/// </summary>
public static class SecAggTraffic
{
    private const int Id = sizeof(long);

    public static long Bytes(SecAggKeyAdvertisement m) => Id + m.EncryptionPublicKey.Length + m.MaskingPublicKey.Length;

    public static long Bytes(SecAggKeyRoster m) => Id + m.Neighbours.Sum(Bytes);

    public static long Bytes(SecAggShareBundle m) => Id + m.SelfMaskCommitment.Length + m.Shares.Sum(Bytes);

    public static long Bytes(SecAggShareDelivery m) => Id + m.Shares.Sum(Bytes);

    public static long Bytes(SecAggMaskedInput m) => Id + (long)m.MaskedVector.Length * sizeof(uint);

    public static long Bytes(SecAggUnmaskRequest m) => Id + (long)m.Survivors.Length * Id;

    public static long Bytes(SecAggUnmaskResponse m) => Id + m.SelfMaskShares.Concat(m.MaskingKeyShares).Sum(s => (long)Id + s.Share.Length);

    private static long Bytes(SecAggEncryptedShare s) => 2 * Id + s.Ciphertext.Length;
}
