using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using FedSim.Components;
using FedSim.Strategies;
using FedSim.Determinism;

namespace FedSim.Attacks.Auditing;

/// <summary>The threat models an attacker works under; the names are the <c>attacks[].kind</c> values.</summary>
public static class ThreatModels
{
    /// <summary>Black-box queries (loss, logits) to the released global model.</summary>
    public const string Outsider = "outsider";
    /// <summary>The honest-but-curious coordinator: every round's individual updates, unless secure aggregation hides them.</summary>
    public const string Server = "server";
    /// <summary>A malicious participant: sees each global model and may act on its own update.</summary>
    public const string Client = "client";
}

/// <summary>
/// The spellings code and tests use for the built-in membership-inference attacks (<c>attacks[].attacks</c>, attack.json);
/// each attack's descriptor (<see cref="MembershipAttacks"/>) is what declares it, and a new attack needs none.
/// </summary>
public static class AttackNames
{
    public const string Loss = "loss";
    public const string Confidence = "confidence";
    public const string ModifiedEntropy = "modified-entropy";
    public const string Shadow = "shadow";
    public const string LiraOnline = "lira-online";
    public const string LiraOffline = "lira-offline";
    public const string Rmia = "rmia";
    public const string Update = "update";
    public const string LocalLoss = "local-loss";
    public const string GradientAscent = "gradient-ascent";
}

/// <summary>What an attacker's options may check against the rest of the scenario.</summary>
/// <param name="Devices">Registered devices, numbered 0..Devices - 1.</param>
/// <param name="StrategyKind">The strategy's kind, for messages.</param>
/// <param name="Objective">The strategy's client objective: whether devices keep state or upload extra vectors.</param>
/// <param name="CentralDp">Whether central DP (DP-FedAvg) is on.</param>
/// <param name="LocalDp">Whether local DP (DP-SGD on the devices) is on.</param>
public sealed record AttackerFacts(int Devices, string StrategyKind, ClientObjective Objective, bool CentralDp = false, bool LocalDp = false);

/// <summary>
/// The attacker family (<c>attacks:</c>, a list): each entry is one attacker grain with one threat model
/// (<c>kind</c>) and the membership-inference attacks it runs. What the attacker sees is fixed by its kind and
/// enforced by the coordinator's attacker tap, which publishes to it only what that threat model grants.
/// </summary>
[ComponentFamily("attacker"), GenerateSerializer]
[Description("A membership-inference attacker: its threat model (kind) and the attacks it runs.")]
public abstract class AttackerOptions : ComponentOptions
{
    /// <summary>The attacks this kind can run, in report order.</summary>
    public IReadOnlyList<string> Available => MembershipAttacks.NamesFor(Kind);

    /// <summary>The attacks written in the file; empty means every attack of this kind that runs by default.</summary>
    protected abstract string[] Chosen { get; }

    /// <summary>The attacks to run, in report order, each once.</summary>
    public IReadOnlyList<MembershipAttack> SelectedAttacks => MembershipAttacks.For(Kind)
        .Where(a => Chosen.Length == 0 ? a.RunsByDefault : Chosen.Contains(a.Name)).ToArray();

    /// <summary>The names of <see cref="SelectedAttacks"/>.</summary>
    public IReadOnlyList<string> Selected => SelectedAttacks.Select(a => a.Name).ToArray();

    /// <summary>Findings relating this attacker to the rest of the scenario, as keys under <paramref name="path"/>.</summary>
    public virtual IEnumerable<ComponentFinding> Check(AttackerFacts facts, string path) => [];

    /// <summary>
    /// Whether its audits need members and non-members of the same devices, i.e. the audit hold-out that keeps part of
    /// every device's records out of training (<see cref="AuditSpec.Holdout"/>).
    /// </summary>
    public virtual bool UsesAuditHoldout => true;
}

/// <summary>
/// The outsider: black-box queries of the released global model, plus what it can compute itself: reference
/// models of the same architecture and training recipe, trained on its own auxiliary data through the compute pool.
/// </summary>
[ComponentKind(ThreatModels.Outsider, Order = 0), GenerateSerializer]
[Description("Outsider: black-box queries (loss, logits) to the released global model; reference models trained on its own data.")]
public sealed class OutsiderAttackerOptions : AttackerOptions
{
    [Id(0), MembershipAttacksDescription(ThreatModels.Outsider), MembershipAttackNames(ThreatModels.Outsider)]
    public string[] Attacks { get; set; } = [];

    [Id(1), Description("Reference models the attacker trains per audit (shadow, LiRA, RMIA); even, so every audited record is IN for exactly half of them.")]
    [Range(2, 1024)]
    public int ReferenceModels { get; set; } = 8;

