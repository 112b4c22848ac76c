using FedSim.Determinism;

namespace FedSim.Privacy.SecureAggregation;

/// <summary>How a scaled coordinate becomes an integer.</summary>
public enum QuantizationRounding
{
    /// <summary>Round half away from zero: error at most half a step, biased for values that sit on the grid's midpoints.</summary>
    Nearest = 0,

    /// <summary>Round up with probability equal to the fractional part (seeded): unbiased, error under one step.</summary>
    Stochastic = 1,
}

/// <summary>
/// A client's quantized update: the integers in Z_{2^32} it masks. It exists only on the client's side and
/// deliberately has no serializer, so it cannot be sent to the coordinator by mistake.
/// </summary>
public sealed class QuantizedUpdate(uint[] values)
{
    public uint[] Values { get; } = values;
}

/// <summary>
/// Clips each coordinate to [−c, c] and maps it to a signed fixed-point integer in Z_{2^32}:
/// q(x) = round(clip(x) · L / c) with L = ⌊(2^31 − 1) / N⌋ for at most N clients. Each |q| ≤ L, so any sum of
/// up to N of them has magnitude ≤ N·L &lt; 2^31 and its two's-complement reading mod 2^32 is the exact integer
/// sum: the masked sum cannot wrap. Dequantization divides that integer by the scale L / c.
/// <para>
/// Error bound (per coordinate, for coordinates inside [−c, c]; clipping error is separate and unbounded):
/// one client's round trip is off by at most Δ/2 with <see cref="QuantizationRounding.Nearest"/> and under Δ with
/// <see cref="QuantizationRounding.Stochastic"/> (then unbiased), where Δ = c / L is the step; a sum over m clients
/// is off by at most m times that. For c = 1 and N = 1,000: L = 2,147,483, Δ ≈ 4.7e-7.
/// </para>
/// <para>
/// With <see cref="CountsClipped"/> the last coordinate of every vector is not a value but a slot: the quantizer writes
/// into it, as a plain integer, how many of the other coordinates it clipped (|x| &gt; c as a float), at most L, so the
/// sum's slot is the exact total over the clients that made the sum, and is read as such. Inside the mask, the server
/// learns only that total.
/// </para>
/// </summary>
public sealed class FixedPointQuantizer
{
    /// <summary>The protocol's modulus R = 2^32: the arithmetic of uint.</summary>
    public const double Modulus = 4294967296.0;

    public FixedPointQuantizer(double clipRange, int maxClients, QuantizationRounding rounding, bool countsClipped = false)
    {
        if (!(clipRange > 0) || double.IsInfinity(clipRange))
            throw new ArgumentOutOfRangeException(nameof(clipRange), clipRange, "the clipping range c must be a positive finite number");
        if (maxClients < 1) throw new ArgumentOutOfRangeException(nameof(maxClients), maxClients, "at least one client");
        if (!Enum.IsDefined(rounding)) throw new ArgumentOutOfRangeException(nameof(rounding), rounding, "unknown rounding");
        ClipRange = clipRange;
        MaxClients = maxClients;
        Rounding = rounding;
        CountsClipped = countsClipped;
        MaxMagnitude = int.MaxValue / maxClients;
        Scale = MaxMagnitude / clipRange;
    }

    public double ClipRange { get; }
    public int MaxClients { get; }
    public QuantizationRounding Rounding { get; }

    /// <summary>Whether the last coordinate is the count of clipped coordinates (see the class summary).</summary>
    public bool CountsClipped { get; }

    /// <summary>L: the largest |q| one client can send.</summary>
    public int MaxMagnitude { get; }

    /// <summary>Integer units per unit of the update: L / c.</summary>
    public double Scale { get; }

    /// <summary>Δ = c / L, the value of one integer step.</summary>
    public double Step => 1 / Scale;

    /// <summary>The largest error of one client's round trip for an unclipped coordinate (see the class summary).</summary>
    public double RoundTripErrorBound => Rounding == QuantizationRounding.Nearest ? Step / 2 : Step;

    /// <summary>Clip, scale, round. <paramref name="roundingSeed"/> drives stochastic rounding (unused for nearest).</summary>
    public QuantizedUpdate Quantize(ReadOnlySpan<float> update, ulong roundingSeed)
    {
        var random = Rounding == QuantizationRounding.Stochastic ? new DeterministicRandom(roundingSeed) : null;
        var values = new uint[update.Length];
        int length = CountsClipped ? update.Length - 1 : update.Length;
        if (length < 0) throw new ArgumentException("the update has no slot for the count of clipped coordinates", nameof(update));
        float range = (float)ClipRange;
        int clipped = 0;
        for (int i = 0; i < length; i++)
        {
            float x = update[i];
            if (!float.IsFinite(x))
                throw new ArgumentException($"coordinate {i} of the update is {x}; secure aggregation needs finite values (a diverged client should fail the round, not be clipped)", nameof(update));
            if (Math.Abs(x) > range) clipped++;
            // Clipping to [−c, c] is clamping the scaled value to [−L, L]; clamping after the product also keeps
            // c · (L / c) from landing a hair above L and rounding to L + 1.
            double scaled = Math.Clamp(x * Scale, -MaxMagnitude, MaxMagnitude);
            double rounded = random is null
                ? Math.Round(scaled, MidpointRounding.AwayFromZero)
                : Math.Floor(scaled) + (random.NextDouble() < scaled - Math.Floor(scaled) ? 1 : 0);
            // L is an integer, so the rounded value stays in [−L, L].
            values[i] = unchecked((uint)(int)rounded);
        }
        if (CountsClipped) values[length] = (uint)Math.Min(clipped, MaxMagnitude); // at most L, so the sum cannot wrap
        return new QuantizedUpdate(values);
    }

    /// <summary>
    /// The real-valued sum of up to <see cref="MaxClients"/> quantized updates, read from their sum mod 2^32; with
    /// <see cref="CountsClipped"/> the last value is the summed count of clipped coordinates.
    /// </summary>
    public double[] DequantizeSum(ReadOnlySpan<uint> sum)
    {
        var values = new double[sum.Length];
        for (int i = 0; i < sum.Length; i++) values[i] = unchecked((int)sum[i]) / Scale;
        if (CountsClipped && sum.Length > 0) values[^1] = unchecked((int)sum[^1]);
        return values;
    }
}
