namespace FedSim.Attacks.Inference;

/// <summary>
/// The modified-entropy attack (Song and Mittal 2021, "Systematic evaluation of privacy risks of machine
/// learning models", USENIX Security 2021):
/// Mentr(F(x), y) = −(1 − F_y) log F_y − Σ_{i≠y} F_i log(1 − F_i).
/// Unlike plain entropy it uses the label: a confident correct prediction has low Mentr, a confident wrong one
/// high Mentr. Members have lower Mentr, so score = −Mentr. Every log is taken in log space from the logits
/// (log F_i = z_i − LSE; log(1 − F_i) = log1p(−F_i), or the log-sum-exp of the other classes when F_i ≥ ½),
/// so no term needs the clamping to 1e-30 the authors' code uses.
/// </summary>
public static class ModifiedEntropyAttack
{
    public static double[] Scores(ModelOutputs outputs)
    {
        ArgumentNullException.ThrowIfNull(outputs);
        var scores = new double[outputs.Count];
        for (int i = 0; i < scores.Length; i++) scores[i] = -ModifiedEntropy(outputs.Logits(i), outputs.Label(i));
        return scores;
    }

    /// <summary>Mentr of one example's logits and true label.</summary>
    public static double ModifiedEntropy(ReadOnlySpan<float> logits, int label)
    {
        if (label < 0 || label >= logits.Length) throw new ArgumentOutOfRangeException(nameof(label));
        double lse = ModelOutputs.LogSumExpAbove(logits, skip: -1, reference: 0);
        double mentr = 0;
        for (int i = 0; i < logits.Length; i++)
        {
            double logP = logits[i] - lse;
            double p = Math.Exp(logP);
            if (i == label)
            {
                if (p < 1) mentr -= (1 - p) * logP; // p = 1 contributes 0·0
            }
            else if (p > 0)
            {
                mentr -= p * LogOneMinus(logits, i, p);
            }
        }
        return mentr;
    }

    /// <summary>log(1 − F_i), exact both for small F_i (log1p) and for F_i near 1 (log of the other classes' mass).</summary>
    private static double LogOneMinus(ReadOnlySpan<float> logits, int i, double p) =>
        p < 0.5
            ? ModelOutputs.LogOnePlus(-p)
            : ModelOutputs.LogSumExpAbove(logits, skip: i, reference: ModelOutputs.LogSumExpAbove(logits, skip: -1, reference: 0));
}
