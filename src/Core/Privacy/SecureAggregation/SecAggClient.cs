using System.Security.Cryptography;
using FedSim.Determinism;

namespace FedSim.Privacy.SecureAggregation;

/// <summary>
/// One client's side of a secure-aggregation round (Bonawitz et al. 2017, Fig. 4, semi-honest variant), as a
/// state machine a device grain drives: <see cref="AdvertiseKeys"/> → <see cref="ShareKeys"/> →
/// <see cref="MaskInput"/> → <see cref="Unmask"/>, each taking the server's message and returning the client's.
/// With <see cref="SecretRandomness.Deterministic"/> secrets (the default) a client is rebuilt identically from
/// (parameters, id, seed), so a grain that deactivates mid-round can replay the stages it completed.
/// Not thread-safe: one grain activation drives it.
/// </summary>
public sealed class SecAggClient : IDisposable
{
    private static readonly byte[] ZeroNonce = new byte[12];
    private const int TagBytes = 16;
    private const int SharePlaintextBytes = 2 * ShamirSecretSharing.SecretBytes;

    private readonly SecAggParameters _parameters;
    private readonly SecretRandomness _secrets;
    private readonly ulong _roundingSeed;
    private EcdhKeyPair? _encryptionKeys, _maskingKeys;
    private Dictionary<long, SecAggKeyAdvertisement>? _neighbours;
    private byte[]? _selfMaskSecret;
    private byte[]? _ownMaskingKeyShare, _ownSelfMaskShare;
    private Dictionary<long, SecAggEncryptedShare>? _received;
    private readonly Dictionary<long, byte[]> _decryptionKeys = new(); // agreed once in ShareKeys, used in Unmask

    /// <param name="seed">Seeds.Derive(experiment, round, device, SeedPurpose.SecureAggregation): drives rounding and, by default, every secret.</param>
    /// <param name="secrets">Override the secret source (e.g. <see cref="SecretRandomness.OperatingSystem"/>).</param>
    public SecAggClient(SecAggParameters parameters, long clientId, ulong seed, SecretRandomness? secrets = null)
    {
        parameters.Validate();
        ShamirSecretSharing.PointOf(clientId); // rejects negative ids
        _parameters = parameters;
        Id = clientId;
        _secrets = secrets ?? SecretRandomness.Deterministic(seed);
        _roundingSeed = Seeds.SecureAggregationRounding(seed);
    }

    public long Id { get; }

    /// <summary>The next stage this client expects to run.</summary>
    public SecAggStage Stage { get; private set; } = SecAggStage.AdvertiseKeys;

    /// <summary>The update as this client will mask it (clipped, scaled, rounded); it never leaves the client.</summary>
    public QuantizedUpdate Quantize(ReadOnlySpan<float> update)
    {
        if (update.Length != _parameters.VectorLength)
            throw new ArgumentException($"the update has {update.Length} coordinates; this round aggregates {_parameters.VectorLength}", nameof(update));
        return _parameters.Quantizer.Quantize(update, _roundingSeed);
    }

    /// <summary>Stage 0: generate the c and s key pairs; send their public halves.</summary>
    public SecAggKeyAdvertisement AdvertiseKeys()
    {
        Expect(SecAggStage.AdvertiseKeys);
        _encryptionKeys = EcdhKeyPair.Generate(_secrets);
        _maskingKeys = EcdhKeyPair.Generate(_secrets);
        Stage = SecAggStage.ShareKeys;
        return new SecAggKeyAdvertisement(Id, _encryptionKeys.PublicKey, _maskingKeys.PublicKey);
    }

