using FedSim.Components;

namespace FedSim.Attacks.Auditing;

/// <summary>What an attack reads besides the audited records; each threat model grants only some of it.</summary>
[Flags]
public enum AttackNeeds
{
    None = 0,

    /// <summary>Per-record outputs (logits) of the released global model on the audited records.</summary>
    ReleasedModelOutputs = 1,

    /// <summary>The attacker's reference models (<see cref="ReferenceModels"/>) and their outputs on the audited records.</summary>
    ReferenceModels = 2,

    /// <summary>A single device's update (the aggregate under secure aggregation) and the global model it started from.</summary>
    DeviceUpdate = 4,

    /// <summary>The malicious client's gradient ascent on the records it tests, in the round before the audit.</summary>
    GradientAscent = 8,
}

/// <summary>
/// Everything FedSim knows about one membership-inference attack: its name (the value in <c>attacks[].attacks</c> and
/// attack.json), its threat model, its place in reports, what it reads and how it scores. One subclass per attack, each
/// in its own file under Attacks/Membership/, found by reflection (<see cref="MembershipAttacks"/>), so adding an attack is one new file: the
/// options' allowed values and descriptions, the selection and the scoring all ask the registry.
/// </summary>
public abstract class MembershipAttack
{
    /// <summary>The value in <c>attacks[].attacks</c> and attack.json ("loss"); unique within its threat model.</summary>
    public abstract string Name { get; }

    /// <summary>The attacker kind that runs it (<see cref="ThreatModels"/>).</summary>
    public abstract string ThreatModel { get; }

    /// <summary>Position in reports and lists within its threat model; ties sort by name.</summary>
    public abstract int Order { get; }

    /// <summary>One line for the schema and docs: what it measures, with its source (no trailing period).</summary>
    public abstract string Summary { get; }

    /// <summary>What it reads; the registry refuses an attack that needs more than its threat model grants.</summary>
    public abstract AttackNeeds Needs { get; }

    /// <summary>What this threat model hands its attacks.</summary>
    public abstract AttackNeeds Granted { get; }

    /// <summary>
    /// Whether it runs when the scenario lists no attacks. Attacks added after results were recorded are opt-in, so a
    /// scenario that lists none keeps producing the same audits.
    /// </summary>
    public virtual bool RunsByDefault => true;

    public bool Uses(AttackNeeds need) => (Needs & need) == need;

    public override string ToString() => $"{ThreatModel} {Name}";
}

/// <summary>An attack by the outsider: black-box queries of the released model, plus reference models it trains itself.</summary>
public abstract class OutsiderAttack : MembershipAttack
{
    public sealed override string ThreatModel => ThreatModels.Outsider;

    public sealed override AttackNeeds Granted => AttackNeeds.ReleasedModelOutputs | AttackNeeds.ReferenceModels;

    /// <summary>
    /// Position among the selected attacks when scoring. Attacks that draw records from the attacker's one seeded stream
    /// (<see cref="OutsiderEvidence.Picks"/>) draw in this order, so it is fixed once results are recorded.
    /// </summary>
    public virtual int ScoringOrder => Order;

    /// <summary>This attack's rules on its attacker's options (LiRA: enough reference models per side).</summary>
    public virtual IEnumerable<ComponentFinding> Check(OutsiderAttackerOptions options, string path) => [];

    /// <summary>One score per audited record, in their order, higher meaning member.</summary>
    public abstract Task<double[]> ScoreAsync(OutsiderEvidence evidence, CancellationToken cancellationToken = default);
}

/// <summary>An attack by the honest-but-curious server on one update it received.</summary>
public abstract class ServerAttack : MembershipAttack
{
    public sealed override string ThreatModel => ThreatModels.Server;

    public sealed override AttackNeeds Granted => AttackNeeds.DeviceUpdate;

    public override AttackNeeds Needs => AttackNeeds.DeviceUpdate;

    /// <summary>One score per candidate record, in their order, higher meaning member.</summary>
    public abstract double[] Score(ServerEvidence evidence);
}

/// <summary>An attack by the malicious client, on the global models it received.</summary>
public abstract class ClientAttack : MembershipAttack
{
    public sealed override string ThreatModel => ThreatModels.Client;

    public sealed override AttackNeeds Granted => AttackNeeds.ReleasedModelOutputs | AttackNeeds.GradientAscent;

    /// <summary>Scores of the tested records, or null when this audit gives the attack nothing to measure.</summary>
    public abstract ClientVerdict? Score(ClientEvidence evidence);
}
