using FedSim.Attacks.Auditing;
using FedSim.Attacks.Inference;
using FedSim.Components;

namespace FedSim.Attacks.Membership;

/// <summary>
/// What both LiRA variants (<see cref="LiraAttack"/>) share: the logit-scaled confidence on the released and the
/// reference models, the variance option, and the rule that each side needs a spread.
/// </summary>
public abstract class OutsiderLiraAttack : OutsiderAttack
{
    public override AttackNeeds Needs => AttackNeeds.ReleasedModelOutputs | AttackNeeds.ReferenceModels;

    public override IEnumerable<ComponentFinding> Check(OutsiderAttackerOptions options, string path)
    {
        if (options.ReferenceModels < 4)
            yield return new($"{path}.reference_models",
                $"{path}.reference_models is {options.ReferenceModels}; LiRA fits a spread to each side, so it needs at least 2 reference models per side (reference_models ≥ 4)");
    }

    public override Task<double[]> ScoreAsync(OutsiderEvidence evidence, CancellationToken cancellationToken = default)
    {
        var variance = evidence.Options.LiraVariance == "per-example" ? LiraVariance.PerExample : LiraVariance.Global;
        var signals = evidence.References.Signals(nameof(ModelOutputs.LogitScaledConfidences), o => o.LogitScaledConfidences());
        return Task.FromResult(Score(evidence.Target.LogitScaledConfidences(), signals, variance));
    }

    protected abstract double[] Score(double[] targetSignals, ReferenceSignals references, LiraVariance variance);
}
