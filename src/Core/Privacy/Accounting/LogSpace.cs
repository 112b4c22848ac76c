using MathNet.Numerics;

namespace FedSim.Privacy.Accounting;

/// <summary>
/// Arithmetic on numbers kept as logarithms. The moments of the subsampled Gaussian overflow a double for
/// large orders (terms like exp(α²/2σ²)) and lose all precision near 1 for small q, so the series are summed
/// in log space, as TF-Privacy, Opacus and dp_accounting do.
/// </summary>
internal static class LogSpace
{
    /// <summary>log(eˣ + eʸ) without overflow: the larger term is factored out.</summary>
    public static double Add(double logX, double logY)
    {
        double hi = Math.Max(logX, logY), lo = Math.Min(logX, logY);
        if (double.IsNegativeInfinity(lo)) return hi;
        return hi + SpecialFunctions.Log1p(Math.Exp(lo - hi));
    }

    /// <summary>
    /// log(erfc(x)), accurate where erfc(x) underflows a double (x ≳ 26.5). Below that MathNet's erfc keeps full
    /// relative precision; above it the asymptotic series erfc(x) ~ e^(−x²)/(x√π)·Σ (−1)ᵏ(2k−1)!!/(2x²)ᵏ is used,
    /// whose terms at x ≥ 25 fall below 1e-17 after six of them.
    /// </summary>
    public static double LogErfc(double x)
    {
        if (x < 25) return Math.Log(SpecialFunctions.Erfc(x));
        double inverseTwoXSquared = 1 / (2 * x * x);
        double term = 1, sum = 1;
        for (int k = 1; k <= 8; k++)
        {
            term *= -(2 * k - 1) * inverseTwoXSquared;
            sum += term;
        }
        return -x * x - Math.Log(x) - 0.5 * Math.Log(Math.PI) + Math.Log(sum);
    }
}

/// <summary>
/// A real number as (sign, log|value|), for series whose terms change sign: the generalized binomial series
/// of a fractional order has negative coefficients, and summing them signed (not by magnitude) is what makes
/// the result exact rather than an upper bound.
/// </summary>
internal struct SignedLogSum
{
    /// <summary>log of the magnitude; −∞ for zero.</summary>
    public double LogMagnitude { get; private set; }

    public bool IsNegative { get; private set; }

    public static SignedLogSum Zero => new() { LogMagnitude = double.NegativeInfinity };

    /// <summary>Adds ± e^logTerm.</summary>
    public void Add(bool negative, double logTerm)
    {
        if (double.IsNegativeInfinity(logTerm)) return;
        if (double.IsNegativeInfinity(LogMagnitude))
        {
            LogMagnitude = logTerm;
            IsNegative = negative;
            return;
        }
        if (negative == IsNegative)
        {
            LogMagnitude = LogSpace.Add(LogMagnitude, logTerm);
            return;
        }
        // Opposite signs: |a| − |b| = e^hi·(1 − e^(lo−hi)); the sign is that of the larger magnitude.
        if (logTerm == LogMagnitude)
        {
            LogMagnitude = double.NegativeInfinity;
            IsNegative = false;
            return;
        }
        double hi = Math.Max(LogMagnitude, logTerm), lo = Math.Min(LogMagnitude, logTerm);
        if (logTerm > LogMagnitude) IsNegative = negative;
        LogMagnitude = hi + SpecialFunctions.Log1p(-Math.Exp(lo - hi));
    }
}
