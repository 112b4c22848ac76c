using FedSim.Training;

namespace FedSim.Strategies.ClientObjectives;

/// <summary>FedProx's client (Li et al. 2020): local training with the proximal term μ/2·‖w − w_global‖².</summary>
public sealed class ProximalObjective(double mu) : ClientObjective
{
    public override IReadOnlyList<PlanModifier> Modifiers { get; } = [new ProximalTerm((float)mu)];
}
