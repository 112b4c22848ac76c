using FedSim.Attacks.Auditing;
using FedSim.Attacks.Inference;

namespace FedSim.Attacks.Membership;

/// <summary>
/// The loss attack (Yeom et al. 2018) on the model the update reveals, w + Δ: the device's own model after its local
/// training, fitted to its records alone and not yet averaged with anyone's. On a model that has already memorised its
/// members the loss reduction says little (a member's loss is near 0 before and after), while w + Δ still fits the
/// device's members more tightly than the global model does.
/// </summary>
public sealed class ServerLocalLossAttack : ServerAttack
{
    public override string Name => AttackNames.LocalLoss;
    public override int Order => 20;
    public override string Summary => "the loss attack on the device's own model, the global model plus its update";

    public override double[] Score(ServerEvidence evidence) => LossAttack.Scores(evidence.AtUpdated);
}
