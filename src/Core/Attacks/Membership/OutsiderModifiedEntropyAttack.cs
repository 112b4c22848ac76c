using FedSim.Attacks.Auditing;
using FedSim.Attacks.Inference;

namespace FedSim.Attacks.Membership;

/// <summary>The outsider's modified-entropy attack (<see cref="ModifiedEntropyAttack"/>) on the released model.</summary>
public sealed class OutsiderModifiedEntropyAttack : OutsiderAttack
{
    public override string Name => AttackNames.ModifiedEntropy;
    public override int Order => 30;
    public override string Summary => "the label-aware entropy of the released model's outputs (Song and Mittal 2021)";
    public override AttackNeeds Needs => AttackNeeds.ReleasedModelOutputs;

    public override Task<double[]> ScoreAsync(OutsiderEvidence evidence, CancellationToken cancellationToken = default)
        => Task.FromResult(ModifiedEntropyAttack.Scores(evidence.Target));
}
