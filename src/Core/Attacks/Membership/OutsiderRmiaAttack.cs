using FedSim.Attacks.Auditing;
using FedSim.Attacks.Inference;
using FedSim.Determinism;

namespace FedSim.Attacks.Membership;

/// <summary>
/// The outsider's RMIA (<see cref="RmiaAttack"/>): each audited record's likelihood ratio against population records z
/// drawn from the attacker's auxiliary data, with the online marginal over all reference models.
/// </summary>
public sealed class OutsiderRmiaAttack : OutsiderAttack
{
    public override string Name => AttackNames.Rmia;
    public override int Order => 70;
    public override string Summary => "how often the record's likelihood ratio beats population records' (Zarifzadeh et al. 2024)";
    public override AttackNeeds Needs => AttackNeeds.ReleasedModelOutputs | AttackNeeds.ReferenceModels;

    public override async Task<double[]> ScoreAsync(OutsiderEvidence evidence, CancellationToken cancellationToken = default)
    {
        var options = evidence.Options;
        var references = evidence.References;
        var population = RandomSubsets.Pick(evidence.Auxiliary, Math.Min(options.RmiaPopulation, evidence.Auxiliary.Count), evidence.Picks);
        var targetZ = await evidence.Released.QueryAsync(population, cancellationToken);
        var referenceZ = await evidence.Compute.OutputsAsync(references.Models.Weights, population, cancellationToken);
        var marginalX = RmiaAttack.MarginalOnline(references.Signals(nameof(ModelOutputs.TrueLabelProbabilities), o => o.TrueLabelProbabilities()));
        var marginalZ = RmiaAttack.MarginalOnline(ReferenceSignals.FromModels(referenceZ.Select(o => o.TrueLabelProbabilities()).ToArray(),
            references.Models.TrainedOn(population)));
        return RmiaAttack.Scores(evidence.Target.TrueLabelProbabilities(), marginalX, targetZ.TrueLabelProbabilities(), marginalZ, options.RmiaGamma);
    }
}
