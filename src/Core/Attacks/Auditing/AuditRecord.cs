using FedSim.Attacks.Inference;

namespace FedSim.Attacks.Auditing;

/// <summary>The DP bound checked at every measured ROC point of one audit (when the run reports an ε).</summary>
[GenerateSerializer, Immutable]
public sealed record DpCheck(
    [property: Id(0)] double Epsilon,
    [property: Id(1)] double Delta,
    [property: Id(2)] bool Holds,
    [property: Id(3)] int PointsChecked,
    [property: Id(4)] int Violations,
    [property: Id(5)] int PointEstimateExceedances);

/// <summary>
/// One attack's audit of one round under one threat model: its figures, and the audited records with their scores
/// and ground truth (member = positive class), so reports can redraw the ROC and break it down by device.
/// </summary>
/// <param name="Device">Set when the audit attacked one device's update (its own members and non-members).</param>
/// <param name="Note">What limited the attacker, e.g. "secure aggregation: attacked the aggregate only".</param>
/// <param name="Guarantee">The DP guarantee covering the attacked view (its ε, or why none applies); <see cref="Dp"/> checks it.</param>
/// <param name="OneRun">A one-run audit's guesses and ε lower bound (its records are its canaries, members the included ones); else null.</param>
[GenerateSerializer, Immutable]
public sealed record AuditRecord(
    [property: Id(0)] string Attack,
    [property: Id(1)] string ThreatModel,
    [property: Id(2)] int Attacker,
    [property: Id(3)] int Round,
    [property: Id(4)] MembershipMetrics Metrics,
    [property: Id(5)] double AucLower,
    [property: Id(6)] double AucUpper,
    [property: Id(7)] double EmpiricalEpsilon,
    [property: Id(8)] double Delta,
    [property: Id(9)] DpCheck? Dp,
    [property: Id(10)] long? Device,
    [property: Id(11)] string? Note,
    [property: Id(12)] int[] Records,
    [property: Id(13)] bool[] IsMember,
    [property: Id(14)] int[] Devices,
    [property: Id(15)] double[] Scores,
    [property: Id(16)] ViewGuarantee Guarantee,
    [property: Id(17)] OneRunAuditResult? OneRun = null)
{
    /// <summary>Confidence of <see cref="AucLower"/>..<see cref="AucUpper"/> (Hanley–McNeil normal interval).</summary>
    public const double AucConfidence = 0.95;

    public AuditScores ToScores() => new(Scores, IsMember);
}

/// <summary>An attacker's audits so far, and how many are still running (or why one failed).</summary>
[GenerateSerializer, Immutable]
public sealed record AttackerReport(
    [property: Id(0)] int Attacker,
    [property: Id(1)] string ThreatModel,
    [property: Id(2)] IReadOnlyList<AuditRecord> Audits,
    [property: Id(3)] int Pending,
    [property: Id(4)] IReadOnlyList<string> Failures);