    [Id(2), Description("Epochs each reference model trains on its half of the attacker's data (0: the local epochs the target's devices have run by the audited round).")]
    [Range(0, 100_000)]
    public int ReferenceEpochs { get; set; }

    [Id(3), Description("LiRA's variance: global (one per side, for few reference models) or per-example (the paper's main attack, for many).")]
    [AllowedValues("global", "per-example")]
    public string LiraVariance { get; set; } = "global";

    [Id(4), Description("RMIA: population records z from the attacker's data that audited records are compared with.")]
    [Range(1, int.MaxValue)]
    public int RmiaPopulation { get; set; } = 2000;

    [Id(5), Description("RMIA's γ: how much more likely under the target than its reference models x must be than z.")]
    [Range(0, double.MaxValue, MinimumIsExclusive = true)]
    public double RmiaGamma { get; set; } = 1.0;

    protected override string[] Chosen => Attacks;

    public override IEnumerable<ComponentFinding> Check(AttackerFacts facts, string path)
    {
        if (ReferenceModels % 2 != 0)
            yield return new($"{path}.reference_models",
                $"{path}.reference_models is {ReferenceModels}; give an even number so every audited record is IN for exactly half of the reference models");
        // Attacks that share a rule (both LiRA variants) report it once.
        foreach (var finding in SelectedAttacks.Cast<OutsiderAttack>().SelectMany(a => a.Check(this, path)).Distinct())
            yield return finding;
    }
}

/// <summary>
/// The honest-but-curious server: it runs the protocol faithfully and keeps what it sees, i.e. every round's
/// individual updates and the global model they started from. Under secure aggregation it sees only the
/// aggregate, and says so in its report.
/// </summary>
[ComponentKind(ThreatModels.Server, Order = 1), GenerateSerializer]
[Description("Server: the honest-but-curious coordinator; attacks each device's update (only the aggregate under secure aggregation).")]
public sealed class ServerAttackerOptions : AttackerOptions
{
    [Id(0), MembershipAttacksDescription(ThreatModels.Server), MembershipAttackNames(ThreatModels.Server)]
    public string[] Attacks { get; set; } = [];

    [Id(1), Description("Devices per audited round whose single updates are attacked (those with the lowest device numbers among the round's used updates).")]
    [Range(1, int.MaxValue)]
    public int MaxDevices { get; set; } = 10;

    protected override string[] Chosen => Attacks;
}

/// <summary>
/// A malicious participant (Nasr, Shokri and Houmansadr 2019, "Comprehensive privacy analysis of deep learning",
/// the active attack): one registered device that receives each global model like any other and, in the round
/// before each audit, adds gradient ascent on the records it tests to its honest update. A member's owner then
/// pulls that record's loss back down in the next round; a non-member's loss stays up.
/// </summary>
[ComponentKind(ThreatModels.Client, Order = 2), GenerateSerializer]
[Description("Client: a malicious participant that sees each global model and does gradient ascent on the records it tests (Nasr et al. 2019).")]
public sealed class ClientAttackerOptions : AttackerOptions
{
    [Id(0), MembershipAttacksDescription(ThreatModels.Client), MembershipAttackNames(ThreatModels.Client)]
    public string[] Attacks { get; set; } = [];

    [Id(1), Description("The registered device the attacker controls (-1: one drawn from the seed).")]
    [Range(-1, int.MaxValue)]
    public long Device { get; set; } = -1;

    [Id(2), Description("Full-batch gradient-ascent steps on the tested records, at the training learning rate, added to its honest update (the loss is unbounded above: a few steps, not epochs).")]
    [Range(1, 100)]
    public int AscentSteps { get; set; } = 1;

    protected override string[] Chosen => Attacks;

    public override IEnumerable<ComponentFinding> Check(AttackerFacts facts, string path)
    {
        if (Device >= facts.Devices)
            yield return new($"{path}.device", $"{path}.device is {Device}, but devices are numbered 0..{facts.Devices - 1}; pick one of them or -1");
        if (facts.Objective is { UsesDeviceState: true } or { ExtraUploadVectors: > 0 })
            yield return new($"{path}.kind",
                $"the client attacker trains like a plain FedAvg device, but strategy '{facts.StrategyKind}' keeps per-device state or uploads extra vectors; use fedavg, fedprox or an adaptive server strategy with it");
    }

    /// <summary>The registered device this attacker controls: <see cref="Device"/>, or one drawn from the experiment's seed.</summary>
    /// <param name="index">The attacker's position in the scenario's attacks list.</param>
    public long DeviceFor(ulong experimentSeed, int devices, int index)
        => Device >= 0 ? Device : new DeterministicRandom(Seeds.Derive(experimentSeed, Seeds.None, index, SeedPurpose.Attack)).NextInt(devices);
}
