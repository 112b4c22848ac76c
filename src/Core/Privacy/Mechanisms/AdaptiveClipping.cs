using FedSim.Privacy.Accounting;

namespace FedSim.Privacy.Mechanisms;

/// <summary>What one round of adaptive clipping decided: the noised unclipped fraction and the next clip norm.</summary>
public readonly record struct ClipNormUpdate(double NoisedUnclippedFraction, double PreviousClipNorm, double NextClipNorm);

/// <summary>
/// Adaptive quantile clipping (Andrew, Thakkar, McMahan and Ramaswamy 2021, "Differentially Private Learning with
/// Adaptive Clipping", Algorithm 1): the clip norm C tracks the γ-quantile of the devices' update norms. Each round
/// every participant reports the bit bᵢ = 1[‖Δᵢ‖ ≤ C]; the server forms the noised fraction
/// b̃ = ½ + (Σᵢ(bᵢ − ½) + N(0, σ_b²))/m over the expected cohort size m (bits are centred, so one device moves the
/// sum by at most ½, as in the paper and TensorFlow Federated) and moves C geometrically: C ← C·exp(−η_C(b̃ − γ)).
/// The bit sum is a second Gaussian query on the same devices; <see cref="UpdateNoiseMultiplier"/> splits a total
/// noise multiplier between the two so that the pair costs what one mechanism with that multiplier costs.
/// </summary>
public sealed class AdaptiveClipping
{
    public AdaptiveClipping(double initialClipNorm, double targetUnclippedQuantile, double learningRate, double countNoiseStdDev)
    {
        if (!(initialClipNorm > 0) || !double.IsFinite(initialClipNorm))
            throw new PrivacyParameterException($"initial clip norm must be a finite number > 0, got {initialClipNorm}");
        if (!(targetUnclippedQuantile >= 0 && targetUnclippedQuantile <= 1))
            throw new PrivacyParameterException($"target unclipped quantile must be in [0, 1], got {targetUnclippedQuantile}");
        if (!(learningRate > 0) || !double.IsFinite(learningRate))
            throw new PrivacyParameterException($"clip learning rate must be a finite number > 0, got {learningRate}");
        if (!(countNoiseStdDev >= 0) || !double.IsFinite(countNoiseStdDev))
            throw new PrivacyParameterException($"clip count noise standard deviation must be a finite number >= 0, got {countNoiseStdDev}");
        ClipNorm = initialClipNorm;
        TargetUnclippedQuantile = targetUnclippedQuantile;
        LearningRate = learningRate;
        CountNoiseStdDev = countNoiseStdDev;
    }

    /// <summary>C: the clip norm to use this round.</summary>
    public double ClipNorm { get; private set; }

    /// <summary>γ: the fraction of updates that should fit under the clip norm.</summary>
    public double TargetUnclippedQuantile { get; }

    /// <summary>η_C: at most a factor exp(η_C) change per round.</summary>
    public double LearningRate { get; }

    /// <summary>σ_b: the standard deviation of the noise on the count of unclipped updates.</summary>
    public double CountNoiseStdDev { get; }

    /// <summary>bᵢ: whether an update of this norm fits under the current clip norm.</summary>
    public bool IsUnclipped(double updateNorm) => updateNorm <= ClipNorm;

    /// <summary>
    /// Ends a round: <paramref name="unclippedCount"/> of <paramref name="participants"/> updates fitted under the clip
    /// norm; <paramref name="expectedParticipants"/> is m (q·N under Poisson sampling, the cohort size otherwise).
    /// </summary>
    public ClipNormUpdate Update(int unclippedCount, int participants, double expectedParticipants, GaussianSource random)
    {
        if (participants < 0 || unclippedCount < 0 || unclippedCount > participants)
            throw new ArgumentException($"unclipped count {unclippedCount} must be between 0 and the {participants} participants");
        if (!(expectedParticipants > 0) || !double.IsFinite(expectedParticipants))
            throw new PrivacyParameterException($"expected participants must be a finite number > 0, got {expectedParticipants}");
        double centredSum = unclippedCount - 0.5 * participants;
        double noise = CountNoiseStdDev == 0 ? 0 : CountNoiseStdDev * random.Next();
        double noisedFraction = 0.5 + (centredSum + noise) / expectedParticipants;
        double previous = ClipNorm;
        ClipNorm = previous * Math.Exp(-LearningRate * (noisedFraction - TargetUnclippedQuantile));
        return new ClipNormUpdate(noisedFraction, previous, ClipNorm);
    }

    /// <summary>
    /// z_Δ = (z⁻² − (2σ_b)⁻²)^(−½): the noise multiplier for the update sum so that it and the clip-count query
    /// (noise multiplier 2σ_b, the centred bits having sensitivity ½) together compose to one Gaussian mechanism
    /// with multiplier z (Andrew et al. 2021, §3). Needs z &lt; 2σ_b; σ_b = m/20 is the paper's suggestion.
    /// </summary>
    public static double UpdateNoiseMultiplier(double totalNoiseMultiplier, double countNoiseStdDev)
    {
        if (!(totalNoiseMultiplier >= 0) || !double.IsFinite(totalNoiseMultiplier))
            throw new PrivacyParameterException($"noise multiplier must be a finite number >= 0, got {totalNoiseMultiplier}");
        if (totalNoiseMultiplier == 0) return 0;
        if (!(totalNoiseMultiplier < 2 * countNoiseStdDev))
            throw new PrivacyParameterException(
                $"clip count noise standard deviation {countNoiseStdDev} is too small for noise multiplier {totalNoiseMultiplier}: " +
                $"adaptive clipping needs noise multiplier < 2 x count noise standard deviation; raise the count noise (e.g. to expected participants / 20) or lower the noise multiplier");
        return Math.Pow(Math.Pow(totalNoiseMultiplier, -2) - Math.Pow(2 * countNoiseStdDev, -2), -0.5);
    }
}
