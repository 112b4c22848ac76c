using System.Globalization;

namespace FedSim.Attacks.Auditing;

/// <summary>
/// The DP guarantee that covers what one threat model sees, or why none does. An audit is checked against
/// <see cref="Epsilon"/> only when it is set: a bound is a statement about one view of the training, and checking an
/// attacker against the ε of a mechanism that does not stand between it and the data would report violations of a
/// promise nobody made.
/// </summary>
/// <param name="Epsilon">The ε that bounds membership inference on this view, at <see cref="Delta"/>; null when no mechanism covers it.</param>
/// <param name="Delta">The δ the ε is accounted at; null with <see cref="Epsilon"/>.</param>
/// <param name="Basis">Which mechanism gives the ε, or why none applies and which would.</param>
[GenerateSerializer, Immutable]
public sealed record ViewGuarantee([property: Id(0)] double? Epsilon, [property: Id(1)] double? Delta, [property: Id(2)] string Basis);

/// <summary>
/// Which DP mechanisms a run has, and so which views they protect. Central DP (DP-FedAvg) adds its noise to the
/// aggregate the server releases: it bounds what the released models reveal (outsiders, and clients, who receive
/// them), not the individual updates the server receives, nor (under secure aggregation, where the server decodes the
/// sum before adding the noise) the un-noised sum it holds. Local DP (DP-SGD on each device) noises every update
/// before it leaves the device, so it bounds every view; its ε is the largest any device spent. With both, the
/// released models are covered by each and the smaller ε holds.
/// </summary>
/// <param name="Delta">The δ both mechanisms are accounted at (<c>privacy.delta</c>).</param>
public sealed record PrivacyCoverage(bool Central, bool Local, bool SecureAggregation, double Delta)
{
    /// <summary>The view a threat model attacks: the released models (outsider, client) or the updates the server holds.</summary>
    public static bool SeesUpdates(string threatModel) => threatModel == ThreatModels.Server;

    /// <summary>The guarantee of <paramref name="threatModel"/>'s view given this round's central and local ε (null when that mechanism is off).</summary>
    public ViewGuarantee For(string threatModel, double? centralEpsilon, double? localEpsilon)
    {
        if (Uncovered(threatModel) is { } reason) return new ViewGuarantee(null, null, reason);
        if (SeesUpdates(threatModel) || !Central) return new ViewGuarantee(localEpsilon, Delta, LocalBasis);
        if (!Local) return new ViewGuarantee(centralEpsilon, Delta, "central DP (DP-FedAvg) on the released model");
        return centralEpsilon <= localEpsilon || localEpsilon is null
            ? new ViewGuarantee(centralEpsilon, Delta, "central DP (DP-FedAvg), the smaller of its ε and local DP's")
            : new ViewGuarantee(localEpsilon, Delta, "local DP (DP-SGD on the devices), the smaller of its ε and central DP's");
    }

    /// <summary>Why no mechanism covers <paramref name="threatModel"/>'s view, naming the one that would; null when one does.</summary>
    public string? Uncovered(string threatModel)
    {
        if (Local) return null;
        if (!SeesUpdates(threatModel))
            return Central ? null : "no DP mechanism is on: privacy.central or privacy.local would bound what the released models reveal";
        if (!Central) return "no DP mechanism is on: privacy.local (DP-SGD on the devices) would bound what the server sees";
        return SecureAggregation
            ? "central DP does not protect what the server holds: under secure aggregation it decodes the un-noised sum and adds the noise itself; privacy.local (DP-SGD on the devices) would bound it"
            : "central DP does not protect individual updates from the server: it noises only the released model; privacy.local (DP-SGD on the devices) would bound them";
    }

    /// <summary>
    /// The guarantee on a one-run audit's canaries, by the unit a coin includes or leaves out: a record is what local DP
    /// protects (the largest device ε), a whole device what central DP protects. Central DP alone says nothing about one
    /// record (a canary record changes one device's data), nor local DP about one device (whether it takes part at all,
    /// its example count and steps, travel in the clear).
    /// </summary>
    public ViewGuarantee ForCanaries(string unit, double? centralEpsilon, double? localEpsilon)
    {
        if (!Central && !Local) return new ViewGuarantee(null, null, "no DP mechanism is on: privacy.local would protect canary records, privacy.central canary devices");
        if (unit == OneRunAuditUnits.Device)
            return Central
                ? new ViewGuarantee(centralEpsilon, Delta, "central DP (DP-FedAvg) protects each device: the canaries are whole devices")
                : new ViewGuarantee(null, null, "local DP protects records, not whether a device takes part (its update, example count and steps travel in the clear); audit unit: record, or add privacy.central");
        return Local
            ? new ViewGuarantee(localEpsilon, Delta, LocalBasis)
            : new ViewGuarantee(null, null, "central DP protects whole devices, and a canary record changes one device's data; audit unit: device, or add privacy.local");
    }

    /// <summary>Why no mechanism protects a one-run audit's canaries of <paramref name="unit"/>; null when one does.</summary>
    public string? UncoveredCanaries(string unit) => ForCanaries(unit, 0, 0) is { Epsilon: null } none ? none.Basis : null;

    private const string LocalBasis = "local DP (DP-SGD on the devices): every update is noised on its device; the largest device ε";

    /// <summary>"attacks[1] (server): ..." for every attacker whose view a DP run does not cover (none when the run has no DP at all).</summary>
    public IEnumerable<string> UncoveredAttackers(IReadOnlyList<AttackerOptions> attackers)
    {
        if (!Central && !Local) yield break; // no guarantee is claimed, so none can be misread
        for (int i = 0; i < attackers.Count; i++)
            if ((attackers[i] is OneRunAuditOptions oneRun ? UncoveredCanaries(oneRun.UnitFor(Central, Local)) : Uncovered(attackers[i].Kind)) is { } reason)
                yield return string.Create(CultureInfo.InvariantCulture, $"attacks[{i}] ({attackers[i].Kind}): its audits are not checked against ε: {reason}");
    }
}
