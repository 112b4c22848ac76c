using FedSim.Attacks.Auditing;
using FedSim.Scenario;
using FedSim.GrainInterfaces;
using FedSim.Rounds;

namespace FedSim.Attackers;

/// <summary>The attacker tap's way to the attacker grains of one experiment, each addressed by its threat model's interface.</summary>
internal sealed class GrainAttackerChannel(IGrainFactory grains, string experimentId, ScenarioSpec scenario) : IAttackerChannel
{
    public Task ToOutsiderAsync(int attacker, RoundTruth truth, ReleasedModel? release)
        => grains.GetGrain<IOutsiderAttackerGrain>(Key(attacker)).ObserveAsync(scenario, truth, release);

    public Task ToServerAsync(int attacker, RoundTruth truth, ServerObservation? view)
        => grains.GetGrain<IServerAttackerGrain>(Key(attacker)).ObserveAsync(scenario, truth, view);

    public Task ToClientAsync(int attacker, RoundTruth truth, ReleasedModel release)
        => grains.GetGrain<IClientAttackerGrain>(Key(attacker)).ObserveAsync(scenario, truth, release);

    public Task ToOneRunAuditorAsync(int attacker, RoundTruth truth, ViewGuarantee canaries, ReleasedModel? release)
        => grains.GetGrain<IOneRunAuditorGrain>(Key(attacker)).ObserveAsync(scenario, truth, canaries, release);

    private string Key(int attacker) => new AttackerKey(experimentId, attacker).ToString();
}
