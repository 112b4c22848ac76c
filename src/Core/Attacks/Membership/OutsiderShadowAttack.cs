using FedSim.Attacks.Auditing;
using FedSim.Attacks.Inference;
using FedSim.Determinism;

namespace FedSim.Attacks.Membership;

/// <summary>
/// The outsider's shadow-model attack (<see cref="ShadowModelAttack"/>): a classifier trained on the reference models'
/// outputs of records whose membership the attacker knows (its auxiliary records, IN or OUT of each reference model),
/// then applied to the released model's outputs.
/// </summary>
public sealed class OutsiderShadowAttack : OutsiderAttack
{
    /// <summary>Auxiliary records whose membership in each reference model trains the classifier.</summary>
    public const int ShadowRecords = 2000;

    public override string Name => AttackNames.Shadow;
    public override int Order => 40;

    // It has always drawn its records after RMIA's population; recorded results depend on that.
    public override int ScoringOrder => 80;

    public override string Summary => "a classifier trained on reference models' outputs of records of known membership (Shokri et al. 2017)";
    public override AttackNeeds Needs => AttackNeeds.ReleasedModelOutputs | AttackNeeds.ReferenceModels;

    public override async Task<double[]> ScoreAsync(OutsiderEvidence evidence, CancellationToken cancellationToken = default)
    {
        var references = evidence.References;
        var shadowData = RandomSubsets.Pick(evidence.Auxiliary, Math.Min(ShadowRecords, evidence.Auxiliary.Count), evidence.Picks);
        var shadowOutputs = await evidence.Compute.OutputsAsync(references.Models.Weights, shadowData, cancellationToken);
        var membership = references.Models.TrainedOn(shadowData);
        var attack = ShadowModelAttack.Train(shadowOutputs.Select((o, m) => new ShadowModelOutputs(o, membership[m])).ToArray());
        return attack.Scores(evidence.Target);
    }
}
