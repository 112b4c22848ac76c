using MathNet.Numerics;

namespace FedSim.Privacy.Accounting;

/// <summary>An (ε, δ) statement read off an RDP curve, with the order that gave it.</summary>
public readonly record struct PrivacyGuarantee(double Epsilon, double Delta, double Order);

/// <summary>
/// RDP → (ε, δ)-DP. For each order α with RDP r: ε = r + log(1 − 1/α) − log(δ·α)/(α − 1)
/// (Balle, Barthe, Gaboardi, Hsu and Sato 2020, "Hypothesis testing interpretations and Rényi differential
/// privacy", Theorem 21; also Canonne, Kamath and Steinke 2020, Proposition 12), minimized over the orders.
/// This is the conversion of TF-Privacy, Opacus and dp_accounting since 2021, including dp_accounting's two
/// guards: ε = 0 when the KL bound δ ≥ √(1 − e^−r) already holds, and orders ≤ 1.01 (numerically unstable,
/// never useful) only contribute through that KL bound.
/// </summary>
public static class RdpConversion
{
    /// <summary>Orders at or below this are not used in Theorem 21 (dp_accounting's threshold).</summary>
    public const double MinimumOrderForConversion = 1.01;

    /// <summary>The smallest ε over the orders at which the mechanism is (ε, δ)-DP, and that order.
    /// Ties go to the first order, as numpy's argmin does. +∞ when no order gives a finite bound.</summary>
    public static PrivacyGuarantee Epsilon(IReadOnlyList<double> orders, IReadOnlyList<double> rdp, double delta)
    {
        RequireSameLength(orders, rdp);
        if (!(delta > 0 && delta < 1)) throw new PrivacyParameterException($"delta must be in (0, 1), got {delta}");
        int best = 0;
        double bestEpsilon = double.PositiveInfinity;
        for (int k = 0; k < orders.Count; k++)
        {
            double epsilon = EpsilonAtOrder(orders[k], rdp[k], delta);
            if (epsilon < bestEpsilon) { bestEpsilon = epsilon; best = k; }
        }
        return new PrivacyGuarantee(Math.Max(0, bestEpsilon), delta, orders[best]);
    }

    /// <summary>The smallest δ over the orders at which the mechanism is (ε, δ)-DP, and that order; at most 1.</summary>
    public static PrivacyGuarantee Delta(IReadOnlyList<double> orders, IReadOnlyList<double> rdp, double epsilon)
    {
        RequireSameLength(orders, rdp);
        if (!(epsilon >= 0) || double.IsPositiveInfinity(epsilon))
            throw new PrivacyParameterException($"epsilon must be a finite number >= 0, got {epsilon}");
        int best = 0;
        double bestLogDelta = double.PositiveInfinity;
        for (int k = 0; k < orders.Count; k++)
        {
            double logDelta = LogDeltaAtOrder(orders[k], rdp[k], epsilon);
            if (logDelta < bestLogDelta) { bestLogDelta = logDelta; best = k; }
        }
        return new PrivacyGuarantee(epsilon, Math.Min(Math.Exp(bestLogDelta), 1), orders[best]);
    }

    private static double EpsilonAtOrder(double order, double rdp, double delta)
    {
        RequireRdp(order, rdp);
        if (delta * delta + SpecialFunctions.Expm1(-rdp) > 0) return 0; // KL bound: δ ≥ √(1 − e^−r)
        if (order <= MinimumOrderForConversion) return double.PositiveInfinity;
        return rdp + SpecialFunctions.Log1p(-1 / order) - Math.Log(delta * order) / (order - 1);
    }

    private static double LogDeltaAtOrder(double order, double rdp, double epsilon)
    {
        RequireRdp(order, rdp);
        // KL bound δ ≤ √(1 − e^−r), then Theorem 21 solved for δ where it is numerically sound.
        double logDelta = rdp == 0 ? double.NegativeInfinity : 0.5 * SpecialFunctions.Log1p(-Math.Exp(-rdp));
        if (order > MinimumOrderForConversion)
            logDelta = Math.Min(logDelta, (order - 1) * (rdp - epsilon + SpecialFunctions.Log1p(-1 / order)) - Math.Log(order));
        return logDelta;
    }

    private static void RequireRdp(double order, double rdp)
    {
        SampledGaussianRdp.RequireOrder(order);
        if (!(rdp >= 0)) throw new PrivacyParameterException($"RDP at order {order} must be >= 0, got {rdp}");
    }

    private static void RequireSameLength(IReadOnlyList<double> orders, IReadOnlyList<double> rdp)
    {
        if (orders.Count == 0) throw new PrivacyParameterException("at least one Rényi order is required");
        if (orders.Count != rdp.Count)
            throw new PrivacyParameterException($"one RDP value per order is required: {orders.Count} orders, {rdp.Count} values");
    }
}
