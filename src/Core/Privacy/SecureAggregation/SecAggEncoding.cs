namespace FedSim.Privacy.SecureAggregation;

/// <summary>What a device appends to its update before masking it.</summary>
public enum SecAggExtraCoordinate
{
    /// <summary>Nothing: DP-FedAvg with a fixed clip norm sums the clipped updates with equal weights.</summary>
    None = 0,

    /// <summary>Weighted FedAvg: the update is scaled by the device's weight w and w itself is appended.</summary>
    Weight = 1,

    /// <summary>Adaptive clipping: the bit "my update fitted under the clip norm" is appended, so the server learns only the count.</summary>
    UnclippedBit = 2,
}

/// <summary>
/// How a device's update becomes the vector it masks, and how the coordinator reads the revealed sum: the model's
/// coordinates first, then at most one extra coordinate. Weighted FedAvg (this README's recipe, as in Flower's SecAgg
/// workflows) scales the update by w = n / n_max ≤ 1 and appends w; the server divides the summed update by the summed
/// weight. An extra coordinate is sent multiplied by the clip range c, so it uses the quantizer's whole range (a bit or
/// a weight in [0, 1] would otherwise be clipped when c &lt; 1, or lose precision when c is large). With
/// <see cref="CountsClipped"/> a last slot follows, where the quantizer counts the coordinates it clipped to [−c, c]
/// (<see cref="FixedPointQuantizer.CountsClipped"/>): the server reads only the round's total.
/// </summary>
/// <param name="Parameters">Model coordinates.</param>
/// <param name="Range">c, the quantizer's clip range this round.</param>
/// <param name="CountsClipped">Whether the vector ends with the clipped-coordinate slot.</param>
[GenerateSerializer, Immutable]
public sealed record SecAggEncoding(
    [property: Id(0)] int Parameters,
    [property: Id(1)] SecAggExtraCoordinate Extra,
    [property: Id(2)] double Range,
    [property: Id(3)] bool CountsClipped = false)
{
    /// <summary>Coordinates of the masked vector.</summary>
    public int VectorLength => Parameters + (Extra == SecAggExtraCoordinate.None ? 0 : 1) + (CountsClipped ? 1 : 0);

    /// <summary>The vector a device masks: its update (times its weight) and the extra coordinate.</summary>
    /// <param name="weight">w ∈ [0, 1] for <see cref="SecAggExtraCoordinate.Weight"/>, else ignored.</param>
    /// <param name="unclipped">The adaptive-clipping bit, for <see cref="SecAggExtraCoordinate.UnclippedBit"/>.</param>
    public float[] Encode(ReadOnlySpan<float> update, double weight = 1, bool unclipped = false)
    {
        if (update.Length != Parameters)
            throw new ArgumentException($"the update has {update.Length} coordinates; the model has {Parameters}", nameof(update));
        if (Extra == SecAggExtraCoordinate.Weight && !(weight >= 0 && weight <= 1))
            throw new ArgumentOutOfRangeException(nameof(weight), weight, "a device's weight must lie in [0, 1]");
        var vector = new float[VectorLength];
        if (Extra == SecAggExtraCoordinate.Weight)
            for (int i = 0; i < update.Length; i++) vector[i] = (float)(update[i] * weight);
        else
            update.CopyTo(vector);
        if (Extra == SecAggExtraCoordinate.Weight) vector[Parameters] = (float)(weight * Range);
        else if (Extra == SecAggExtraCoordinate.UnclippedBit) vector[Parameters] = unclipped ? (float)Range : 0f;
        return vector; // the clipped-count slot, if any, stays 0: the quantizer fills it
    }

    /// <summary>The coordinates the quantizer clipped, summed over the devices in a revealed sum; null without the slot.</summary>
    public long? ClippedOf(IReadOnlyList<double> sum) => CountsClipped ? (long)Math.Round(sum[VectorLength - 1]) : null;

    /// <summary>The extra coordinate of a revealed sum, in its own units (the summed weight, or the unclipped count).</summary>
    public double ExtraOf(IReadOnlyList<double> sum) => Extra == SecAggExtraCoordinate.None ? 0 : sum[Parameters] / Range;

    /// <summary>The summed model coordinates of a revealed sum.</summary>
    public double[] UpdateOf(IReadOnlyList<double> sum)
    {
        var update = new double[Parameters];
        for (int i = 0; i < Parameters; i++) update[i] = sum[i];
        return update;
    }
}
