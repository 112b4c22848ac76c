using FedSim.Attacks.Poisoning;
using FedSim.Scenario;
using FedSim.GrainInterfaces;

namespace FedSim.Coordination;

/// <summary>
/// One round's colluding malicious devices (see <see cref="ICoalitionGrain"/>). Members are ordered by device id
/// before crafting, so the crafted updates never depend on the order members finished training.
/// </summary>
public sealed class CoalitionGrain : Grain, ICoalitionGrain
{
    private readonly SortedDictionary<long, DeviceUpdate> _honest = new();
    private readonly HashSet<long> _withdrawn = [];
    private readonly Dictionary<long, DeviceUpdate> _crafted = [];
    private bool _submitted;

    public async Task ContributeAsync(DeviceUpdate honest, ByzantineRole role, ScenarioSpec scenario)
    {
        if (_submitted && _crafted.TryGetValue(honest.DeviceId, out var crafted))
        {
            // A member asked again (the round is being replayed, or its first answer was lost): same update again.
            await GrainFactory.GetGrain<IExperimentGrain>(ExperimentId).SubmitUpdateAsync(crafted);
            return;
        }
        _honest[honest.DeviceId] = honest;
        await SubmitWhenCompleteAsync(role, scenario);
    }

    private string ExperimentId => this.GetPrimaryKeyString()[..this.GetPrimaryKeyString().LastIndexOf('/')];

    public async Task WithdrawAsync(long device, ByzantineRole role, ScenarioSpec scenario)
    {
        _withdrawn.Add(device);
        await SubmitWhenCompleteAsync(role, scenario);
    }

    private async Task SubmitWhenCompleteAsync(ByzantineRole role, ScenarioSpec scenario)
    {
        if (_submitted || _honest.Count + _withdrawn.Count < role.Members) return;
        _submitted = true;
        var members = _honest.Values.ToList();
        var attack = scenario.Byzantine ?? throw new InvalidOperationException("a coalition formed in a scenario without byzantine clients");
        // The coalition's own seed, not a member's: which member completes the coalition depends on timing.
        int round = members.FirstOrDefault()?.Round ?? 0;
        var context = new PoisoningContext(round, role.CohortSize, role.Members,
            Determinism.Seeds.Derive(scenario.Seed, round, Determinism.Seeds.None, Determinism.SeedPurpose.Attack));
        var crafted = members.Count == 0 ? [] : attack.Craft(members.Select(m => m.Delta).ToList(), context);
        var experiment = GrainFactory.GetGrain<IExperimentGrain>(ExperimentId);
        for (int i = 0; i < members.Count; i++) _crafted[members[i].DeviceId] = members[i] with { Delta = crafted[i] };
        foreach (var update in _crafted.Values.OrderBy(u => u.DeviceId))
            await experiment.SubmitUpdateAsync(update);
    }
}
