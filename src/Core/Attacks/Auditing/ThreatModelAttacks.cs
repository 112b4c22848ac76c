using FedSim.Attacks.Inference;
using FedSim.Determinism;

namespace FedSim.Attacks.Auditing;

/// <summary>
/// The reference models an attacker trains for shadow, LiRA and RMIA: K models of the target's architecture and
/// recipe, each on a random half of the records it holds (its auxiliary records and the audited ones), drawn as the
/// LiRA authors draw them: every record is IN for exactly K/2 models, so each audited record has K/2 IN and K/2 OUT
/// models. All K train together through the compute pool (one cohort).
/// </summary>
public sealed class ReferenceModels
{
    private ReferenceModels(float[][] weights, int[] records, bool[][] trainedOn)
    {
        Weights = weights;
        _index = records.Select((r, i) => (r, i)).ToDictionary(p => p.r, p => p.i);
        _trainedOn = trainedOn;
    }

    private readonly Dictionary<int, int> _index;
    private readonly bool[][] _trainedOn;

    public float[][] Weights { get; }

    public int Count => Weights.Length;

    /// <summary>Per model, whether it trained on each of <paramref name="records"/> (records it never saw: false).</summary>
    public bool[][] TrainedOn(IReadOnlyList<int> records) =>
        _trainedOn.Select(mask => records.Select(r => _index.TryGetValue(r, out int i) && mask[i]).ToArray()).ToArray();

    public static async Task<ReferenceModels> TrainAsync(IAttackerCompute compute, IReadOnlyList<int> audited, IReadOnlyList<int> auxiliary,
        int count, int epochs, ulong seed, CancellationToken cancellationToken = default)
    {
        if (count < 2 || count % 2 != 0) throw new ArgumentOutOfRangeException(nameof(count), count, "reference models come in an even number ≥ 2");
        var records = audited.Concat(auxiliary).Distinct().ToArray();
        var rng = new DeterministicRandom(seed);
        var trainedOn = Enumerable.Range(0, count).Select(_ => new bool[records.Length]).ToArray();
        var models = Enumerable.Range(0, count).ToArray();
        for (int i = 0; i < records.Length; i++)
        {
            // K/2 of the K models for record i; the shuffle carries on from the previous record's order.
            RandomSubsets.PartialShuffle<int>(models, count / 2, rng);
            for (int j = 0; j < count / 2; j++) trainedOn[models[j]][i] = true;
        }
        var jobs = Enumerable.Range(0, count).Select(m =>
        {
            var rows = records.Where((_, i) => trainedOn[m][i]).ToArray();
            return new ModelTraining(compute.Initialize(Seeds.ReferenceModelInitialization(seed, m)), rows, epochs, Seeds.ReferenceModelMinibatches(seed, m));
        }).ToArray();
        var weights = await compute.TrainAsync(jobs, cancellationToken);
        return new ReferenceModels(weights, records, trainedOn);
    }
}

/// <summary>
/// The outsider's attacks on the released model: the score-based ones read only the target's outputs on the audited
/// records; shadow, LiRA and RMIA also read the attacker's reference models. Returns one score vector per attack, in
/// the audited records' order, higher meaning member.
/// </summary>
public static class OutsiderAttacks
{
    /// <summary>Auxiliary records whose membership in each reference model trains the shadow attack's classifier.</summary>
    public const int ShadowRecords = 2000;

    public static async Task<IReadOnlyDictionary<string, double[]>> ScoreAsync(OutsiderAttackerOptions options, IReleasedModel target,
        IAttackerCompute compute, IReadOnlyList<int> audited, IReadOnlyList<int> auxiliary, int referenceEpochs, ulong seed,
        CancellationToken cancellationToken = default)
    {
        var selected = options.Selected;
        var scores = new Dictionary<string, double[]>();
        var targetX = await target.QueryAsync(audited, cancellationToken);
        if (selected.Contains(AttackNames.Loss)) scores[AttackNames.Loss] = LossAttack.Scores(targetX);
        if (selected.Contains(AttackNames.Confidence)) scores[AttackNames.Confidence] = ConfidenceAttack.Scores(targetX);
        if (selected.Contains(AttackNames.ModifiedEntropy)) scores[AttackNames.ModifiedEntropy] = ModifiedEntropyAttack.Scores(targetX);
        if (!selected.Any(AttackNames.NeedReferenceModels.Contains)) return Ordered(selected, scores);

        var rng = new DeterministicRandom(Seeds.OutsiderRecordPicks(seed));
        var references = await ReferenceModels.TrainAsync(compute, audited, auxiliary, options.ReferenceModels, referenceEpochs, seed, cancellationToken);
        var referenceX = await compute.OutputsAsync(references.Weights, audited, cancellationToken);
        var trainedOnX = references.TrainedOn(audited);

        if (selected.Contains(AttackNames.LiraOnline) || selected.Contains(AttackNames.LiraOffline))
        {
            var variance = options.LiraVariance == "per-example" ? LiraVariance.PerExample : LiraVariance.Global;
            var signals = ReferenceSignals.FromModels(referenceX.Select(o => o.LogitScaledConfidences()).ToArray(), trainedOnX);
            var phi = targetX.LogitScaledConfidences();
            if (selected.Contains(AttackNames.LiraOnline)) scores[AttackNames.LiraOnline] = LiraAttack.Online(phi, signals, variance);
            if (selected.Contains(AttackNames.LiraOffline)) scores[AttackNames.LiraOffline] = LiraAttack.Offline(phi, signals, variance);
        }
        if (selected.Contains(AttackNames.Rmia))
        {
            var population = RandomSubsets.Pick(auxiliary, Math.Min(options.RmiaPopulation, auxiliary.Count), rng);
            var targetZ = await target.QueryAsync(population, cancellationToken);
            var referenceZ = await compute.OutputsAsync(references.Weights, population, cancellationToken);
            var marginalX = RmiaAttack.MarginalOnline(ReferenceSignals.FromModels(referenceX.Select(o => o.TrueLabelProbabilities()).ToArray(), trainedOnX));
            var marginalZ = RmiaAttack.MarginalOnline(ReferenceSignals.FromModels(referenceZ.Select(o => o.TrueLabelProbabilities()).ToArray(),
                references.TrainedOn(population)));
            scores[AttackNames.Rmia] = RmiaAttack.Scores(targetX.TrueLabelProbabilities(), marginalX, targetZ.TrueLabelProbabilities(), marginalZ, options.RmiaGamma);
        }
        if (selected.Contains(AttackNames.Shadow))
        {
            // The shadow classifier learns from records the attacker itself knows the membership of: its auxiliary
            // records, IN or OUT of each reference model.
            var shadowData = RandomSubsets.Pick(auxiliary, Math.Min(ShadowRecords, auxiliary.Count), rng);
            var shadowOutputs = await compute.OutputsAsync(references.Weights, shadowData, cancellationToken);
            var membership = references.TrainedOn(shadowData);
            var attack = ShadowModelAttack.Train(shadowOutputs.Select((o, m) => new ShadowModelOutputs(o, membership[m])).ToArray());
            scores[AttackNames.Shadow] = attack.Scores(targetX);
        }
        return Ordered(selected, scores);
    }

