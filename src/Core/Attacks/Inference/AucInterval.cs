using MathNet.Numerics.Distributions;

namespace FedSim.Attacks.Inference;

/// <summary>
/// How far an AUC measured on a finite audit can wander by chance. Standard error after Hanley and McNeil
/// (1982, "The meaning and use of the area under a ROC curve", Radiology 143:29–36, eq. 1), with
/// Q₁ = A/(2 − A) and Q₂ = 2A²/(1 + A):
/// SE(A)² = [A(1 − A) + (n_m − 1)(Q₁ − A²) + (n_n − 1)(Q₂ − A²)] / (n_m · n_n).
/// At A = 0.5 this is (n_m + n_n + 1) / (12 n_m n_n), the exact null variance of the Mann–Whitney
/// statistic, so <see cref="Chance"/> is the range a member-blind attack lands in.
/// </summary>
public static class AucInterval
{
    /// <summary>Hanley–McNeil standard error of an AUC <paramref name="auc"/> measured on the given audit size.</summary>
    public static double StandardError(double auc, int members, int nonMembers)
    {
        if (!(auc >= 0 && auc <= 1)) throw new ArgumentOutOfRangeException(nameof(auc), auc, "an AUC lies in [0, 1]");
        if (members < 1 || nonMembers < 1)
            throw new ArgumentOutOfRangeException(nameof(members), $"{members} members and {nonMembers} non-members; need at least one of each");
        double q1 = auc / (2 - auc), q2 = 2 * auc * auc / (1 + auc), a2 = auc * auc;
        double variance = (auc * (1 - auc) + (members - 1.0) * (q1 - a2) + (nonMembers - 1.0) * (q2 - a2))
                          / ((double)members * nonMembers);
        return Math.Sqrt(Math.Max(variance, 0));
    }

    /// <summary>The normal-approximation interval A ± z·SE(A), clipped to [0, 1].</summary>
    public static (double Lower, double Upper) Around(double auc, int members, int nonMembers, double confidence = 0.99)
    {
        double half = Z(confidence) * StandardError(auc, members, nonMembers);
        return (Math.Max(0, auc - half), Math.Min(1, auc + half));
    }

    /// <summary>
    /// Where an attack that cannot tell members from non-members lands with probability
    /// <paramref name="confidence"/>: 0.5 ± z·√((n_m + n_n + 1) / (12 n_m n_n)). An audit of a model that never
    /// saw the members must fall inside it; outside it, something leaks (or the audit set is not identically
    /// distributed apart from membership).
    /// </summary>
    public static (double Lower, double Upper) Chance(int members, int nonMembers, double confidence = 0.99) =>
        Around(0.5, members, nonMembers, confidence);

    private static double Z(double confidence)
    {
        if (!(confidence > 0 && confidence < 1))
            throw new ArgumentOutOfRangeException(nameof(confidence), confidence, "confidence must lie strictly between 0 and 1");
        return Normal.InvCDF(0, 1, 0.5 + confidence / 2);
    }
}
