namespace FedSim.Privacy.SecureAggregation;

/// <summary>
/// The server's side of a secure-aggregation round, for the coordinator grain to drive: it receives each stage's
/// client messages, then closes the stage, which fixes who is still in and returns what to send down.
/// <para>
/// It only ever holds public keys, encrypted shares, masked vectors (added into one running sum as they arrive),
/// revealed shares and the final sum. No method takes or returns an individual update in the clear, and the
/// only vector it accepts is <see cref="SecAggMaskedInput"/>. Every "too few left" condition throws
/// <see cref="SecureAggregationAbortedException"/>; a rebuilt secret that fails its check does too, so a
/// round ends with the exact sum or not at all.
/// </para>
/// Not thread-safe: one grain activation drives it, one message at a time.
/// </summary>
public sealed class SecAggServer
{
    private readonly SecAggParameters _parameters;
    private readonly Dictionary<long, SecAggKeyAdvertisement> _advertised = new();   // U1 once closed
    private NeighbourGraph? _graph;
    private readonly Dictionary<long, SecAggShareBundle> _shared = new();            // U2 once closed
    private readonly HashSet<long> _masked = new();                                   // U3 once closed
    private readonly uint[] _maskedSum;
    private readonly Dictionary<long, SecAggUnmaskResponse> _responses = new();      // U5

    public SecAggServer(SecAggParameters parameters)
    {
        parameters.Validate();
        _parameters = parameters;
        _maskedSum = new uint[parameters.VectorLength];
    }

    /// <summary>The stage whose client messages the server is collecting.</summary>
    public SecAggStage Stage { get; private set; } = SecAggStage.AdvertiseKeys;

    // ---- Stage 0: advertise keys -------------------------------------------------------------------------

    /// <summary>Takes a client's public keys. False when it arrives after the stage closed (the client counts as dropped).</summary>
    public bool Receive(SecAggKeyAdvertisement advertisement)
    {
        if (IsLate(SecAggStage.AdvertiseKeys)) return false;
        ShamirSecretSharing.PointOf(advertisement.ClientId);
        EcdhKeyPair.ImportPublicKey(advertisement.EncryptionPublicKey).Dispose();
        EcdhKeyPair.ImportPublicKey(advertisement.MaskingPublicKey).Dispose();
        if (_advertised.ContainsKey(advertisement.ClientId))
            throw new ArgumentException($"client {advertisement.ClientId} advertised its keys twice", nameof(advertisement));
        // More clients than N could make the quantized sum wrap: the cohort size is a hard cap.
        if (_advertised.Count >= _parameters.MaxClients)
            throw new ArgumentException($"client {advertisement.ClientId} would be client {_advertised.Count + 1} of a round sized for {_parameters.MaxClients}", nameof(advertisement));
        _advertised.Add(advertisement.ClientId, advertisement);
        return true;
    }

    /// <summary>Closes stage 0: U1 is who advertised. Builds the neighbour graph and returns each client's roster.</summary>
    public IReadOnlyList<SecAggKeyRoster> CloseKeyAdvertisement()
    {
        Expect(SecAggStage.AdvertiseKeys);
        Require(SecAggStage.AdvertiseKeys, _advertised.Count, "clients advertised keys");
        _graph = NeighbourGraph.Build(_advertised.Keys, _parameters.NeighbourCount, _parameters.GraphSeed);
        Stage = SecAggStage.ShareKeys;
        return _advertised.Keys.Order()
            .Select(u => new SecAggKeyRoster(u, _graph.NeighboursOf(u).Select(v => _advertised[v]).ToArray()))
            .ToList();
    }

    // ---- Stage 1: share keys ----------------------------------------------------------------------------