    /// <summary>
    /// Stage 1: draw b_u, Shamir-share b_u and the s private key among the neighbours and itself with threshold t,
    /// and encrypt each neighbour's pair of shares under a key agreed with that neighbour's c key.
    /// </summary>
    public SecAggShareBundle ShareKeys(SecAggKeyRoster roster)
    {
        Expect(SecAggStage.ShareKeys);
        if (roster.To != Id) throw Misrouted("key roster", roster.To);
        var neighbours = new Dictionary<long, SecAggKeyAdvertisement>();
        var seenKeys = new HashSet<string> { Convert.ToHexString(_encryptionKeys!.PublicKey), Convert.ToHexString(_maskingKeys!.PublicKey) };
        foreach (var advertisement in roster.Neighbours)
        {
            if (advertisement.ClientId == Id || !neighbours.TryAdd(advertisement.ClientId, advertisement))
                throw new ArgumentException($"client {Id}: the roster lists client {advertisement.ClientId} twice or lists this client itself", nameof(roster));
            // Bonawitz et al. require all public keys distinct: a replayed key would make two pairs' masks equal.
            if (!seenKeys.Add(Convert.ToHexString(advertisement.EncryptionPublicKey)) || !seenKeys.Add(Convert.ToHexString(advertisement.MaskingPublicKey)))
                throw new ArgumentException($"client {Id}: client {advertisement.ClientId}'s public keys repeat another client's", nameof(roster));
        }
        RequireHolders(SecAggStage.ShareKeys, neighbours.Count + 1);
        _neighbours = neighbours;

        _selfMaskSecret = _secrets.NextBelow(ShamirSecretSharing.Prime);
        var holders = neighbours.Keys.Append(Id).Order().ToArray();
        var points = holders.Select(ShamirSecretSharing.PointOf).ToArray();
        var maskingKeyShares = ShamirSecretSharing.Split(_maskingKeys.PrivateScalar, points, _parameters.Threshold, _secrets);
        var selfMaskShares = ShamirSecretSharing.Split(_selfMaskSecret, points, _parameters.Threshold, _secrets);

        var encrypted = new List<SecAggEncryptedShare>(neighbours.Count);
        for (int i = 0; i < holders.Length; i++)
        {
            long holder = holders[i];
            if (holder == Id)
            {
                _ownMaskingKeyShare = maskingKeyShares[i];
                _ownSelfMaskShare = selfMaskShares[i];
                continue;
            }
            byte[] agreed = _encryptionKeys.Agree(neighbours[holder].EncryptionPublicKey);
            byte[] key = SecAggKeys.ShareEncryptionKey(agreed, _parameters.SessionId, Id, holder);
            _decryptionKeys[holder] = SecAggKeys.ShareEncryptionKey(agreed, _parameters.SessionId, holder, Id);
            var plaintext = new byte[SharePlaintextBytes];
            maskingKeyShares[i].CopyTo(plaintext, 0);
            selfMaskShares[i].CopyTo(plaintext, ShamirSecretSharing.SecretBytes);
            var ciphertext = new byte[SharePlaintextBytes + TagBytes];
            using (var gcm = new AesGcm(key, TagBytes))
                gcm.Encrypt(ZeroNonce, plaintext, ciphertext.AsSpan(0, SharePlaintextBytes), ciphertext.AsSpan(SharePlaintextBytes),
                    SecAggKeys.ShareAssociatedData(_parameters.SessionId, Id, holder));
            encrypted.Add(new SecAggEncryptedShare(Id, holder, ciphertext));
        }
        Stage = SecAggStage.MaskedInputCollection;
        return new SecAggShareBundle(Id, SecAggKeys.SelfMaskCommitment(_selfMaskSecret, _parameters.SessionId, Id), [.. encrypted]);
    }

    /// <summary>Stage 2 from a float update: quantize (see <see cref="Quantize"/>), then mask.</summary>
    public SecAggMaskedInput MaskInput(SecAggShareDelivery delivery, ReadOnlySpan<float> update) => MaskInput(delivery, Quantize(update));

    /// <summary>
    /// Stage 2: keep the shares addressed to this client; the neighbours that sent them are U2. Mask the quantized
    /// update with PRG(b_u) and with +PRG(s_uv) for each U2 neighbour v &gt; u and −PRG(s_uv) for v &lt; u.
    /// </summary>
    public SecAggMaskedInput MaskInput(SecAggShareDelivery delivery, QuantizedUpdate input)
    {
        Expect(SecAggStage.MaskedInputCollection);
        if (delivery.To != Id) throw Misrouted("share delivery", delivery.To);
        if (input.Values.Length != _parameters.VectorLength)
            throw new ArgumentException($"the quantized update has {input.Values.Length} coordinates; this round aggregates {_parameters.VectorLength}", nameof(input));
        var received = new Dictionary<long, SecAggEncryptedShare>();
        foreach (var share in delivery.Shares)
        {
            if (share.To != Id || !_neighbours!.ContainsKey(share.From) || !received.TryAdd(share.From, share))
                throw new ArgumentException($"client {Id}: the delivery holds a share from {share.From} to {share.To} that is not one of its neighbours' or is repeated", nameof(delivery));
        }
        RequireHolders(SecAggStage.MaskedInputCollection, received.Count + 1);
        _received = received;

        var masked = (uint[])input.Values.Clone();
        MaskGenerator.AddTo(SecAggKeys.SelfMaskSeed(_selfMaskSecret!, _parameters.SessionId, Id), masked);
        foreach (long v in received.Keys)
        {
            byte[] seed = SecAggKeys.PairwiseMaskSeed(_maskingKeys!.Agree(_neighbours![v].MaskingPublicKey), _parameters.SessionId, Id, v);
            if (v > Id) MaskGenerator.AddTo(seed, masked);
            else MaskGenerator.SubtractFrom(seed, masked);
        }
        Stage = SecAggStage.Unmasking;
        return new SecAggMaskedInput(Id, masked);
    }

