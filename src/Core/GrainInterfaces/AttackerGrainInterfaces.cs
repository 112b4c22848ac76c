using FedSim.Attacks.Auditing;
using FedSim.Scenario;

namespace FedSim.GrainInterfaces;

/// <summary>
/// A membership-inference attacker of one experiment (keyed <see cref="AttackerKey"/>): the coordinator's attacker tap
/// publishes to it what its threat model grants, every round's calls return at once, and its audits run in the
/// background on the compute pool. Each threat model is its own interface, so what an attacker can be handed is
/// fixed by its type.
/// </summary>
public interface IAttackerGrain : IGrainWithStringKey
{
    /// <summary>The audits finished so far, how many still run, and any that failed.</summary>
    Task<AttackerReport> GetReportAsync();
}

/// <summary>Black-box access to each released global model.</summary>
public interface IOutsiderAttackerGrain : IAttackerGrain
{
    /// <param name="release">The model released after an audited round; null on other rounds (only the judge's truth arrives).</param>
    Task ObserveAsync(ScenarioSpec scenario, RoundTruth truth, ReleasedModel? release);
}

/// <summary>The honest-but-curious coordinator's view of the rounds it runs.</summary>
public interface IServerAttackerGrain : IAttackerGrain
{
    /// <param name="view">What the server saw of an audited round; null on other rounds.</param>
    Task ObserveAsync(ScenarioSpec scenario, RoundTruth truth, ServerObservation? view);
}

/// <summary>
/// A malicious participant: it takes its device's assignments (the global model, the plan) as that device would,
/// trains, may add its own step, and submits the update in the device's name; it sees every released model.
/// </summary>
public interface IClientAttackerGrain : IAttackerGrain
{
    /// <summary>Its device's assignment for a round; returns at once, the update goes to the experiment when trained.</summary>
    Task BeginTrainingAsync(RoundAssignment assignment);

    Task ObserveAsync(ScenarioSpec scenario, RoundTruth truth, ReleasedModel release);
}

/// <summary>The attacker grain key: "experimentId/attacker/index", index = position in the scenario's attacks list.</summary>
public readonly record struct AttackerKey(string ExperimentId, int Index)
{
    private const string Infix = "/attacker/";

    public override string ToString() => $"{ExperimentId}{Infix}{Index}";

    public static AttackerKey Parse(string key)
    {
        int at = key.LastIndexOf(Infix, StringComparison.Ordinal);
        if (at <= 0 || !int.TryParse(key.AsSpan(at + Infix.Length), out int index))
            throw new ArgumentException($"attacker key '{key}' is not 'experimentId/attacker/index'");
        return new AttackerKey(key[..at], index);
    }

    /// <summary>The grain of the scenario's attacker <paramref name="index"/>, by its threat model.</summary>
    public static IAttackerGrain Grain(IGrainFactory grains, string experimentId, int index, AttackerOptions options)
    {
        string key = new AttackerKey(experimentId, index).ToString();
        return options.Kind switch
        {
            ThreatModels.Outsider => grains.GetGrain<IOutsiderAttackerGrain>(key),
            ThreatModels.Server => grains.GetGrain<IServerAttackerGrain>(key),
            ThreatModels.Client => grains.GetGrain<IClientAttackerGrain>(key),
            OneRunAuditOptions.KindName => grains.GetGrain<IOneRunAuditorGrain>(key),
            _ => throw new ArgumentException($"no attacker grain for threat model '{options.Kind}'"),
        };
    }
}
