using FedSim.Attacks.Auditing;
using FedSim.Attacks.Inference;

namespace FedSim.Attacks.Membership;

/// <summary>The outsider's loss-threshold attack (<see cref="LossAttack"/>) on the released model.</summary>
public sealed class OutsiderLossAttack : OutsiderAttack
{
    public override string Name => AttackNames.Loss;
    public override int Order => 10;
    public override string Summary => "the released model's loss on the record, low for members (Yeom et al. 2018)";
    public override AttackNeeds Needs => AttackNeeds.ReleasedModelOutputs;

    public override Task<double[]> ScoreAsync(OutsiderEvidence evidence, CancellationToken cancellationToken = default)
        => Task.FromResult(LossAttack.Scores(evidence.Target));
}
