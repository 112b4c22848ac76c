using MathNet.Numerics.Distributions;

namespace FedSim.Attacks.Inference;

/// <summary>
/// Clopper–Pearson ("exact") confidence bounds for a binomial proportion k/n (Clopper and Pearson 1934):
/// the lower bound is the α quantile of Beta(k, n − k + 1), the upper bound the 1 − α quantile of
/// Beta(k + 1, n − k), with the bound pinned to 0 (k = 0) or 1 (k = n). Conservative: coverage is at least
/// the nominal level for every true proportion, which is what an audit that claims "DP is violated" needs.
/// </summary>
public static class ClopperPearson
{
    /// <summary>One-sided lower bound: the true proportion is ≥ it with probability at least 1 − <paramref name="alpha"/>.</summary>
    public static double Lower(int successes, int trials, double alpha)
    {
        Check(successes, trials, alpha);
        return successes == 0 ? 0.0 : Beta.InvCDF(successes, trials - successes + 1, alpha);
    }

    /// <summary>One-sided upper bound: the true proportion is ≤ it with probability at least 1 − <paramref name="alpha"/>.</summary>
    public static double Upper(int successes, int trials, double alpha)
    {
        Check(successes, trials, alpha);
        return successes == trials ? 1.0 : Beta.InvCDF(successes + 1, trials - successes, 1 - alpha);
    }

    /// <summary>The two-sided interval at <paramref name="confidence"/> (α/2 in each tail), as R's <c>binom.test</c> reports it.</summary>
    public static (double Lower, double Upper) Interval(int successes, int trials, double confidence = 0.95)
    {
        if (!(confidence > 0 && confidence < 1))
            throw new ArgumentOutOfRangeException(nameof(confidence), confidence, "confidence must lie strictly between 0 and 1");
        double alpha = (1 - confidence) / 2;
        return (Lower(successes, trials, alpha), Upper(successes, trials, alpha));
    }

    private static void Check(int successes, int trials, double alpha)
    {
        if (trials <= 0) throw new ArgumentOutOfRangeException(nameof(trials), trials, "a proportion needs at least one trial");
        if (successes < 0 || successes > trials)
            throw new ArgumentOutOfRangeException(nameof(successes), successes, $"successes must lie in [0, {trials}]");
        if (!(alpha > 0 && alpha < 1))
            throw new ArgumentOutOfRangeException(nameof(alpha), alpha, "alpha must lie strictly between 0 and 1");
    }
}
