namespace FedSim.Attacks.Inference;

/// <summary>How LiRA estimates the spread of an example's signal over reference models.</summary>
public enum LiraVariance
{
    /// <summary>One variance per example and side (IN/OUT), as in the paper's main attack; needs ≥ 2 models per side.</summary>
    PerExample,

    /// <summary>
    /// One variance per side shared by all examples (the "fixed variance" variant Carlini et al. 2022 recommend
    /// when only a few reference models are trained). Pooled within-example variance
    /// Σᵢ Σₖ (φᵢₖ − μᵢ)² / Σᵢ (nᵢ − 1): the spread around each example's own mean. (The authors' plot.py takes numpy's std over all values, which also
    /// counts the spread of the means across examples; that is the difficulty the per-example means already
    /// remove, so it is left out here.)
    /// </summary>
    Global,
}

/// <summary>
/// The Likelihood Ratio Attack, LiRA (Carlini, Chien, Nasr, Song, Terzis and Tramèr 2022, "Membership inference
/// attacks from first principles", Algorithm 1). Per audited example, the target model's logit-scaled
/// confidence φ = log(p_y / (1 − p_y)) (<see cref="ModelOutputs.LogitScaledConfidence"/>) is compared with
/// Gaussians fitted to φ on reference models that trained on the example (IN) and that did not (OUT):
/// <list type="bullet">
/// <item>online: score = log N(φ; μ_in, σ_in²) − log N(φ; μ_out, σ_out²), the log likelihood ratio;</item>
/// <item>offline (no IN models): the one-sided test Λ = Pr[Z &lt; φ], Z ~ N(μ_out, σ_out²); the score is
/// (φ − μ_out)/σ_out, a strictly increasing function of Λ with the same ROC, that does not saturate at Λ = 1
/// where the low-FPR region lives.</item>
/// </list>
/// Means are sample means and variances unbiased sample variances (n − 1), floored at 1e-30 like the reference
/// code's std + 1e-30, so identical reference signals do not divide by zero. One query per example: average the
/// scores of several augmentations outside, as the authors' code does.
/// </summary>
public static class LiraAttack
{
    private const double MinimumStd = 1e-30;

    public static double[] Online(IReadOnlyList<double> targetSignals, ReferenceSignals references, LiraVariance variance = LiraVariance.PerExample)
    {
        Check(targetSignals, references);
        var fitIn = Fit(references.In, variance, "IN");
        var fitOut = Fit(references.Out, variance, "OUT");
        var scores = new double[targetSignals.Count];
        for (int i = 0; i < scores.Length; i++)
        {
            double phi = targetSignals[i];
            scores[i] = LogNormalDensity(phi, fitIn.Mean[i], fitIn.Std[i]) - LogNormalDensity(phi, fitOut.Mean[i], fitOut.Std[i]);
        }
        return scores;
    }

    public static double[] Offline(IReadOnlyList<double> targetSignals, ReferenceSignals references, LiraVariance variance = LiraVariance.PerExample)
    {
        Check(targetSignals, references);
        var fitOut = Fit(references.Out, variance, "OUT");
        var scores = new double[targetSignals.Count];
        for (int i = 0; i < scores.Length; i++) scores[i] = (targetSignals[i] - fitOut.Mean[i]) / fitOut.Std[i];
        return scores;
    }

    private static double LogNormalDensity(double x, double mean, double std)
    {
        double z = (x - mean) / std;
        return -0.5 * z * z - Math.Log(std) - 0.5 * Math.Log(2 * Math.PI);
    }

    private sealed record GaussianFits(double[] Mean, double[] Std);

    private static GaussianFits Fit(IReadOnlyList<double[]> signals, LiraVariance variance, string side)
    {
        int n = signals.Count;
        var mean = new double[n];
        var std = new double[n];
        double pooledSquares = 0;
        long pooledDegrees = 0;
        for (int i = 0; i < n; i++)
        {
            var s = signals[i];
            if (s.Length == 0)
                throw new ArgumentException($"LiRA: example {i} has no {side} reference model; train more reference models (each example needs at least one per side)");
            mean[i] = s.Average();
            double squares = 0;
            foreach (double v in s) squares += (v - mean[i]) * (v - mean[i]);
            if (variance == LiraVariance.PerExample)
            {
                if (s.Length < 2)
                    throw new ArgumentException(
                        $"LiRA: example {i} has {s.Length} {side} reference model; a per-example variance needs at least 2 (or use the global variance with few reference models)");
                std[i] = Math.Max(Math.Sqrt(squares / (s.Length - 1)), MinimumStd);
            }
            pooledSquares += squares;
            pooledDegrees += s.Length - 1;
        }
        if (variance == LiraVariance.Global)
        {
            if (pooledDegrees == 0)
                throw new ArgumentException(
                    $"LiRA: no example has two {side} reference models, so there is no spread to pool; train at least one more reference model per side");
            Array.Fill(std, Math.Max(Math.Sqrt(pooledSquares / pooledDegrees), MinimumStd));
        }
        return new GaussianFits(mean, std);
    }

    private static void Check(IReadOnlyList<double> targetSignals, ReferenceSignals references)
    {
        ArgumentNullException.ThrowIfNull(targetSignals);
        ArgumentNullException.ThrowIfNull(references);
        if (targetSignals.Count != references.Count)
            throw new ArgumentException($"LiRA: {targetSignals.Count} target signals but reference signals for {references.Count} examples");
        for (int i = 0; i < targetSignals.Count; i++)
            if (!double.IsFinite(targetSignals[i]))
                throw new ArgumentException($"LiRA: the target signal of example {i} is {targetSignals[i]}; compute it with ModelOutputs.LogitScaledConfidence, which stays finite");
    }
}
