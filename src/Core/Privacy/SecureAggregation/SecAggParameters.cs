namespace FedSim.Privacy.SecureAggregation;

/// <summary>
/// Everything both sides of one secure-aggregation round must agree on. The coordinator builds it and sends it
/// to the cohort; clients and server check it with <see cref="Validate"/> before use.
/// <para>
/// Graph and threshold: with <see cref="NeighbourCount"/> = 0 every client masks with, and shares its secrets
/// among, the whole cohort (Bonawitz et al. 2017). With k &gt; 0 (SecAgg+, Bell et al. 2020) it does so only
/// with its k neighbours in a seeded random k-regular Harary graph, so its cost grows with k, not with the
/// cohort. A client's secrets are shared among its holders (its neighbours and itself: the whole cohort, or
/// k + 1) with threshold t; the server needs t holders' shares of each secret it rebuilds, so up to
/// holders − t of them may drop out. The default t is a strict majority of the holders, ⌊h/2⌋ + 1: it keeps
/// the sum private from the server together with fewer than t colluding clients (the semi-honest guarantee)
/// and tolerates just under half of a neighbourhood dropping. The default k is 2⌈log₂ N⌉ (Bell et al. show a
/// k of order log N suffices; 20 for N = 1,000).
/// </para>
/// </summary>
/// <param name="SessionId">Binds every derived key to this round (e.g. "experiment/round"); keys from another round never match.</param>
/// <param name="VectorLength">Coordinates in each update.</param>
/// <param name="MaxClients">The cohort size N: no more clients may join, which is what keeps the quantized sum from wrapping.</param>
/// <param name="Threshold">t, the shares needed to rebuild a secret.</param>
/// <param name="NeighbourCount">k, even, for SecAgg+; 0 for the complete graph.</param>
/// <param name="ClipRange">c: coordinates are clipped to [−c, c] before quantization.</param>
/// <param name="Rounding">Nearest or seeded stochastic rounding.</param>
/// <param name="GraphSeed">Seeds the neighbour graph's node placement (SecAgg+ only).</param>
/// <param name="CountsClipped">The last coordinate is the quantizer's count of clipped coordinates (<see cref="FixedPointQuantizer.CountsClipped"/>).</param>
[GenerateSerializer, Immutable]
public sealed record SecAggParameters(
    [property: Id(0)] string SessionId,
    [property: Id(1)] int VectorLength,
    [property: Id(2)] int MaxClients,
    [property: Id(3)] int Threshold,
    [property: Id(4)] int NeighbourCount,
    [property: Id(5)] double ClipRange,
    [property: Id(6)] QuantizationRounding Rounding,
    [property: Id(7)] ulong GraphSeed,
    [property: Id(8)] bool CountsClipped = false)
{
    /// <summary>Bonawitz et al.'s protocol: a complete graph over the cohort; threshold defaults to ⌊N/2⌋ + 1.</summary>
    public static SecAggParameters Complete(string sessionId, int vectorLength, int maxClients, double clipRange,
        int? threshold = null, QuantizationRounding rounding = QuantizationRounding.Nearest, bool countsClipped = false)
    {
        var p = new SecAggParameters(sessionId, vectorLength, maxClients, threshold ?? MajorityOf(maxClients), 0, clipRange, rounding, 0, countsClipped);
        p.Validate();
        return p;
    }

    /// <summary>SecAgg+: k neighbours (default 2⌈log₂ N⌉), threshold defaulting to ⌊(k + 1)/2⌋ + 1. Falls back to the complete graph when k ≥ N − 1.</summary>
    public static SecAggParameters Sparse(string sessionId, int vectorLength, int maxClients, double clipRange, ulong graphSeed,
        int? neighbours = null, int? threshold = null, QuantizationRounding rounding = QuantizationRounding.Nearest, bool countsClipped = false)
    {
        int k = neighbours ?? DefaultNeighbourCount(maxClients);
        if (k >= maxClients - 1) return Complete(sessionId, vectorLength, maxClients, clipRange, threshold, rounding, countsClipped);
        var p = new SecAggParameters(sessionId, vectorLength, maxClients, threshold ?? MajorityOf(k + 1), k, clipRange, rounding, graphSeed, countsClipped);
        p.Validate();
        return p;
    }

    /// <summary>2⌈log₂ N⌉: even, and of the order Bell et al. (2020) prove enough.</summary>
    public static int DefaultNeighbourCount(int maxClients) => 2 * (int)Math.Ceiling(Math.Log2(Math.Max(2, maxClients)));

    public static int MajorityOf(int holders) => holders / 2 + 1;

    /// <summary>The holders of each client's shares: its neighbours and itself.</summary>
    public int HoldersPerClient => NeighbourCount == 0 ? MaxClients : NeighbourCount + 1;

    public FixedPointQuantizer Quantizer => new(ClipRange, MaxClients, Rounding, CountsClipped);

    /// <summary>Throws an ArgumentException naming the field and the range it must lie in.</summary>
    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(SessionId)) throw Bad(nameof(SessionId), "must name the round (e.g. \"experiment/round\")");
        if (VectorLength < (CountsClipped ? 2 : 1))
            throw Bad(nameof(VectorLength), $"is {VectorLength}; it must be at least {(CountsClipped ? "2 (a value and the clipped count)" : "1")}");
        if (MaxClients < 2) throw Bad(nameof(MaxClients), $"is {MaxClients}; secure aggregation needs at least 2 clients");
        if (NeighbourCount < 0 || NeighbourCount % 2 != 0 || NeighbourCount >= MaxClients - 1 && NeighbourCount != 0)
            throw Bad(nameof(NeighbourCount), $"is {NeighbourCount}; use 0 for the complete graph or an even k in [2, {MaxClients - 2}]");
        if (Threshold < 2 || Threshold > HoldersPerClient)
            throw Bad(nameof(Threshold), $"is {Threshold}; it must lie in [2, {HoldersPerClient}] (each client's secrets have {HoldersPerClient} holders)");
        if (!(ClipRange > 0) || double.IsInfinity(ClipRange)) throw Bad(nameof(ClipRange), $"is {ClipRange}; it must be a positive finite number");
        if (!Enum.IsDefined(Rounding)) throw Bad(nameof(Rounding), $"is {(int)Rounding}; use Nearest or Stochastic");
    }

    private static ArgumentException Bad(string field, string message) => new($"secure aggregation parameter {field} {message}", field);
}
