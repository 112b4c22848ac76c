namespace FedSim.Attacks.Inference;

/// <summary>
/// The exact empirical ROC curve of an audit, built as scikit-learn's <c>roc_curve</c> builds it: one
/// point per distinct score (examples with equal scores move together, so a tie is one diagonal step),
/// in decreasing threshold order, preceded by the point (0, 0) at threshold +∞. Point k says what the
/// rule "member if score ≥ Thresholds[k]" achieves. All points are kept (sklearn's
/// <c>drop_intermediate=False</c>); <see cref="WithoutCollinearPoints"/> gives the thinned curve for plots.
/// </summary>
public sealed class RocCurve
{
    private RocCurve(double[] thresholds, int[] truePositives, int[] falsePositives, int members, int nonMembers)
    {
        Thresholds = thresholds;
        TruePositives = truePositives;
        FalsePositives = falsePositives;
        Members = members;
        NonMembers = nonMembers;
        Tpr = truePositives.Select(tp => (double)tp / members).ToArray();
        Fpr = falsePositives.Select(fp => (double)fp / nonMembers).ToArray();
    }

    /// <summary>Decreasing; the first is +∞ (nothing flagged).</summary>
    public double[] Thresholds { get; }
    /// <summary>Members with score ≥ the threshold at each point.</summary>
    public int[] TruePositives { get; }
    /// <summary>Non-members with score ≥ the threshold at each point.</summary>
    public int[] FalsePositives { get; }
    public double[] Tpr { get; }
    public double[] Fpr { get; }
    public int Members { get; }
    public int NonMembers { get; }
    public int Count => Thresholds.Length;

    /// <summary>The full curve of an audit.</summary>
    public static RocCurve From(AuditScores audit)
    {
        ArgumentNullException.ThrowIfNull(audit);
        int n = audit.Count;
        var order = new int[n];
        for (int i = 0; i < n; i++) order[i] = i;
        var keys = (double[])audit.Scores.Clone();
        // Descending by score; the order within a tie does not matter because ties are emitted as one point.
        Array.Sort(keys, order, Comparer<double>.Create((a, b) => b.CompareTo(a)));

        var thresholds = new List<double>(n + 1) { double.PositiveInfinity };
        var tps = new List<int>(n + 1) { 0 };
        var fps = new List<int>(n + 1) { 0 };
        int tp = 0, fp = 0;
        for (int k = 0; k < n; k++)
        {
            if (audit.IsMember[order[k]]) tp++; else fp++;
            if (k + 1 < n && keys[k + 1] == keys[k]) continue; // still inside a tie
            thresholds.Add(keys[k]);
            tps.Add(tp);
            fps.Add(fp);
        }
        return new RocCurve(thresholds.ToArray(), tps.ToArray(), fps.ToArray(), audit.Members, audit.NonMembers);
    }

    /// <summary>
    /// Area under the curve by the trapezoidal rule, computed from the integer counts, so it equals the
    /// Mann–Whitney U statistic over (members × non-members) with ties counted half: the probability that
    /// a random member scores above a random non-member, plus half the probability of a tie.
    /// </summary>
    public double Auc()
    {
        // Twice the area in units of one (member, non-member) pair: Σ ΔFP·(TP_k + TP_{k−1}). Exact in long.
        long twiceArea = 0;
        for (int k = 1; k < Count; k++)
            twiceArea += (long)(FalsePositives[k] - FalsePositives[k - 1]) * (TruePositives[k] + TruePositives[k - 1]);
        return twiceArea / (2.0 * Members * NonMembers);
    }

    /// <summary>How <see cref="TprAtFpr"/> reads the curve, in words (attack.json names it beside the figures).</summary>
    public const string TprAtFprConvention =
        "the largest TPR among the measured ROC points with FPR strictly below the limit (FPR = 0 for a limit of 0), no interpolation (Carlini et al. 2022)";

    /// <summary>
    /// TPR at a fixed FPR: the largest TPR among the measured points with FPR &lt; <paramref name="maxFpr"/>, strictly,
    /// no interpolation, as Carlini et al. 2022's code reads its low-FPR tables (tpr[fpr &lt; 0.001]). A tie block
    /// that reaches the limit does not count. With exactly 1,000 non-members the 0.1 % figure is therefore the TPR at
    /// no false positive; with fewer than 1/maxFpr non-members too, so read it together with <see cref="NonMembers"/>.
    /// A limit of 0 asks for the TPR at no false positive (FPR = 0: nothing lies below it), and a limit of 1 admits
    /// every point but the last.
    /// </summary>
    public double TprAtFpr(double maxFpr)
    {
        if (!(maxFpr >= 0 && maxFpr <= 1))
            throw new ArgumentOutOfRangeException(nameof(maxFpr), maxFpr, "the FPR limit must lie in [0, 1]");
        // TPR never decreases along the curve, so the last point below the limit has the largest TPR.
        // Fpr[k] = fp/n and a limit written as a decimal such as 0.001 are both the correctly rounded value
        // of the same real number when the limit is exactly k/n, so the plain comparison is exact.
        double best = 0;
        for (int k = 0; k < Count && (Fpr[k] < maxFpr || Fpr[k] == 0); k++) best = Tpr[k];
        return best;
    }

    /// <summary>Membership advantage (Yeom et al. 2018): max over thresholds of TPR − FPR; 0 at chance.</summary>
    public double Advantage()
    {
        double best = 0; // the point (0, 0) is always on the curve
        for (int k = 0; k < Count; k++) best = Math.Max(best, Tpr[k] - Fpr[k]);
        return best;
    }

    /// <summary>
    /// Balanced accuracy at the best threshold: max over thresholds of (TPR + TNR) / 2, which is
    /// (1 + <see cref="Advantage"/>) / 2. With a balanced audit set it is the attack's accuracy.
    /// </summary>
    public double BestBalancedAccuracy()
    {
        double best = 0;
        for (int k = 0; k < Count; k++) best = Math.Max(best, (Tpr[k] + 1 - Fpr[k]) / 2);
        return best;
    }

    /// <summary>
    /// The same curve without the points that lie on a straight line between their neighbours (sklearn's
    /// <c>drop_intermediate=True</c>): the same area and the same picture, fewer points to plot. Keep the full
    /// curve for TPR at fixed FPR and the DP bound check, which read the individual points.
    /// </summary>
    public RocCurve WithoutCollinearPoints()
    {
        if (Count <= 3) return this;
        // Like sklearn, thin only the threshold points (the +∞ point and the first threshold always stay).
        var keep = new List<int> { 0, 1 };
        for (int k = 2; k < Count - 1; k++)
        {
            // A corner where either count's second difference is non-zero, as sklearn tests it.
            bool corner = FalsePositives[k + 1] - 2 * FalsePositives[k] + FalsePositives[k - 1] != 0
                       || TruePositives[k + 1] - 2 * TruePositives[k] + TruePositives[k - 1] != 0;
            if (corner) keep.Add(k);
        }
        keep.Add(Count - 1);
        return new RocCurve(keep.Select(k => Thresholds[k]).ToArray(), keep.Select(k => TruePositives[k]).ToArray(),
                            keep.Select(k => FalsePositives[k]).ToArray(), Members, NonMembers);
    }
}
