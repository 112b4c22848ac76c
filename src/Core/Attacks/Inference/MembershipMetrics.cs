namespace FedSim.Attacks.Inference;

/// <summary>
/// The headline figures of one membership-inference audit, as a tester reports them: AUC (with its
/// Hanley–McNeil standard error), TPR at 0.1 % and 1 % FPR (Carlini et al. 2022 judge attacks there,
/// not by AUC alone), best balanced accuracy and membership advantage (Yeom et al. 2018).
/// </summary>
[GenerateSerializer, Immutable]
public sealed record MembershipMetrics(
    [property: Id(0)] int Members,
    [property: Id(1)] int NonMembers,
    [property: Id(2)] double Auc,
    [property: Id(3)] double AucStandardError,
    [property: Id(4)] double TprAt0_1PctFpr,
    [property: Id(5)] double TprAt1PctFpr,
    [property: Id(6)] double BalancedAccuracy,
    [property: Id(7)] double Advantage)
{
    /// <summary>The smallest non-zero FPR this audit can measure (one non-member flagged).</summary>
    public double SmallestMeasurableFpr => 1.0 / NonMembers;

    public static MembershipMetrics Of(AuditScores audit) => Of(RocCurve.From(audit));

    public static MembershipMetrics Of(RocCurve roc)
    {
        ArgumentNullException.ThrowIfNull(roc);
        double auc = roc.Auc();
        return new MembershipMetrics(
            roc.Members, roc.NonMembers, auc,
            AucInterval.StandardError(auc, roc.Members, roc.NonMembers),
            roc.TprAtFpr(0.001), roc.TprAtFpr(0.01),
            roc.BestBalancedAccuracy(), roc.Advantage());
    }
}
