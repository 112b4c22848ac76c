using MathNet.Numerics;

namespace FedSim.Privacy.Accounting;

/// <summary>
/// How the series for a fractional Rényi order treats the negative coefficients of the generalized binomial
/// expansion. The two published implementations differ here, and so do their numbers.
/// </summary>
public enum FractionalOrderSeries
{
    /// <summary>
    /// Terms summed with their signs: the exact value of Mironov, Talwar and Zhang (2019, §3.3). What Opacus
    /// (<c>opacus/accountants/analysis/rdp.py</c>) and TF-Privacy's <c>rdp_accountant.py</c> compute. The default.
    /// </summary>
    Signed,

    /// <summary>
    /// Terms summed by magnitude: an upper bound on the exact value, never below it. What Google's dp_accounting
    /// (<c>rdp/rdp_privacy_accountant.py</c>) computes today, so its published numbers at fractional orders are
    /// reproduced with this choice.
    /// </summary>
    Magnitudes,
}

/// <summary>
/// Rényi differential privacy of the Poisson-subsampled Gaussian mechanism (Mironov, Talwar and Zhang 2019,
/// "Rényi Differential Privacy of the Sampled Gaussian Mechanism"): each record is included with probability q,
/// the included records' sum (sensitivity 1) gets N(0, z²) noise. At order α the mechanism is ε(α)-RDP with
/// ε(α) = log(A_α)/(α − 1), A_α = E_{x∼N(0,z²)}[((1 − q) + q·e^{(2x−1)/(2z²)})^α]. Composition over steps adds
/// RDP order by order.
/// </summary>
public static class SampledGaussianRdp
{
    /// <summary>
    /// The fractional-order series stops once what it leaves out is at most this fraction of log A_α, so the RDP (and
    /// every ε composed from it) is within this relative error of the series' value.
    /// </summary>
    public const double RelativeTolerance = 1e-12;

    /// <summary>
    /// A hard stop for the fractional-order series, far beyond what the orders ε is read from need (3,900 terms at
    /// q = 0.5, z = 0.5, order 1.1, where 1,000 steps spend ε ≈ 900); there the partial sum plus the remainder bound is
    /// returned, still an upper bound on A_α, never dropped.
    /// </summary>
    public const int MaxFractionalSeriesTerms = 1_000_000;

    /// <summary>Below this relative remainder a double cannot change: the stop for log A_α ≈ 0 (tiny q).</summary>
    private const double MinimumRelativeRemainder = 1e-17;

    /// <summary>
    /// RDP of one step at <paramref name="order"/> (≥ 1). q = 0 gives 0 (nothing released about anyone), q = 1 the
    /// plain Gaussian mechanism's α/(2z²); z = 0 gives +∞ (no privacy).
    /// </summary>
    public static double ForStep(double samplingRate, double noiseMultiplier, double order,
                                 FractionalOrderSeries series = FractionalOrderSeries.Signed)
    {
        RequireSamplingRate(samplingRate);
        RequireNoiseMultiplier(noiseMultiplier);
        RequireOrder(order);
        if (samplingRate == 0) return 0;
        if (noiseMultiplier == 0 || double.IsPositiveInfinity(order)) return double.PositiveInfinity;
        if (samplingRate == 1) return order / (2 * noiseMultiplier * noiseMultiplier);
        // Order 1 (the KL divergence) is the α → 1 limit of log A_α/(α − 1), which the series cannot evaluate;
        // +∞ is the safe answer: the order then simply never gives the best bound.
        if (order == 1) return double.PositiveInfinity;
        double logA = order == Math.Floor(order) && order <= int.MaxValue
            ? LogMomentIntegerOrder(samplingRate, noiseMultiplier, (int)order)
            : LogMomentFractionalOrder(samplingRate, noiseMultiplier, order, series);
        return logA / (order - 1);
    }

    /// <summary>RDP of <paramref name="steps"/> identical steps at each order (composition: per-step RDP × steps).</summary>
    public static double[] ForSteps(double samplingRate, double noiseMultiplier, long steps, IReadOnlyList<double> orders,
                                    FractionalOrderSeries series = FractionalOrderSeries.Signed)
    {
        if (steps < 0) throw new PrivacyParameterException($"steps must be >= 0, got {steps}");
        var rdp = new double[orders.Count];
        for (int k = 0; k < rdp.Length; k++)
            rdp[k] = steps == 0 ? 0 : ForStep(samplingRate, noiseMultiplier, orders[k], series) * steps;
        return rdp;
    }

    /// <summary>
    /// log A_α for integer α by the binomial expansion (Mironov et al. 2019, §3.3):
    /// A_α = Σᵢ C(α,i)·(1−q)^(α−i)·qⁱ·exp((i²−i)/(2z²)); every term is positive.
    /// </summary>
    internal static double LogMomentIntegerOrder(double q, double sigma, int alpha)
    {
        double logQ = Math.Log(q), log1MinusQ = SpecialFunctions.Log1p(-q);
        double twoSigmaSquared = 2 * sigma * sigma;
        double logA = double.NegativeInfinity;
        for (int i = 0; i <= alpha; i++)
        {
            double logTerm = SpecialFunctions.BinomialLn(alpha, i) + i * logQ + (alpha - i) * log1MinusQ
                             + ((double)i * i - i) / twoSigmaSquared;
            logA = LogSpace.Add(logA, logTerm);
        }
        return logA;
    }

