using System.ComponentModel;
using System.ComponentModel.DataAnnotations;

namespace FedSim.Attacks.Auditing;

/// <summary>
/// How the membership-inference audit is run (the <c>audit:</c> section; it matters only when <c>attacks:</c>
/// lists an attacker). Members are records the target trained on, non-members records of the same devices that
/// it never saw: with a membership attacker configured, every device's shard is split by a seeded coin per record into the
/// part it trains on and a held-out part (<see cref="Holdout"/>), so membership is the only difference between
/// the two groups, whatever the partition (see <see cref="AuditHoldout"/>).
/// </summary>
[GenerateSerializer]
[Description("Membership-inference audit settings (used when attacks: lists an attacker).")]
public sealed class AuditSpec
{
    [Id(0), Description("Audit every k rounds (and at the last round); each attacker audits the round's model or updates.")]
    [Range(1, int.MaxValue)]
    public int Every { get; set; } = 5;

    [Id(1), Description("Members per audit, and as many non-members (fewer when the pools are smaller). TPR at 0.1 % FPR needs at least 1000.")]
    [Range(1, int.MaxValue)]
    public int Members { get; set; } = 1000;

    [Id(2), Description("Fraction of each device's records held out of training (a seeded coin per record): the audit's non-members and the attackers' auxiliary data. Applies whenever attacks: lists a membership attacker (outsider, server, client; a one-run auditor needs none), so fedsim run trains the same federation.")]
    [Range(0.0, 1.0, MinimumIsExclusive = true, MaximumIsExclusive = true)]
    public double Holdout { get; set; } = 0.5;

    [Id(3), Description("δ of the empirical ε lower bound (and of the DP bound check when the run reports an epsilon metric but no delta).")]
    [Range(0.0, 1.0, MaximumIsExclusive = true)]
    public double Delta { get; set; } = 1e-5;
}
