using FedSim.Privacy.Accounting;

namespace FedSim.Privacy.Mechanisms;

/// <summary>An update after L2 clipping: the clipped copy, whether clipping changed it, and its norm before.</summary>
public readonly record struct ClippedUpdate(float[] Values, bool WasClipped, double OriginalNorm);

/// <summary>
/// L2 clipping, the sensitivity bound of DP-FedAvg (McMahan, Ramage, Talwar and Zhang 2018, "Learning
/// Differentially Private Recurrent Language Models"): Δ ↦ Δ·min(1, S/‖Δ‖₂), so every device's contribution to
/// the sum has norm at most S whatever it trained on.
/// </summary>
public static class L2Clipping
{
    /// <summary>The Euclidean norm, accumulated in double so that a million float entries keep their digits.</summary>
    public static double Norm(ReadOnlySpan<float> values)
    {
        double sumOfSquares = 0;
        foreach (float v in values) sumOfSquares += (double)v * v;
        return Math.Sqrt(sumOfSquares);
    }

    /// <summary>Returns a copy of <paramref name="update"/> scaled to norm <paramref name="clipNorm"/> if it is longer.</summary>
    public static ClippedUpdate Clip(ReadOnlySpan<float> update, double clipNorm)
    {
        if (!(clipNorm > 0) || !double.IsFinite(clipNorm))
            throw new PrivacyParameterException($"clip norm must be a finite number > 0, got {clipNorm}");
        double norm = Norm(update);
        if (!double.IsFinite(norm))
            throw new ArgumentException($"update has a non-finite entry (its norm is {norm}); a diverged update cannot be clipped", nameof(update));

        var values = update.ToArray();
        if (norm <= clipNorm) return new ClippedUpdate(values, false, norm);

        // Rounding each entry to float can lengthen the vector by up to 2⁻²⁴ of its norm; shrinking the factor by
        // 2⁻²² keeps the clipped norm at or below S, which the privacy guarantee relies on.
        double factor = clipNorm / norm * (1 - Math.ScaleB(1, -22));
        for (int i = 0; i < values.Length; i++) values[i] = (float)(values[i] * factor);
        return new ClippedUpdate(values, true, norm);
    }
}