    private static Dictionary<string, double[]> Ordered(IReadOnlyList<string> selected, Dictionary<string, double[]> scores)
        => selected.Where(scores.ContainsKey).ToDictionary(a => a, a => scores[a]);
}

/// <summary>The honest-but-curious server's attack on an update it received.</summary>
public static class ServerAttacks
{
    /// <summary>
    /// <see cref="UpdateAttack.LossReduction"/> of each candidate: its loss at the global model the update started from
    /// minus its loss after the update. Higher for the records the update trained on.
    /// </summary>
    public static async Task<double[]> UpdateScoresAsync(IAttackerCompute compute, float[] globalWeights, float[] update, IReadOnlyList<int> candidates,
        CancellationToken cancellationToken = default)
        => (await ScoreAsync(compute, globalWeights, update, candidates, [AttackNames.Update], cancellationToken))[AttackNames.Update];

    /// <summary>
    /// The <paramref name="selected"/> server attacks on one update, from one pass over the candidates:
    /// <see cref="AttackNames.Update"/> (<see cref="UpdateScoresAsync"/>) and <see cref="AttackNames.LocalLoss"/>, the loss
    /// attack (Yeom et al. 2018) on the model the update reveals, w + Δ: the device's own model after its local training,
    /// fitted to its records alone and not yet averaged with anyone's. On a model that has already memorised its
    /// members the loss reduction says little (a member's loss is near 0 before and after), while w + Δ still fits
    /// the device's members more tightly than the global model does.
    /// </summary>
    public static async Task<IReadOnlyDictionary<string, double[]>> ScoreAsync(IAttackerCompute compute, float[] globalWeights, float[] update,
        IReadOnlyList<int> candidates, IReadOnlyList<string> selected, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(compute);
        ArgumentNullException.ThrowIfNull(selected);
        if (globalWeights.Length != update.Length)
            throw new ArgumentException($"update attack: the update has {update.Length} values, the global model {globalWeights.Length}");
        var after = new float[globalWeights.Length];
        for (int i = 0; i < after.Length; i++) after[i] = globalWeights[i] + update[i];
        var outputs = await compute.OutputsAsync([globalWeights, after], candidates, cancellationToken);
        var scores = new Dictionary<string, double[]>();
        foreach (string attack in selected)
            scores[attack] = attack switch
            {
                AttackNames.Update => UpdateAttack.LossReduction(outputs[0].Losses(), outputs[1].Losses()),
                AttackNames.LocalLoss => LossAttack.Scores(outputs[1]),
                _ => throw new ArgumentException($"the server has no attack '{attack}'; it runs {AttackNames.Update} and {AttackNames.LocalLoss}", nameof(selected)),
            };
        return scores;
    }
}

/// <summary>The malicious client's attacks, on the global models it received.</summary>
public static class ClientAttacks
{
    /// <summary>
    /// Nasr et al. 2019's active attack, measured: the drop of each target's loss from the model released after the
    /// client's ascent round to the next one. The ascent raised every target's loss; a member's owner pulls it back
    /// down, a non-member's loss stays up.
    /// </summary>
    public static double[] ActiveScores(ModelOutputs afterAscent, ModelOutputs next)
    {
        ArgumentNullException.ThrowIfNull(afterAscent);
        ArgumentNullException.ThrowIfNull(next);
        return UpdateAttack.LossReduction(afterAscent.Losses(), next.Losses());
    }
}
