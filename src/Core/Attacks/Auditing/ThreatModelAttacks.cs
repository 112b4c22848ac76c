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
/// Runs the outsider's selected attacks (<see cref="OutsiderAttack"/>) on the released model: it queries the target on
/// the audited records once and, when a selected attack needs them, trains the reference models once, then lets each
/// attack score. Returns one score vector per attack in report order, in the audited records' order, higher meaning member.
/// </summary>
public static class OutsiderAttacks
{
    public static async Task<IReadOnlyDictionary<string, double[]>> ScoreAsync(OutsiderAttackerOptions options, IReleasedModel target,
        IAttackerCompute compute, IReadOnlyList<int> audited, IReadOnlyList<int> auxiliary, int referenceEpochs, ulong seed,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(compute);
        var selected = options.SelectedAttacks.Cast<OutsiderAttack>().ToArray();
        var targetX = await target.QueryAsync(audited, cancellationToken);
        ReferenceEvidence? references = null;
        if (selected.Any(a => a.Uses(AttackNeeds.ReferenceModels)))
        {
            var models = await ReferenceModels.TrainAsync(compute, audited, auxiliary, options.ReferenceModels, referenceEpochs, seed, cancellationToken);
            references = new(models, await compute.OutputsAsync(models.Weights, audited, cancellationToken), models.TrainedOn(audited));
        }
        var evidence = new OutsiderEvidence(options, target, compute, audited, auxiliary, targetX, references,
            new DeterministicRandom(Seeds.OutsiderRecordPicks(seed)));
        var scores = new Dictionary<string, double[]>();
        foreach (var attack in selected.OrderBy(a => a.ScoringOrder))
            scores[attack.Name] = await attack.ScoreAsync(evidence, cancellationToken);
        return selected.ToDictionary(a => a.Name, a => scores[a.Name]);
    }
}

/// <summary>Runs the honest-but-curious server's attacks (<see cref="ServerAttack"/>) on an update it received.</summary>
public static class ServerAttacks
{
    /// <summary>The update attack (<see cref="AttackNames.Update"/>) alone.</summary>
    public static async Task<double[]> UpdateScoresAsync(IAttackerCompute compute, float[] globalWeights, float[] update, IReadOnlyList<int> candidates,
        CancellationToken cancellationToken = default)
        => (await ScoreAsync(compute, globalWeights, update, candidates, [AttackNames.Update], cancellationToken))[AttackNames.Update];

    /// <summary>
    /// The <paramref name="selected"/> server attacks on one update, from one pass over the candidates at the global model
    /// w the update started from and at w + Δ.
    /// </summary>
    public static async Task<IReadOnlyDictionary<string, double[]>> ScoreAsync(IAttackerCompute compute, float[] globalWeights, float[] update,
        IReadOnlyList<int> candidates, IReadOnlyList<string> selected, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(compute);
        ArgumentNullException.ThrowIfNull(selected);
        var attacks = selected.Select(name => MembershipAttacks.Find(ThreatModels.Server, name) as ServerAttack
            ?? throw new ArgumentException(
                $"the server has no attack '{name}'; it runs {string.Join(" and ", MembershipAttacks.NamesFor(ThreatModels.Server))}", nameof(selected))).ToArray();
        if (globalWeights.Length != update.Length)
            throw new ArgumentException($"update attack: the update has {update.Length} values, the global model {globalWeights.Length}");
        var after = new float[globalWeights.Length];
        for (int i = 0; i < after.Length; i++) after[i] = globalWeights[i] + update[i];
        var outputs = await compute.OutputsAsync([globalWeights, after], candidates, cancellationToken);
        var evidence = new ServerEvidence(outputs[0], outputs[1]);
        return attacks.ToDictionary(a => a.Name, a => a.Score(evidence));
    }
}
