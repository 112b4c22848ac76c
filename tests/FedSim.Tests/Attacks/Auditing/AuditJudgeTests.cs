using FedSim.Attacks.Auditing;
using FedSim.Attacks.Inference;

namespace FedSim.Tests.Attacks.Auditing;

public sealed class AuditJudgeTests
{
    // Device d trains on rows 100d .. 100d + 59 and holds out rows 100d + 60 .. 100d + 99.
    private static readonly int[][] Training = Enumerable.Range(0, 10).Select(d => Enumerable.Range(100 * d, 60).ToArray()).ToArray();
    private static readonly int[][] HeldOut = Enumerable.Range(0, 10).Select(d => Enumerable.Range(100 * d + 60, 40).ToArray()).ToArray();
    private static readonly AuditJudge Judge = new(Training, HeldOut);

    [Fact]
    public void Members_come_from_the_devices_training_records_and_non_members_from_their_held_out_ones()
    {
        // Execute
        var set = Judge.Draw([2, 5], perSide: 1000, auxiliary: true, seed: 9)!;

        // Assert: balanced at the smaller pool (2 x 40 held-out records), both sides from devices 2 and 5 only.
        Assert.Equal(80, set.Members);
        Assert.Equal(80, set.NonMembers);
        Assert.All(set.Examples, e => Assert.Contains(e.Device, new[] { 2, 5 }));
        Assert.All(set.Examples, e => Assert.Equal(e.IsMember, Training[e.Device].Contains((int)e.Index)));
        Assert.All(set.Examples.Where(e => !e.IsMember), e => Assert.Contains((int)e.Index, HeldOut[e.Device]));
        // The attacker's auxiliary data: every other held-out record, never an audited one, never a training record.
        Assert.Equal(10 * 40 - 80, set.AttackerAuxiliary.Count);
        Assert.Empty(set.AttackerAuxiliary.Intersect(set.Examples.Select(e => e.Index)));
        Assert.All(set.AttackerAuxiliary, r => Assert.InRange(r % 100, 60, 99));
    }

    [Fact]
    public void A_malicious_clients_own_records_are_left_out()
    {
        var set = Judge.Draw(Enumerable.Range(0, 10).Select(d => (long)d), perSide: 1000, auxiliary: true, seed: 9, excludeDevice: 3)!;

        Assert.DoesNotContain(set.Examples, e => e.Device == 3);
        Assert.DoesNotContain(set.AttackerAuxiliary, r => r / 100 == 3);
    }

    [Fact]
    public void The_same_seed_draws_the_same_audit_and_no_device_gives_no_audit()
    {
        Assert.Equal(Judge.Draw([1, 2, 3], 50, false, 4)!.Examples, Judge.Draw([3, 2, 1], 50, false, 4)!.Examples);
        Assert.NotEqual(Judge.Draw([1, 2, 3], 50, false, 4)!.Examples, Judge.Draw([1, 2, 3], 50, false, 5)!.Examples);
        Assert.Null(Judge.Draw([], 50, false, 4));
    }

    [Fact]
    public void The_member_class_is_positive_an_attack_scoring_members_high_gets_auc_1_and_one_scoring_them_low_0()
    {
        // Prepare
        var set = Judge.Draw([0, 1], 40, false, 1)!;
        double[] membersHigh = set.Examples.Select(e => e.IsMember ? 1.0 : 0.0).ToArray();
        double[] membersLow = membersHigh.Select(s => -s).ToArray();

        // Execute
        var right = AuditJudge.Judge("loss", ThreatModels.Outsider, 0, 5, set.Examples, membersHigh, new ViewGuarantee(null, null, "no DP"), auditDelta: 1e-5);
        var inverted = AuditJudge.Judge("loss", ThreatModels.Outsider, 0, 5, set.Examples, membersLow, new ViewGuarantee(null, null, "no DP"), auditDelta: 1e-5);

        // Assert: never silently flipped into a strong attack.
        Assert.Equal(1.0, right.Metrics.Auc);
        Assert.Equal(1.0, right.Metrics.TprAt1PctFpr);
        Assert.Equal(0.0, inverted.Metrics.Auc);
        Assert.Equal(0.0, inverted.Metrics.Advantage);
        Assert.True(right.EmpiricalEpsilon > 0);
        Assert.Equal(0.0, inverted.EmpiricalEpsilon);
        Assert.Null(right.Dp);
    }

    [Fact]
    public void With_an_epsilon_the_dp_bound_is_checked_at_every_point()
    {
        // Prepare: a perfect attack on 80 + 80 records refutes ε = 0.1 but not ε = 10.
        var set = Judge.Draw([0, 1], 40, false, 1)!;
        double[] perfect = set.Examples.Select(e => e.IsMember ? 1.0 : 0.0).ToArray();

        // Execute
        var tight = AuditJudge.Judge("loss", ThreatModels.Outsider, 0, 5, set.Examples, perfect, new ViewGuarantee(0.1, 1e-5, "central DP"), auditDelta: 1e-5);
        var loose = AuditJudge.Judge("loss", ThreatModels.Outsider, 0, 5, set.Examples, perfect, new ViewGuarantee(10, 1e-5, "central DP"), auditDelta: 1e-5);

        // Assert
        Assert.False(tight.Dp!.Holds);
        Assert.True(tight.Dp.Violations > 0);
        Assert.True(loose.Dp!.Holds);
        Assert.Equal(RocCurve.From(right(set, perfect)).Count, loose.Dp.PointsChecked);

        static AuditScores right(AuditSet s, double[] scores) => new(scores, s.IsMember());
    }
}
