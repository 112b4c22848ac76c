using FedSim.Attacks.Auditing;
using FedSim.Attacks.Inference;

namespace FedSim.Attacks.Membership;

/// <summary>
/// The difficulty-calibrated loss attack (Watson, Guo, Cormode and Sablayrolles 2022, "On the importance of difficulty
/// calibration in membership inference attacks", ICLR): the loss attack's score minus the record's own difficulty,
/// estimated as its loss on reference models, s_cal(x) = ℓ(θ; x) − mean_g ℓ(g; x). A record that every model finds hard
/// (an outlier, a mislabelled one) no longer looks like a non-member, nor an easy one like a member.
/// The paper's reference models never trained on the record; of FedSim's reference models those are the record's OUT
/// models (half of them), so the difficulty is their mean loss. Score = −s_cal = mean_OUT ℓ − ℓ(θ; x), higher meaning
/// member. Opt-in, so scenarios that list no attacks keep their recorded audits.
/// </summary>
public sealed class OutsiderCalibratedLossAttack : OutsiderAttack
{
    public override string Name => "calibrated-loss";
    public override int Order => 15;
    public override string Summary => "the loss minus the record's mean loss on reference models that did not train on it (Watson et al. 2022)";
    public override AttackNeeds Needs => AttackNeeds.ReleasedModelOutputs | AttackNeeds.ReferenceModels;
    public override bool RunsByDefault => false;

    public override Task<double[]> ScoreAsync(OutsiderEvidence evidence, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(evidence);
        return Task.FromResult(Scores(evidence.Target.Losses(), evidence.References.Signals(nameof(ModelOutputs.Losses), o => o.Losses())));
    }

    /// <summary>mean(OUT losses) − target loss, per record.</summary>
    /// <param name="targetLosses">Each record's loss on the target model.</param>
    /// <param name="referenceLosses">Each record's losses on the reference models; only the OUT side is read.</param>
    public static double[] Scores(IReadOnlyList<double> targetLosses, ReferenceSignals referenceLosses)
    {
        ArgumentNullException.ThrowIfNull(targetLosses);
        ArgumentNullException.ThrowIfNull(referenceLosses);
        if (targetLosses.Count != referenceLosses.Count)
            throw new ArgumentException($"calibrated loss attack: {targetLosses.Count} target losses but reference losses of {referenceLosses.Count} records", nameof(referenceLosses));
        var scores = new double[targetLosses.Count];
        for (int i = 0; i < scores.Length; i++)
        {
            var difficulty = referenceLosses.Out[i];
            if (difficulty.Length == 0) throw new ArgumentException($"calibrated loss attack: record {i} has no reference model that did not train on it", nameof(referenceLosses));
            if (double.IsNaN(targetLosses[i])) throw new ArgumentException($"calibrated loss attack: the target loss of record {i} is NaN", nameof(targetLosses));
            scores[i] = difficulty.Average() - targetLosses[i];
        }
        return scores;
    }
}
