using FedSim.Attacks.Auditing;
using FedSim.Attacks.Inference;

namespace FedSim.Attacks.Membership;

/// <summary>
/// The server's update attack (<see cref="UpdateAttack.LossReduction"/>): each candidate's loss at the global model the
/// update started from minus its loss after the update. Higher for the records the update trained on.
/// </summary>
public sealed class ServerUpdateAttack : ServerAttack
{
    public override string Name => AttackNames.Update;
    public override int Order => 10;
    public override string Summary => "the loss reduction a single device's update gives each candidate record";

    public override double[] Score(ServerEvidence evidence) => UpdateAttack.LossReduction(evidence.AtGlobal.Losses(), evidence.AtUpdated.Losses());
}
