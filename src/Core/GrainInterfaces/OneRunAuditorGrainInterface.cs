using FedSim.Attacks.Auditing;
using FedSim.Scenario;

namespace FedSim.GrainInterfaces;

/// <summary>
/// A one-run auditor (<see cref="OneRunAuditOptions"/>): black-box access to each released model, like an outsider, and
/// the canaries it planted in the federation's data.
/// </summary>
public interface IOneRunAuditorGrain : IAttackerGrain
{
    /// <param name="canaries">The DP guarantee on its canaries' unit at this round (what its ε lower bound is set beside).</param>
    /// <param name="release">The model released after an audited round; null on other rounds.</param>
    Task ObserveAsync(ScenarioSpec scenario, RoundTruth truth, ViewGuarantee canaries, ReleasedModel? release);
}
