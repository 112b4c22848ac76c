namespace FedSim.Attacks.Inference;

/// <summary>Which of the two hypothesis-testing inequalities of (ε, δ)-DP a point breaks.</summary>
public enum DpInequality
{
    /// <summary>TPR ≤ e^ε·FPR + δ.</summary>
    TruePositives,
    /// <summary>TNR ≤ e^ε·FNR + δ, i.e. 1 − FPR ≤ e^ε·(1 − TPR) + δ.</summary>
    TrueNegatives,
}

/// <summary>
/// One ROC point at which the measured rates contradict (ε, δ)-DP. <see cref="Excess"/> is how far the left
/// side exceeds the right (in rate units), computed on the rates named by the list that holds the point.
/// </summary>
[GenerateSerializer, Immutable]
public sealed record DpBoundViolation(
    [property: Id(0)] int Point,
    [property: Id(1)] double Threshold,
    [property: Id(2)] double Fpr,
    [property: Id(3)] double Tpr,
    [property: Id(4)] DpInequality Inequality,
    [property: Id(5)] double Excess);

/// <summary>
/// The DP bound checked at every measured ROC point of an audit, and the ε the audit proves at least.
/// <see cref="Violations"/> are the statistically supported ones (Clopper–Pearson bounds at
/// <see cref="Confidence"/> still break the inequality), the figure to act on: any sufficiently strong
/// attack on a small audit breaks it at the raw rates alone, e.g. one member above every non-member gives
/// FPR = 0 and TPR = 1/n > δ. <see cref="PointEstimateExceedances"/> lists those raw-rate breaches for context.
/// </summary>
[GenerateSerializer, Immutable]
public sealed record DpBoundReport(
    [property: Id(0)] double Epsilon,
    [property: Id(1)] double Delta,
    [property: Id(2)] double Confidence,
    [property: Id(3)] int PointsChecked,
    [property: Id(4)] IReadOnlyList<DpBoundViolation> Violations,
    [property: Id(5)] IReadOnlyList<DpBoundViolation> PointEstimateExceedances,
    [property: Id(6)] double EmpiricalEpsilonLowerBound)
{
    /// <summary>True when no point contradicts the claimed (ε, δ) at the stated confidence.</summary>
    public bool Holds => Violations.Count == 0;
}

/// <summary>
/// Checks a membership audit against a differential-privacy claim. An (ε, δ)-DP training algorithm limits
/// every membership test, at every threshold, to TPR ≤ e^ε·FPR + δ and TNR ≤ e^ε·FNR + δ (Kairouz, Oh and
/// Viswanath 2015). Each ROC point is such a test, measured on finite counts, so both rates get
/// one-sided Clopper–Pearson bounds at α/2 each (Bonferroni: both hold together with probability ≥ 1 − α):
/// a point violates the claim only when TPR_lb > e^ε·FPR_ub + δ (or TNR_lb > e^ε·FNR_ub + δ).
/// The same bounds give the empirical lower bound of Jagielski, Ullman and Oprea (2020, "Auditing
/// differentially private machine learning: how private is private SGD?") and Nasr et al. (2021):
/// ε_lb = max over thresholds of max(ln((TPR_lb − δ)/FPR_ub), ln((TNR_lb − δ)/FNR_ub)), floored at 0.
/// Taking the maximum over the curve's m points is a search, so each point's bounds are taken at α/(2m)
/// (Bonferroni over the 2m one-sided bounds): then every bound holds at once with probability ≥ 1 − α, and the
/// maximum is a valid lower bound at the stated confidence, and "holds" a test of the claim at that level. (Those
/// papers bound each threshold at α and take the maximum, which overstates the confidence when the curve has
/// many points near the bound.) The audit treats audited examples as independent trials, which holds when
/// membership is randomized per example (Steinke, Nasr and Jagielski 2023 make that one-run argument rigorous).
/// </summary>
public static class DpBoundAudit
{
    public static DpBoundReport Check(RocCurve roc, double epsilon, double delta, double confidence = 0.95)
    {
        ArgumentNullException.ThrowIfNull(roc);
        if (!(epsilon >= 0) || double.IsPositiveInfinity(epsilon))
            throw new ArgumentOutOfRangeException(nameof(epsilon), epsilon, "ε must be finite and ≥ 0");
        CheckDelta(delta);
        var bounds = new RateBounds(roc, confidence);
        double growth = Math.Exp(epsilon);
        var violations = new List<DpBoundViolation>();
        var raw = new List<DpBoundViolation>();
        for (int k = 0; k < roc.Count; k++)
        {
            double tpr = roc.Tpr[k], fpr = roc.Fpr[k];
            double rawPositives = tpr - (growth * fpr + delta);
            double rawNegatives = (1 - fpr) - (growth * (1 - tpr) + delta);
            Add(raw, k, DpInequality.TruePositives, rawPositives);
            Add(raw, k, DpInequality.TrueNegatives, rawNegatives);
            // TPR_lb ≤ TPR and FPR_ub ≥ FPR, so a point within the bound at its raw rates is within it at the
            // confidence bounds too: only raw breaches need the (costly) Beta quantiles.
            if (rawPositives > 0 || rawNegatives > 0)
            {
                double tprLow = bounds.TprLower(k), fprHigh = bounds.FprUpper(k);
                Add(violations, k, DpInequality.TruePositives, tprLow - (growth * fprHigh + delta));
                Add(violations, k, DpInequality.TrueNegatives, (1 - fprHigh) - (growth * (1 - tprLow) + delta));
            }
        }
        return new DpBoundReport(epsilon, delta, confidence, roc.Count, violations, raw, EmpiricalEpsilonLowerBound(roc, delta, bounds));

        void Add(List<DpBoundViolation> list, int k, DpInequality which, double excess)
        {
            // A tiny tolerance keeps rounding in e^ε·FPR from reporting a point that sits exactly on the bound.
            if (excess > 1e-12) list.Add(new DpBoundViolation(k, roc.Thresholds[k], roc.Fpr[k], roc.Tpr[k], which, excess));
        }
    }

