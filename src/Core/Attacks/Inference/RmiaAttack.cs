namespace FedSim.Attacks.Inference;

/// <summary>
/// The Robust Membership Inference Attack, RMIA (Zarifzadeh, Liu, Mahloujifar and Shokri 2024, "Low-cost
/// high-power membership inference attacks", ICML). With Pr(x|θ) the target model's probability of x's true
/// label and Pr(x) its average over reference models (the marginal over models trained without knowing x's
/// membership):
/// <code>
/// LR_θ(x, z) = (Pr(x|θ) / Pr(x)) / (Pr(z|θ) / Pr(z))
/// Score(x)   = Pr_{z∼population}( LR_θ(x, z) ≥ γ )
/// </code>
/// the fraction of population samples z that x "dominates" by a factor γ (the paper's default γ = 1). Pr(x) is
/// the mean over all reference models online (<see cref="MarginalOnline"/>), and offline, where no reference
/// model trained on x, the paper's linear approximation Pr(x) = ½((1 + a)·Pr_OUT(x) + (1 − a))
/// (<see cref="MarginalOffline"/>), from Pr_IN ≈ a·Pr_OUT + (1 − a); a is tuned on a pair of reference models.
/// The population samples z must be disjoint from the audited examples; their Pr(z) comes from the same kind
/// of marginal. The score is a fraction of |z|, so it has |z| + 1 levels: give enough z for the FPR you read.
/// </summary>
public static class RmiaAttack
{
    // Probabilities arrive as floats: a marginal of 0 is an underflow below the smallest float, not certainty.
    private const double SmallestFloatProbability = 1.401298464324817e-45;

    /// <summary>Online marginal: the mean of Pr(x|θ') over all reference models, IN and OUT alike.</summary>
    public static double[] MarginalOnline(ReferenceSignals probabilities)
    {
        ArgumentNullException.ThrowIfNull(probabilities);
        var marginal = new double[probabilities.Count];
        for (int i = 0; i < marginal.Length; i++)
        {
            var all = probabilities.In[i].Concat(probabilities.Out[i]).ToArray();
            if (all.Length == 0) throw new ArgumentException($"RMIA: example {i} has no reference model signal");
            marginal[i] = Floor(CheckProbabilities(all, i).Average());
        }
        return marginal;
    }

    /// <summary>
    /// Offline marginal from OUT models only: ½((1 + a)·mean_OUT + (1 − a)). a = 1 trusts the OUT mean as is;
    /// smaller a raises Pr(x) toward what IN models would add.
    /// </summary>
    public static double[] MarginalOffline(IReadOnlyList<double[]> outProbabilities, double a)
    {
        ArgumentNullException.ThrowIfNull(outProbabilities);
        if (!(a >= 0 && a <= 1)) throw new ArgumentOutOfRangeException(nameof(a), a, "RMIA's offline parameter a lies in [0, 1]");
        var marginal = new double[outProbabilities.Count];
        for (int i = 0; i < marginal.Length; i++)
        {
            if (outProbabilities[i].Length == 0) throw new ArgumentException($"RMIA: example {i} has no OUT reference model signal");
            double meanOut = CheckProbabilities(outProbabilities[i], i).Average();
            marginal[i] = Floor(0.5 * ((1 + a) * meanOut + (1 - a)));
        }
        return marginal;
    }

    /// <summary>
    /// RMIA scores of the audited examples x against population samples z. Each argument is one value per
    /// example: the target model's true-label probability and the marginal of that example.
    /// </summary>
    public static double[] Scores(
        IReadOnlyList<double> targetProbabilityX, IReadOnlyList<double> marginalX,
        IReadOnlyList<double> targetProbabilityZ, IReadOnlyList<double> marginalZ, double gamma = 1.0)
    {
        if (!(gamma > 0) || double.IsInfinity(gamma)) throw new ArgumentOutOfRangeException(nameof(gamma), gamma, "RMIA's γ must be finite and > 0");
        var ratioX = Ratios(targetProbabilityX, marginalX, "audited example");
        var ratioZ = Ratios(targetProbabilityZ, marginalZ, "population sample");
        if (ratioZ.Length == 0) throw new ArgumentException("RMIA: no population samples z to compare with");
        Array.Sort(ratioZ);
        var scores = new double[ratioX.Length];
        for (int i = 0; i < scores.Length; i++)
        {
            // LR ≥ γ  ⇔  ratio_z ≤ ratio_x / γ (ratio_z ≥ 0, γ > 0): count by binary search, O((|x| + |z|) log |z|).
            double limit = ratioX[i] / gamma;
            scores[i] = (double)CountAtMost(ratioZ, limit) / ratioZ.Length;
        }
        return scores;
    }

    private static int CountAtMost(double[] sorted, double limit)
    {
        int lo = 0, hi = sorted.Length;
        while (lo < hi)
        {
            int mid = (lo + hi) >>> 1;
            if (sorted[mid] <= limit) lo = mid + 1; else hi = mid;
        }
        return lo;
    }

    private static double[] Ratios(IReadOnlyList<double> target, IReadOnlyList<double> marginal, string what)
    {
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(marginal);
        if (target.Count != marginal.Count)
            throw new ArgumentException($"RMIA: {target.Count} target probabilities but {marginal.Count} marginals for the {what}s");
        var ratios = new double[target.Count];
        for (int i = 0; i < ratios.Length; i++)
        {
            if (!(target[i] >= 0 && target[i] <= 1)) throw new ArgumentException($"RMIA: {what} {i} has target probability {target[i]}; expected [0, 1]");
            if (!(marginal[i] > 0 && marginal[i] <= 1)) throw new ArgumentException($"RMIA: {what} {i} has marginal {marginal[i]}; expected (0, 1]");
            ratios[i] = target[i] / marginal[i];
        }
        return ratios;
    }

    private static double[] CheckProbabilities(double[] values, int example)
    {
        foreach (double v in values)
            if (!(v >= 0 && v <= 1)) throw new ArgumentException($"RMIA: example {example} has reference probability {v}; expected [0, 1]");
        return values;
    }

    private static double Floor(double marginal) => Math.Max(marginal, SmallestFloatProbability);
}
