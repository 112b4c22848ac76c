using FedSim.Attacks.Auditing;
using FedSim.Attacks.Inference;

namespace FedSim.Attacks.Membership;

/// <summary>The malicious client's passive attack: the loss attack (Yeom et al. 2018) on the global model it receives.</summary>
public sealed class ClientLossAttack : ClientAttack
{
    public override string Name => AttackNames.Loss;
    public override int Order => 20;
    public override string Summary => "passive: the loss on the global model it receives";
    public override AttackNeeds Needs => AttackNeeds.ReleasedModelOutputs;

    public override ClientVerdict Score(ClientEvidence evidence) => new(LossAttack.Scores(evidence.Received),
        evidence.AfterAscent is null
            ? $"no ascent before this audit (device {evidence.Device} was not sampled in round {evidence.AscentRound}, or gradient-ascent is off)"
            : null);
}
