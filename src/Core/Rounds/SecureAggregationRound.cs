using FedSim.Determinism;
using FedSim.Privacy;
using FedSim.Privacy.SecureAggregation;

namespace FedSim.Rounds;

/// <summary>
/// How a round's plan becomes a secure-aggregation round (pure: the coordinator grain only runs it).
/// <para>
/// Dropouts. The round planner's dropout model says which sampled devices vanish during the round; under secure
/// aggregation each vanishes at one of the protocol's four stages, drawn uniformly from its own seed: before
/// advertising its keys (it is simply absent, as without secure aggregation), before sharing its keys, before sending
/// its masked input (the server then rebuilds its masking key from the others' shares and removes its pairwise masks),
/// or before unmasking (its input is already in the sum; it just reveals no shares). The sum survives as long as every
/// secret to rebuild keeps t holders; otherwise the round fails and keeps the model.
/// </para>
/// </summary>
public static class SecureAggregationRound
{
    private static readonly SecAggStage[] Stages =
        [SecAggStage.AdvertiseKeys, SecAggStage.ShareKeys, SecAggStage.MaskedInputCollection, SecAggStage.Unmasking];

    /// <summary>The stage whose message a vanishing device never sends, drawn from (seed, round, device).</summary>
    public static SecAggStage VanishingStage(ulong seed, int round, long device)
    {
        ulong draw = Seeds.SecureAggregationVanishingStage(seed, round, device);
        return Stages[(int)(draw % (ulong)Stages.Length)];
    }

    /// <summary>
    /// The encoding of this round's updates: DP-FedAvg sums clipped updates with equal weight (and, with adaptive
    /// clipping, the unclipped bits), using the clip norm as the quantizer's range (a clipped update's coordinates lie
    /// within it); otherwise FedAvg's weighted sum with the weight appended, in the configured clip range. Either way
    /// the vector ends with the quantizer's count of clipped coordinates (metrics.csv's secagg_clipped_coordinates).
    /// </summary>
    public static SecAggEncoding Encoding(PrivacySpec privacy, int parameters, double clipNorm) => privacy.Central is { } central
        ? new SecAggEncoding(parameters, central.Clipping.TracksUnclippedFraction ? SecAggExtraCoordinate.UnclippedBit : SecAggExtraCoordinate.None, clipNorm,
            CountsClipped: true)
        : new SecAggEncoding(parameters, SecAggExtraCoordinate.Weight, privacy.SecureAggregation!.ClipRange, CountsClipped: true);

    /// <summary>The protocol's parameters for <paramref name="devices"/> participants; throws ArgumentException when they cannot run.</summary>
    public static SecAggParameters Parameters(SecureAggregationSpec spec, string session, SecAggEncoding encoding, int devices, ulong graphSeed)
    {
        var rounding = spec.Rounding == QuantizationRoundings.Stochastic ? QuantizationRounding.Stochastic : QuantizationRounding.Nearest;
        int? threshold = spec.Threshold > 0 ? spec.Threshold : null;
        return spec.Graph == SecureAggregationGraphs.Sparse
            ? SecAggParameters.Sparse(session, encoding.VectorLength, devices, encoding.Range, graphSeed,
                spec.Neighbours > 0 ? spec.Neighbours : null, threshold, rounding, encoding.CountsClipped)
            : SecAggParameters.Complete(session, encoding.VectorLength, devices, encoding.Range, threshold, rounding, encoding.CountsClipped);
    }
}
