using System.Globalization;
using FedSim.Determinism;

namespace FedSim.Attacks.Inference;

/// <summary>A record that may be audited: its index in the dataset and the device that holds it (−1: none, e.g. held-out data).</summary>
[GenerateSerializer, Immutable]
public sealed record AuditCandidate([property: Id(0)] long Index, [property: Id(1)] int Device);

/// <summary>One audited record and the truth the attack is judged against.</summary>
[GenerateSerializer, Immutable]
public sealed record AuditExample([property: Id(0)] long Index, [property: Id(1)] bool IsMember, [property: Id(2)] int Device);

/// <summary>
/// Who is audited and what the attacker may use. Members are drawn from records the target trained on,
/// non-members from records it never saw (drawn from the same distribution, so membership is the only
/// difference), as many of one as of the other; the attacker's auxiliary data (population samples, shadow
/// and reference training data) never contains an audited record. Built only by <see cref="Draw"/>, which
/// checks all of that; seeded, so the same seed gives the same audit.
/// </summary>
public sealed class AuditSet
{
    private AuditSet(IReadOnlyList<AuditExample> examples, IReadOnlyList<long> auxiliary)
    {
        Examples = examples;
        AttackerAuxiliary = auxiliary;
    }

    /// <summary>The audited records, in increasing index order (the order says nothing about membership).</summary>
    public IReadOnlyList<AuditExample> Examples { get; }

    /// <summary>Dataset indices the attacker may use; disjoint from <see cref="Examples"/>.</summary>
    public IReadOnlyList<long> AttackerAuxiliary { get; }

    public int Members => Examples.Count(e => e.IsMember);
    public int NonMembers => Examples.Count(e => !e.IsMember);

    /// <summary>Ground-truth labels in <see cref="Examples"/> order, for <see cref="AuditScores"/>.</summary>
    public bool[] IsMember() => Examples.Select(e => e.IsMember).ToArray();

    /// <summary>
    /// Draws <paramref name="perSide"/> members from <paramref name="memberPool"/>, as many non-members from
    /// <paramref name="nonMemberPool"/>, and <paramref name="auxiliaryCount"/> auxiliary records from
    /// <paramref name="auxiliaryPool"/> minus the audited records. The pools are read in index order, so the
    /// result depends only on their contents and the seed (derive it with
    /// <see cref="Seeds.Derive"/>(experiment, round, <see cref="Seeds.None"/>, <see cref="SeedPurpose.Attack"/>)).
    /// </summary>
    public static AuditSet Draw(IReadOnlyCollection<AuditCandidate> memberPool, IReadOnlyCollection<AuditCandidate> nonMemberPool,
                                IReadOnlyCollection<long> auxiliaryPool, int perSide, int auxiliaryCount, ulong seed)
    {
        ArgumentNullException.ThrowIfNull(memberPool);
        ArgumentNullException.ThrowIfNull(nonMemberPool);
        ArgumentNullException.ThrowIfNull(auxiliaryPool);
        if (perSide < 1) throw new ArgumentOutOfRangeException(nameof(perSide), perSide, "audit set: audit at least one member and one non-member");
        if (auxiliaryCount < 0) throw new ArgumentOutOfRangeException(nameof(auxiliaryCount), auxiliaryCount, "audit set: the auxiliary count cannot be negative");
        var members = Sorted(memberPool, "member");
        var nonMembers = Sorted(nonMemberPool, "non-member");
        var memberIndices = members.Select(c => c.Index).ToHashSet();
        var both = nonMembers.FirstOrDefault(c => memberIndices.Contains(c.Index));
        if (both is not null)
            throw new ArgumentException($"audit set: record {both.Index} is in both the member and the non-member pool; a record the target trained on cannot be a non-member");
        if (members.Length < perSide || nonMembers.Length < perSide)
            throw new ArgumentException(
                $"audit set: {perSide} per side requested but the pools hold {members.Length} members and {nonMembers.Length} non-members; lower the audit size or enlarge the pools");

        var rng = new DeterministicRandom(seed);
        var drawnMembers = RandomSubsets.Pick(members, perSide, rng);
        var drawnNonMembers = RandomSubsets.Pick(nonMembers, perSide, rng);
        var examples = drawnMembers.Select(c => new AuditExample(c.Index, true, c.Device))
            .Concat(drawnNonMembers.Select(c => new AuditExample(c.Index, false, c.Device)))
            .OrderBy(e => e.Index).ToArray();

        var audited = examples.Select(e => e.Index).ToHashSet();
        var auxiliaryCandidates = auxiliaryPool.Distinct().Where(i => !audited.Contains(i)).Order().ToArray();
        if (auxiliaryCandidates.Length < auxiliaryCount)
            throw new ArgumentException(
                $"audit set: {auxiliaryCount} auxiliary records requested but only {auxiliaryCandidates.Length} of the auxiliary pool are not audited; lower the auxiliary count or enlarge the pool");
        var auxiliary = RandomSubsets.Pick(auxiliaryCandidates, auxiliaryCount, rng).Order().ToArray();

        // The invariant the whole audit rests on: the attacker never holds an audited record.
        if (auxiliary.Any(audited.Contains))
            throw new InvalidOperationException("audit set: attacker auxiliary data overlaps the audited records");
        return new AuditSet(examples, auxiliary);
    }

    private static AuditCandidate[] Sorted(IReadOnlyCollection<AuditCandidate> pool, string what)
    {
        var sorted = pool.OrderBy(c => c.Index).ToArray();
        for (int i = 1; i < sorted.Length; i++)
            if (sorted[i].Index == sorted[i - 1].Index)
                throw new ArgumentException($"audit set: record {sorted[i].Index} appears twice in the {what} pool");
        return sorted;
    }
}

/// <summary>
/// Writes an audit set as CSV, one row per audited record: <c>index,is_member,device</c> (is_member 1 or 0,
/// device −1 when no device holds the record), so an audit can be reproduced or re-scored elsewhere.
/// </summary>
public static class AuditSetCsv
{
    public const string Header = "index,is_member,device";

    public static void Write(TextWriter writer, AuditSet audit)
    {
        ArgumentNullException.ThrowIfNull(audit);
        Write(writer, audit.Examples);
    }

    /// <summary>Writes audited records (e.g. as an audit report kept them), in the given order.</summary>
    public static void Write(TextWriter writer, IEnumerable<AuditExample> examples)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(examples);
        writer.Write(Header);
        writer.Write('\n');
        foreach (var e in examples)
        {
            writer.Write(e.Index.ToString(CultureInfo.InvariantCulture));
            writer.Write(e.IsMember ? ",1," : ",0,");
            writer.Write(e.Device.ToString(CultureInfo.InvariantCulture));
            writer.Write('\n');
        }
    }
}