    /// <summary>Takes a client's encrypted shares. False when late.</summary>
    public bool Receive(SecAggShareBundle bundle)
    {
        if (IsLate(SecAggStage.ShareKeys)) return false;
        if (!_advertised.ContainsKey(bundle.From)) throw new ArgumentException($"client {bundle.From} sent shares without having advertised keys", nameof(bundle));
        if (_shared.ContainsKey(bundle.From)) throw new ArgumentException($"client {bundle.From} sent its shares twice", nameof(bundle));
        if (bundle.SelfMaskCommitment is not { Length: 32 }) throw new ArgumentException($"client {bundle.From}'s commitment must be a SHA-256 hash", nameof(bundle));
        var addressees = bundle.Shares.Select(s => s.To).ToHashSet();
        if (bundle.Shares.Any(s => s.From != bundle.From) || addressees.Count != bundle.Shares.Length
            || !addressees.SetEquals(_graph!.NeighboursOf(bundle.From)))
            throw new ArgumentException($"client {bundle.From} must send exactly one share to each of its {_graph!.NeighboursOf(bundle.From).Count} neighbours", nameof(bundle));
        _shared.Add(bundle.From, bundle);
        return true;
    }

    /// <summary>
    /// Closes stage 1: U2 is who sent shares, less any client with fewer than t holders left in U2 (its secrets
    /// could never be rebuilt, so it is treated as dropped). Returns each U2 client's shares from U2 neighbours.
    /// </summary>
    public IReadOnlyList<SecAggShareDelivery> CloseKeySharing()
    {
        Expect(SecAggStage.ShareKeys);
        Require(SecAggStage.ShareKeys, _shared.Count, "clients sent their shares");
        var u2 = _shared.Keys.ToHashSet();
        bool pruned;
        do
        {
            pruned = false;
            foreach (long u in u2.ToList())
                if (HoldersIn(u, u2) < _parameters.Threshold) { u2.Remove(u); pruned = true; }
        } while (pruned);
        foreach (long dropped in _shared.Keys.Where(u => !u2.Contains(u)).ToList()) _shared.Remove(dropped);
        Require(SecAggStage.ShareKeys, _shared.Count, "clients sent their shares and have t share holders among them");

        var inbox = _shared.Keys.ToDictionary(u => u, _ => new List<SecAggEncryptedShare>());
        foreach (var bundle in _shared.Values.OrderBy(b => b.From))
            foreach (var share in bundle.Shares)
                if (inbox.TryGetValue(share.To, out var shares)) shares.Add(share);
        Stage = SecAggStage.MaskedInputCollection;
        return inbox.OrderBy(p => p.Key).Select(p => new SecAggShareDelivery(p.Key, [.. p.Value])).ToList();
    }

    // ---- Stage 2: masked input collection ---------------------------------------------------------------

    /// <summary>Adds a masked vector into the running sum (the vector itself is not kept). False when late.</summary>
    public bool Receive(SecAggMaskedInput input)
    {
        if (IsLate(SecAggStage.MaskedInputCollection)) return false;
        if (!_shared.ContainsKey(input.From)) throw new ArgumentException($"client {input.From} sent a masked input but is not in U2", nameof(input));
        if (input.MaskedVector.Length != _parameters.VectorLength)
            throw new ArgumentException($"client {input.From}'s masked input has {input.MaskedVector.Length} coordinates, expected {_parameters.VectorLength}", nameof(input));
        if (!_masked.Add(input.From)) throw new ArgumentException($"client {input.From} sent its masked input twice", nameof(input));
        ModularVector.AddInPlace(_maskedSum, input.MaskedVector);
        return true;
    }

    /// <summary>
    /// Closes stage 2: U3 is who sent a masked input. Checks that every secret the server will have to rebuild
    /// (b of each survivor, the s-key of each dropped client with a surviving neighbour) still has t holders in
    /// U3, then returns each survivor's request.
    /// </summary>
    public IReadOnlyList<SecAggUnmaskRequest> CloseMaskedInputCollection()
    {
        Expect(SecAggStage.MaskedInputCollection);
        Require(SecAggStage.MaskedInputCollection, _masked.Count, "clients sent masked inputs");
        foreach (long owner in SecretsToRebuild())
            RequireHolders(SecAggStage.MaskedInputCollection, owner, HoldersIn(owner, _masked), "surviving share holders");
        Stage = SecAggStage.Unmasking;
        return _masked.Order()
            .Select(u => new SecAggUnmaskRequest(u, HoldersOf(u).Where(_masked.Contains).Order().ToArray()))
            .ToList();
    }

