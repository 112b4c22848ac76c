using FedSim.Attacks.Auditing;
using FedSim.Attacks.Inference;

namespace FedSim.Attacks.Membership;

/// <summary>The outsider's confidence attack (<see cref="ConfidenceAttack"/>) on the released model.</summary>
public sealed class OutsiderConfidenceAttack : OutsiderAttack
{
    public override string Name => AttackNames.Confidence;
    public override int Order => 20;
    public override string Summary => "the probability the released model gives the true label (Song and Mittal 2021)";
    public override AttackNeeds Needs => AttackNeeds.ReleasedModelOutputs;

    public override Task<double[]> ScoreAsync(OutsiderEvidence evidence, CancellationToken cancellationToken = default)
        => Task.FromResult(ConfidenceAttack.Scores(evidence.Target));
}