    /// <summary>
    /// log A_α for fractional α (Mironov et al. 2019, §3.3): the integral is split at z₀ = z²·log(1/q − 1) + ½,
    /// where the two Gaussians' density ratio crosses (1 − q)/q, so that each half has a convergent generalized
    /// binomial series; each term carries the Gaussian mass of its half as ½·erfc, kept in log space because it
    /// underflows long before the term itself is negligible.
    /// <para>
    /// Where to stop. Writing erfc(x) = e^(−x²)·erfcx(x), term i of either half is exactly
    /// C(α, i)·(1 − q)^α·e^(−z₀²/(2z²))·½·erfcx(xᵢ) with xᵢ rising linearly in i, and erfcx falls everywhere. So once
    /// i &gt; α the terms alternate in sign (C(α, i) does) and shrink in magnitude, but only polynomially, like
    /// i^(−α−2): at large ε and q (small z) a fixed number of terms or a threshold on a term alone leaves the tail
    /// unresolved. The loop instead bounds what it leaves out: with signs, the remainder of an alternating series
    /// with shrinking terms is below the last term, and stopping just after a positive one makes the partial sum an
    /// upper bound on A_α; by magnitude, the remainder is at most the last term times Σ_(k&gt;i)|C(α, k)| / |C(α, i)|
    /// = (i − α)/α (from Σ_(k≤i) (−1)^k·C(α, k) = (−1)^i·C(α − 1, i)), and that bound is added. It stops when the
    /// remainder is below <see cref="RelativeTolerance"/> of log A_α.
    /// </para>
    /// </summary>
    internal static double LogMomentFractionalOrder(double q, double sigma, double alpha, FractionalOrderSeries series)
    {
        double logQ = Math.Log(q), log1MinusQ = SpecialFunctions.Log1p(-q);
        double twoSigmaSquared = 2 * sigma * sigma;
        double z0 = sigma * sigma * Math.Log(1 / q - 1) + 0.5;
        double erfcScale = Math.Sqrt(2) * sigma;
        double logHalf = Math.Log(0.5);

        var below = SignedLogSum.Zero; // ∫ over (−∞, z₀]
        var above = SignedLogSum.Zero; // ∫ over [z₀, ∞)
        double logAbsCoefficient = 0;  // log|C(α, 0)|
        bool coefficientNegative = false;
        for (int i = 0; ; i++)
        {
            if (i > 0)
            {
                // C(α, i) = C(α, i−1)·(α − i + 1)/i, kept as sign and log-magnitude: MathNet's GammaLn is NaN
                // at the negative non-integers that log C(α, i) = lnΓ(α+1) − lnΓ(i+1) − lnΓ(α−i+1) would need.
                double factor = alpha - i + 1;
                logAbsCoefficient += Math.Log(Math.Abs(factor)) - Math.Log(i);
                if (factor < 0) coefficientNegative = !coefficientNegative;
            }
            double j = alpha - i;
            double logBelow = logAbsCoefficient + i * logQ + j * log1MinusQ + ((double)i * i - i) / twoSigmaSquared
                              + logHalf + LogSpace.LogErfc((i - z0) / erfcScale);
            double logAbove = logAbsCoefficient + j * logQ + i * log1MinusQ + (j * j - j) / twoSigmaSquared
                              + logHalf + LogSpace.LogErfc((z0 - j) / erfcScale);
            bool negative = series == FractionalOrderSeries.Signed && coefficientNegative;
            below.Add(negative, logBelow);
            above.Add(negative, logAbove);

            // The remainder bounds hold once the coefficients alternate; with signs, stop only after a positive term.
            if (i <= alpha || negative) continue;
            double total = LogSpace.Add(below.LogMagnitude, above.LogMagnitude);
            double logTerm = LogSpace.Add(logBelow, logAbove);
            double logRemainder = series == FractionalOrderSeries.Signed ? logTerm : logTerm + Math.Log((i - alpha) / alpha);
            double allowed = Math.Max(RelativeTolerance * total, MinimumRelativeRemainder);
            if (logRemainder > total + Math.Log(allowed) && i < MaxFractionalSeriesTerms) continue;
            if (below.IsNegative || above.IsNegative)
                throw new InvalidOperationException(
                    $"the RDP series for order {alpha} (q = {q}, z = {sigma}) summed to a negative half; this is a numerical failure, please report it");
            return series == FractionalOrderSeries.Signed ? total : LogSpace.Add(total, logRemainder);
        }
    }

    internal static void RequireSamplingRate(double q)
    {
        if (!(q >= 0 && q <= 1))
            throw new PrivacyParameterException($"sampling rate must be in [0, 1], got {q}");
    }

    internal static void RequireNoiseMultiplier(double z)
    {
        if (!(z >= 0) || double.IsPositiveInfinity(z))
            throw new PrivacyParameterException($"noise multiplier must be a finite number >= 0, got {z}");
    }

    internal static void RequireOrder(double order)
    {
        if (!(order >= 1))
            throw new PrivacyParameterException($"Rényi order must be >= 1, got {order}");
    }
}
