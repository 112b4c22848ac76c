using FedSim.Attacks.Inference;
using FedSim.Determinism;

namespace FedSim.Tests.Attacks.Inference;

public sealed class AuditSetTests
{
    // Records 0..999 trained on by devices 0..9 (100 each), 1000..1499 held out, 1500..2999 attacker population.
    private static readonly AuditCandidate[] MemberPool = Enumerable.Range(0, 1000).Select(i => new AuditCandidate(i, i / 100)).ToArray();
    private static readonly AuditCandidate[] NonMemberPool = Enumerable.Range(1000, 500).Select(i => new AuditCandidate(i, -1)).ToArray();
    private static readonly long[] AuxiliaryPool = Enumerable.Range(1500, 1500).Select(i => (long)i).ToArray();

    private static ulong Seed(ulong experiment) => Seeds.Derive(experiment, 5, Seeds.None, SeedPurpose.Attack);

    [Fact]
    public void Audit_set_is_balanced_and_drawn_from_the_right_pools()
    {
        var audit = AuditSet.Draw(MemberPool, NonMemberPool, AuxiliaryPool, perSide: 200, auxiliaryCount: 300, Seed(1));

        Assert.Equal(200, audit.Members);
        Assert.Equal(200, audit.NonMembers);
        Assert.All(audit.Examples.Where(e => e.IsMember), e => Assert.InRange(e.Index, 0, 999));
        Assert.All(audit.Examples.Where(e => e.IsMember), e => Assert.Equal(e.Index / 100, e.Device));
        Assert.All(audit.Examples.Where(e => !e.IsMember), e => Assert.InRange(e.Index, 1000, 1499));
        Assert.Equal(400, audit.Examples.Select(e => e.Index).Distinct().Count());
        Assert.Equal(300, audit.AttackerAuxiliary.Distinct().Count());
        Assert.True(audit.Examples.Select(e => e.Index).SequenceEqual(audit.Examples.Select(e => e.Index).Order()));
    }

    [Fact]
    public void Same_seed_same_audit_whatever_the_pool_order_and_another_seed_another_audit()
    {
        var a = AuditSet.Draw(MemberPool, NonMemberPool, AuxiliaryPool, 100, 100, Seed(1));
        var shuffled = AuditSet.Draw(MemberPool.Reverse().ToArray(), NonMemberPool.Reverse().ToArray(), AuxiliaryPool.Reverse().ToArray(), 100, 100, Seed(1));
        var other = AuditSet.Draw(MemberPool, NonMemberPool, AuxiliaryPool, 100, 100, Seed(2));

        Assert.Equal(a.Examples, shuffled.Examples);
        Assert.Equal(a.AttackerAuxiliary, shuffled.AttackerAuxiliary);
        Assert.NotEqual(a.Examples, other.Examples);
    }

    [Fact]
    public void Auxiliary_data_never_holds_an_audited_record_even_when_the_pools_overlap()
    {
        // Prepare: the attacker's pool is the whole dataset, audited records included.
        var everything = Enumerable.Range(0, 3000).Select(i => (long)i).ToArray();

        // Execute: ask for all but the 400 audited records.
        var audit = AuditSet.Draw(MemberPool, NonMemberPool, everything, perSide: 200, auxiliaryCount: 2600, Seed(3));

        // Assert
        var audited = audit.Examples.Select(e => e.Index).ToHashSet();
        Assert.DoesNotContain(audit.AttackerAuxiliary, audited.Contains);
        Assert.Equal(2600, audit.AttackerAuxiliary.Count);
    }

    [Fact]
    public void Audit_set_refuses_overlapping_pools_duplicates_and_sizes_it_cannot_meet()
    {
        var overlapping = NonMemberPool.Append(new AuditCandidate(7, -1)).ToArray();
        var duplicated = MemberPool.Append(new AuditCandidate(3, 0)).ToArray();

        Assert.Contains("record 7 is in both", Assert.Throws<ArgumentException>(() => AuditSet.Draw(MemberPool, overlapping, AuxiliaryPool, 10, 10, Seed(1))).Message);
        Assert.Contains("appears twice", Assert.Throws<ArgumentException>(() => AuditSet.Draw(duplicated, NonMemberPool, AuxiliaryPool, 10, 10, Seed(1))).Message);
        Assert.Contains("500 non-members", Assert.Throws<ArgumentException>(() => AuditSet.Draw(MemberPool, NonMemberPool, AuxiliaryPool, 501, 10, Seed(1))).Message);
        Assert.Contains("auxiliary", Assert.Throws<ArgumentException>(() => AuditSet.Draw(MemberPool, NonMemberPool, AuxiliaryPool, 10, 1501, Seed(1))).Message);
    }

    [Fact]
    public void Audit_set_csv_has_one_row_per_audited_record()
    {
        var audit = AuditSet.Draw(MemberPool.Take(3).ToArray(), NonMemberPool.Take(2).ToArray(), [], perSide: 2, auxiliaryCount: 0, Seed(4));
        var writer = new StringWriter();

        AuditSetCsv.Write(writer, audit);

        var lines = writer.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("index,is_member,device", lines[0]);
        Assert.Equal(5, lines.Length);
        Assert.Equal(audit.Examples.Select(e => $"{e.Index},{(e.IsMember ? 1 : 0)},{e.Device}"), lines[1..]);
        Assert.Equal(["1000,0,-1", "1001,0,-1"], lines[3..]);
        Assert.Equal(audit.Examples.Select(e => e.IsMember), audit.IsMember());
    }

    [Fact]
    public void Audit_set_is_pinned_across_versions()
    {
        // Prepare
        var members = Enumerable.Range(0, 40).Select(i => new AuditCandidate(i, i / 10)).ToArray();
        var nonMembers = Enumerable.Range(40, 20).Select(i => new AuditCandidate(i, -1)).ToArray();
        var auxiliary = Enumerable.Range(60, 30).Select(i => (long)i).ToArray();

        // Execute
        var audit = AuditSet.Draw(members, nonMembers, auxiliary, perSide: 5, auxiliaryCount: 6, seed: 17);

        // Assert: a change here silently changes every published audit
        AuditExample[] expected =
        [
            new(1, true, 0), new(26, true, 2), new(27, true, 2), new(37, true, 3), new(38, true, 3),
            new(41, false, -1), new(52, false, -1), new(54, false, -1), new(57, false, -1), new(58, false, -1),
        ];
        Assert.Equal(expected, audit.Examples);
        Assert.Equal([60L, 67, 68, 72, 73, 88], audit.AttackerAuxiliary);
    }
}