    /// <summary>
    /// Stage 3: for each U2 neighbour named a survivor, reveal its b-share; for each other U2 neighbour (dropped
    /// before sending its masked input), reveal its s-key share. A client never reveals both for one neighbour,
    /// and refuses when fewer than t of its holders survived (the server could otherwise unmask a small group).
    /// </summary>
    public SecAggUnmaskResponse Unmask(SecAggUnmaskRequest request)
    {
        Expect(SecAggStage.Unmasking);
        if (request.To != Id) throw Misrouted("unmask request", request.To);
        var survivors = request.Survivors.ToHashSet();
        if (survivors.Count != request.Survivors.Length) throw new ArgumentException($"client {Id}: the survivor list repeats a client", nameof(request));
        if (!survivors.Contains(Id)) throw new ArgumentException($"client {Id}: the survivor list must include the client it is sent to", nameof(request));
        foreach (long s in survivors)
            if (s != Id && !_received!.ContainsKey(s))
                throw new ArgumentException($"client {Id}: survivor {s} did not complete the share stage with this client", nameof(request));
        RequireHolders(SecAggStage.Unmasking, survivors.Count);

        var selfMaskShares = new List<SecAggRevealedShare> { new(Id, _ownSelfMaskShare!) };
        var maskingKeyShares = new List<SecAggRevealedShare>();
        foreach (var (from, share) in _received!.OrderBy(p => p.Key))
        {
            var plaintext = Decrypt(share);
            if (survivors.Contains(from)) selfMaskShares.Add(new SecAggRevealedShare(from, plaintext[ShamirSecretSharing.SecretBytes..]));
            else maskingKeyShares.Add(new SecAggRevealedShare(from, plaintext[..ShamirSecretSharing.SecretBytes]));
        }
        Stage = SecAggStage.Finished;
        return new SecAggUnmaskResponse(Id, [.. selfMaskShares], [.. maskingKeyShares]);
    }

    private byte[] Decrypt(SecAggEncryptedShare share)
    {
        if (share.Ciphertext.Length != SharePlaintextBytes + TagBytes)
            throw new ArgumentException($"client {Id}: the share from {share.From} is {share.Ciphertext.Length} bytes, expected {SharePlaintextBytes + TagBytes}");
        byte[] key = _decryptionKeys[share.From];
        var plaintext = new byte[SharePlaintextBytes];
        using var gcm = new AesGcm(key, TagBytes);
        try
        {
            gcm.Decrypt(ZeroNonce, share.Ciphertext.AsSpan(0, SharePlaintextBytes), share.Ciphertext.AsSpan(SharePlaintextBytes), plaintext,
                SecAggKeys.ShareAssociatedData(_parameters.SessionId, share.From, Id));
        }
        catch (AuthenticationTagMismatchException e)
        {
            throw new ArgumentException($"client {Id}: the share from {share.From} does not authenticate (tampered, or not meant for this client and round)", e);
        }
        return plaintext;
    }

    private void RequireHolders(SecAggStage stage, int available)
    {
        if (available < _parameters.Threshold)
            throw new SecureAggregationAbortedException(stage, _parameters.Threshold, available,
                $"client {Id} has {available} share holders left (itself included) and the threshold is {_parameters.Threshold}");
    }

    private void Expect(SecAggStage stage)
    {
        if (Stage != stage) throw new InvalidOperationException($"client {Id} is at stage {Stage}; it cannot run {stage}");
    }

    private ArgumentException Misrouted(string what, long to) => new($"a {what} for client {to} was given to client {Id}");

    public void Dispose()
    {
        _encryptionKeys?.Dispose();
        _maskingKeys?.Dispose();
    }
}