    /// <summary>The ε this audit proves with probability at least <paramref name="confidence"/> (over the whole curve); 0 when it proves nothing.</summary>
    public static double EmpiricalEpsilon(RocCurve roc, double delta, double confidence = 0.95)
    {
        ArgumentNullException.ThrowIfNull(roc);
        CheckDelta(delta);
        return EmpiricalEpsilonLowerBound(roc, delta, new RateBounds(roc, confidence));
    }

    private static double EmpiricalEpsilonLowerBound(RocCurve roc, double delta, RateBounds bounds)
    {
        // Each point's value at the raw rates, ln((TPR − δ)/FPR), is an upper bound of its value at the confidence
        // bounds. Visit points from the highest raw value down and stop once no raw value can beat the best exact one:
        // a 100 000-point curve then needs a handful of Beta quantiles instead of 200 000.
        var candidates = new List<(double Optimistic, int Point, bool Negatives)>();
        for (int k = 0; k < roc.Count; k++)
        {
            double tpr = roc.Tpr[k], fpr = roc.Fpr[k];
            if (tpr - delta > 0) candidates.Add((Math.Log((tpr - delta) / fpr), k, false)); // +∞ at FPR = 0
            if (1 - fpr - delta > 0) candidates.Add((Math.Log((1 - fpr - delta) / (1 - tpr)), k, true));
        }
        candidates.Sort((a, b) => b.Optimistic.CompareTo(a.Optimistic));
        double best = 0;
        foreach (var (optimistic, k, negatives) in candidates)
        {
            if (optimistic <= best) break;
            double tprLow = bounds.TprLower(k), fprHigh = bounds.FprUpper(k);
            // FPR_ub > 0 and TPR_lb < 1 always (Clopper–Pearson never pins them there), so both ratios are finite.
            double exact = negatives
                ? (1 - fprHigh - delta > 0 ? Math.Log((1 - fprHigh - delta) / (1 - tprLow)) : 0)
                : (tprLow - delta > 0 ? Math.Log((tprLow - delta) / fprHigh) : 0);
            best = Math.Max(best, exact);
        }
        return best;
    }

    /// <summary>
    /// One-sided Clopper–Pearson bounds at α/(2m) each for a curve of m points (Bonferroni over all of them, so that
    /// the maximum over the curve keeps the confidence), computed on demand and cached by count: TPR_lb from the
    /// true-positive count, FPR_ub from the false-positive count.
    /// </summary>
    private sealed class RateBounds
    {
        private readonly RocCurve _roc;
        private readonly double _alpha;
        private readonly Dictionary<int, double> _tprLower = [];
        private readonly Dictionary<int, double> _fprUpper = [];

        public RateBounds(RocCurve roc, double confidence)
        {
            if (!(confidence > 0 && confidence < 1))
                throw new ArgumentOutOfRangeException(nameof(confidence), confidence, "confidence must lie strictly between 0 and 1");
            _roc = roc;
            _alpha = (1 - confidence) / (2.0 * roc.Count);
        }

        public double TprLower(int point)
        {
            int tp = _roc.TruePositives[point];
            if (!_tprLower.TryGetValue(tp, out double value))
                _tprLower[tp] = value = ClopperPearson.Lower(tp, _roc.Members, _alpha);
            return value;
        }

        public double FprUpper(int point)
        {
            int fp = _roc.FalsePositives[point];
            if (!_fprUpper.TryGetValue(fp, out double value))
                _fprUpper[fp] = value = ClopperPearson.Upper(fp, _roc.NonMembers, _alpha);
            return value;
        }
    }

    private static void CheckDelta(double delta)
    {
        if (!(delta >= 0 && delta < 1)) throw new ArgumentOutOfRangeException(nameof(delta), delta, "δ must lie in [0, 1)");
    }
}