    // ---- Stage 3: unmasking -----------------------------------------------------------------------------

    /// <summary>Takes a survivor's revealed shares. False when late.</summary>
    public bool Receive(SecAggUnmaskResponse response)
    {
        if (IsLate(SecAggStage.Unmasking)) return false;
        long from = response.From;
        if (!_masked.Contains(from)) throw new ArgumentException($"client {from} answered the unmask request but is not in U3", nameof(response));
        if (_responses.ContainsKey(from)) throw new ArgumentException($"client {from} answered twice", nameof(response));
        // The server's own half of the rule that keeps masks safe: b-shares only of survivors, s-key shares
        // only of U2 clients that dropped, each from a holder of that client's shares, each owner at most once.
        foreach (var share in response.SelfMaskShares)
            if (!_masked.Contains(share.Owner) || !IsHolder(from, share.Owner))
                throw new ArgumentException($"client {from} revealed a b-share of {share.Owner}, which is not a surviving neighbour", nameof(response));
        foreach (var share in response.MaskingKeyShares)
            if (_masked.Contains(share.Owner) || !_shared.ContainsKey(share.Owner) || !IsHolder(from, share.Owner))
                throw new ArgumentException($"client {from} revealed an s-key share of {share.Owner}, which is not a dropped neighbour", nameof(response));
        var owners = response.SelfMaskShares.Concat(response.MaskingKeyShares).Select(s => s.Owner).ToList();
        if (owners.Distinct().Count() != owners.Count) throw new ArgumentException($"client {from} revealed two shares of one client", nameof(response));
        _responses.Add(from, response);
        return true;
    }

    /// <summary>
    /// Closes stage 3 and the round: rebuilds each survivor's b and removes PRG(b); rebuilds each dropped client's
    /// s private key, checks it against its advertised public key, and removes the pairwise masks it shared with
    /// survivors. Returns the exact sum of the survivors' quantized updates mod 2^32 and its real-valued reading.
    /// </summary>
    public SecAggResult Finish()
    {
        Expect(SecAggStage.Unmasking);
        Require(SecAggStage.Unmasking, _responses.Count, "survivors revealed their shares");
        var responders = _responses.Keys.ToHashSet();
        foreach (long owner in SecretsToRebuild())
            RequireHolders(SecAggStage.Unmasking, owner, HoldersIn(owner, responders), "holders revealed shares");

        var sum = (uint[])_maskedSum.Clone();
        var lagrange = new LagrangeCache();
        var selfMaskShares = SharesByOwner(r => r.SelfMaskShares);
        var maskingKeyShares = SharesByOwner(r => r.MaskingKeyShares);
        string session = _parameters.SessionId;
        foreach (long u in _masked.Order())
        {
            var b = Rebuild(u, selfMaskShares, lagrange);
            if (!SecAggKeys.SelfMaskCommitment(b, session, u).AsSpan().SequenceEqual(_shared[u].SelfMaskCommitment))
                throw RebuildFailed(u, "self-mask seed b");
            MaskGenerator.SubtractFrom(SecAggKeys.SelfMaskSeed(b, session, u), sum);
        }
        foreach (long v in DroppedAfterSharing().Order())
        {
            var survivingNeighbours = _graph!.NeighboursOf(v).Where(_masked.Contains).ToList();
            if (survivingNeighbours.Count == 0) continue; // nobody masked with v
            byte[] scalar = Rebuild(v, maskingKeyShares, lagrange);
            EcdhKeyPair key;
            try { key = EcdhKeyPair.FromPrivateScalar(scalar); }
            catch (ArgumentException) { throw RebuildFailed(v, "masking private key"); }
            using (key)
            {
                if (!key.PublicKey.AsSpan().SequenceEqual(_advertised[v].MaskingPublicKey)) throw RebuildFailed(v, "masking private key");
                foreach (long u in survivingNeighbours)
                {
                    byte[] seed = SecAggKeys.PairwiseMaskSeed(key.Agree(_advertised[u].MaskingPublicKey), session, u, v);
                    // u added +PRG(s_uv) when v > u and −PRG(s_uv) when v < u; undo that.
                    if (v > u) MaskGenerator.SubtractFrom(seed, sum);
                    else MaskGenerator.AddTo(seed, sum);
                }
            }
        }
        Stage = SecAggStage.Finished;
        var contributors = _masked.Order().ToArray();
        return new SecAggResult(sum, _parameters.Quantizer.DequantizeSum(sum), contributors,
            _advertised.Keys.Where(u => !_masked.Contains(u)).Order().ToArray());
    }

