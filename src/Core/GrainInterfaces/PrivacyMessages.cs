using FedSim.Privacy.SecureAggregation;

namespace FedSim.GrainInterfaces;

/// <summary>
/// A device's part in one round's secure aggregation, sent with its <see cref="RoundAssignment"/>: the protocol's
/// parameters, how to turn its update into the vector it masks, and (simulation only) the stage at which the
/// heterogeneity dropout model makes it vanish.
/// </summary>
/// <param name="WeightScale">w = examples × WeightScale (1 / the largest shard), for weighted FedAvg's weight coordinate.</param>
/// <param name="ClipNorm">DP-FedAvg's clip norm S this round (devices clip before masking, as the server cannot); 0 without central DP.</param>
/// <param name="VanishesBefore">The stage whose message the device never sends (nor any later one); null: it completes the round.</param>
[GenerateSerializer, Immutable]
public sealed record SecureAggregationRole(
    [property: Id(0)] SecAggParameters Parameters,
    [property: Id(1)] SecAggEncoding Encoding,
    [property: Id(2)] double WeightScale,
    [property: Id(3)] double ClipNorm,
    [property: Id(4)] SecAggStage? VanishesBefore = null);
