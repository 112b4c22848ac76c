using FedSim.Attacks.Auditing;
using FedSim.Attacks.Inference;

namespace FedSim.Attacks.Membership;

/// <summary>
/// Nasr, Shokri and Houmansadr 2019's active attack, measured: the drop of each target's loss from the model released
/// after the client's ascent round to the one it receives now. The ascent raised every target's loss; a member's owner
/// pulls it back down, a non-member's loss stays up.
/// </summary>
public sealed class ClientGradientAscentAttack : ClientAttack
{
    public override string Name => AttackNames.GradientAscent;
    public override int Order => 10;
    public override string Summary => "active: the loss drop after its ascent (Nasr et al. 2019)";
    public override AttackNeeds Needs => AttackNeeds.ReleasedModelOutputs | AttackNeeds.GradientAscent;

    public override ClientVerdict? Score(ClientEvidence evidence) => evidence.AfterAscent is { } afterAscent
        ? new(UpdateAttack.LossReduction(afterAscent.Losses(), evidence.Received.Losses()),
            $"device {evidence.Device} ascended on these records in round {evidence.AscentRound}")
        : null;
}