    // ---- helpers ----------------------------------------------------------------------------------------

    /// <summary>Every client whose secret the server must rebuild: survivors (b) and dropped U2 clients with a surviving neighbour (s-key).</summary>
    private IEnumerable<long> SecretsToRebuild()
        => _masked.Concat(DroppedAfterSharing().Where(v => _graph!.NeighboursOf(v).Any(_masked.Contains)));

    private IEnumerable<long> DroppedAfterSharing() => _shared.Keys.Where(v => !_masked.Contains(v));

    private IEnumerable<long> HoldersOf(long owner) => _graph!.NeighboursOf(owner).Where(_shared.ContainsKey).Append(owner);

    private bool IsHolder(long holder, long owner) => holder == owner || _graph!.AreNeighbours(owner, holder);

    private int HoldersIn(long owner, IReadOnlySet<long> set) => _graph!.NeighboursOf(owner).Count(set.Contains) + (set.Contains(owner) ? 1 : 0);

    /// <summary>The revealed shares of one kind, grouped by whose secret they are, each at its holder's point.</summary>
    private Dictionary<long, List<ShamirShare>> SharesByOwner(Func<SecAggUnmaskResponse, SecAggRevealedShare[]> sharesOf)
    {
        var byOwner = new Dictionary<long, List<ShamirShare>>();
        foreach (var response in _responses.Values)
            foreach (var share in sharesOf(response))
            {
                if (!byOwner.TryGetValue(share.Owner, out var shares)) byOwner[share.Owner] = shares = [];
                shares.Add(new ShamirShare(ShamirSecretSharing.PointOf(response.From), share.Share));
            }
        return byOwner;
    }

    private byte[] Rebuild(long owner, Dictionary<long, List<ShamirShare>> sharesByOwner, LagrangeCache lagrange)
    {
        var shares = sharesByOwner.GetValueOrDefault(owner) ?? [];
        RequireHolders(SecAggStage.Unmasking, owner, shares.Count, "shares revealed");
        try { return ShamirSecretSharing.Reconstruct(shares, _parameters.Threshold, lagrange); }
        catch (ArgumentException) { throw RebuildFailed(owner, "secret (malformed share)"); }
    }

    private SecureAggregationAbortedException RebuildFailed(long owner, string what)
        => new(SecAggStage.Unmasking, _parameters.Threshold, 0,
            $"client {owner}'s rebuilt {what} does not match what it committed to; a share was corrupted, so no sum is returned");

    private void Require(SecAggStage stage, int available, string what)
    {
        if (available < _parameters.Threshold)
            throw new SecureAggregationAbortedException(stage, _parameters.Threshold, available,
                $"{available} {what}; the threshold is {_parameters.Threshold}");
    }

    private void RequireHolders(SecAggStage stage, long owner, int available, string what)
    {
        if (available < _parameters.Threshold)
            throw new SecureAggregationAbortedException(stage, _parameters.Threshold, available,
                $"client {owner} has {available} {what}; its secrets need {_parameters.Threshold}");
    }

    private bool IsLate(SecAggStage stage)
    {
        if (Stage > stage) return true;
        if (Stage < stage) throw new InvalidOperationException($"the server is collecting {Stage}; a {stage} message is early");
        return false;
    }

    private void Expect(SecAggStage stage)
    {
        if (Stage != stage) throw new InvalidOperationException($"the server is at stage {Stage}; it cannot close {stage}");
    }
}
