using FedSim.Attacks.Auditing;
using FedSim.Attacks.Inference;
using FedSim.Attackers;
using FedSim.Compute;
using FedSim.Scenario;
using FedSim.Data;
using FedSim.Determinism;
using FedSim.Training;
using Xunit.Abstractions;
using FedSim.Models;
using FedSim.Composition;

namespace FedSim.Tests.Attacks.Auditing;

/// <summary>
/// The audit's numbers mean what they say, end to end through the compute pool: every attack on a model that never
/// saw the members lands in the chance interval of the audit's size, and the same attacks find the members of a model
/// that memorised them.
/// </summary>
public sealed class AuditHonestyTests(ITestOutputHelper output) : IDisposable
{
    private const int Features = 16, Classes = 4;
    private static readonly TrainingPlan Recipe = new(OptimizerKinds.Sgd, 0.1f, 0f, 10, 1);
    private static readonly ModelSpec Model = new(ModelKinds.Mlp, Features, Classes, [32], null, [], 0);

    private readonly ComputePool _pool = new(new ComputePoolOptions(Device: "cpu", Workers: 1));
    private readonly ExperimentData _data = Build();

    public void Dispose() => _pool.Dispose();

    /// <summary>Overlapping Gaussian classes (noise 2.5x the spread of the centres): a model can memorise records it does not generalise to.</summary>
    private static Dataset Noisy(ulong seed, int count)
    {
        var rng = new DeterministicRandom(seed);
        var centres = new DeterministicRandom(7);
        var centre = Enumerable.Range(0, Classes * Features).Select(_ => centres.NextGaussian()).ToArray();
        var x = new float[count * Features];
        var y = new int[count];
        for (int i = 0; i < count; i++)
        {
            y[i] = rng.NextInt(Classes);
            for (int f = 0; f < Features; f++) x[i * Features + f] = (float)(centre[y[i] * Features + f] + 2.5 * rng.NextGaussian());
        }
        return new Dataset("noisy", x, y, Features, Classes);
    }

    private static ExperimentData Build()
    {
        var train = Noisy(1, 1600);
        var test = Noisy(2, 600);
        var partition = Enumerable.Range(0, 8).Select(d => Enumerable.Range(200 * d, 200).ToArray()).ToArray();
        var (training, heldOut) = AuditHoldout.Split(partition, 0.5, seed: 3);
        return new ExperimentData(new DatasetSplit(train, test), training, Model, PartitionStatistics.Compute(train, training), heldOut);
    }

    private PoolAttackerCompute Compute => new(_pool, _data, Recipe);

    private async Task<float[]> Train(Dataset data, int[] rows, int epochs, float[]? start = null, ulong seed = 5)
    {
        var initial = start ?? ModelLayout.Initialize(Model, seed);
        var result = await _pool.TrainAsync(new TrainingJob(0, Model, Recipe with { LocalEpochs = epochs }, initial, new ShardView(data, rows), seed));
        return initial.Zip(result.Delta, (w, d) => w + d).ToArray();
    }

    private sealed class Released(PoolAttackerCompute compute, float[] weights) : IReleasedModel
    {
        public int Round => 1;

        public async Task<ModelOutputs> QueryAsync(IReadOnlyList<int> records, CancellationToken cancellationToken = default)
            => (await compute.OutputsAsync([weights], records, cancellationToken))[0];
    }

    private async Task<IReadOnlyDictionary<string, MembershipMetrics>> AuditOutsider(float[] target)
    {
        var set = new AuditJudge(_data.Partition, _data.HeldOut).Draw(Enumerable.Range(0, 8).Select(d => (long)d), 250, auxiliary: true, seed: 11)!;
        // Every registered attack, the opt-in ones too.
        var options = new OutsiderAttackerOptions { Attacks = [.. new OutsiderAttackerOptions().Available], ReferenceModels = 4, RmiaPopulation = 250 };
        var scores = await OutsiderAttacks.ScoreAsync(options, new Released(Compute, target), Compute,
            set.Examples.Select(e => (int)e.Index).ToArray(), set.AttackerAuxiliary.Select(i => (int)i).ToArray(), referenceEpochs: 25, seed: 13);
        var metrics = scores.ToDictionary(s => s.Key, s => MembershipMetrics.Of(new AuditScores(s.Value, set.IsMember())));
        foreach (var (attack, m) in metrics) output.WriteLine($"{attack}: AUC {m.Auc:F3}, TPR@1% {m.TprAt1PctFpr:P1}, n = {m.Members}+{m.NonMembers}");
        return metrics;
    }

    [Fact]
    public async Task Every_outsider_attack_on_a_model_that_never_saw_the_members_is_at_chance()
    {
        // Prepare: a model trained hard on the test split only, which shares no record with the audit.
        var blind = await Train(_data.Split.Test, Enumerable.Range(0, 600).ToArray(), epochs: 25);

        // Execute
        var metrics = await AuditOutsider(blind);

        // Assert: inside the 99.9 % interval a member-blind attack lands in, for this audit size.
        Assert.Equal(new OutsiderAttackerOptions().Available, metrics.Keys);
        foreach (var (attack, m) in metrics)
        {
            var (lo, hi) = AucInterval.Chance(m.Members, m.NonMembers, 0.999);
            Assert.True(m.Auc >= lo && m.Auc <= hi, $"{attack}: AUC {m.Auc:F3} outside the chance interval [{lo:F3}, {hi:F3}]");
        }
    }

    [Fact]
    public async Task The_same_attacks_find_the_members_of_a_model_that_memorised_them()
    {
        // Prepare: a model trained hard on every device's training records (the members).
        var overfit = await Train(_data.Split.Train, _data.Partition.SelectMany(p => p).ToArray(), epochs: 25);

        // Execute
        var metrics = await AuditOutsider(overfit);

        // Assert: well above chance for the loss attack, online LiRA and RMIA (offline LiRA has only 2 OUT models per record here).
        foreach (var attack in new[] { AttackNames.Loss, AttackNames.LiraOnline, AttackNames.Rmia })
        {
            var m = metrics[attack];
            var (_, hi) = AucInterval.Chance(m.Members, m.NonMembers, 0.999);
            Assert.True(m.Auc > hi + 0.05, $"{attack}: AUC {m.Auc:F3} is not clearly above chance ({hi:F3})");
        }
    }

    [Fact]
    public async Task The_update_attacks_find_a_devices_records_in_its_own_update_and_not_in_another_devices()
    {
        // Prepare: device 0 trains from a global model; device 1's update is audited against device 0's records.
        var global = await Train(_data.Split.Test, Enumerable.Range(0, 600).ToArray(), epochs: 2);
        var judge = new AuditJudge(_data.Partition, _data.HeldOut);
        var set = judge.Draw([0], 1000, auxiliary: false, seed: 3)!;
        var candidates = set.Examples.Select(e => (int)e.Index).ToArray();
        float[] Delta(float[] trained) => trained.Zip(global, (t, g) => t - g).ToArray();
        var own = Delta(await Train(_data.Split.Train, _data.Partition[0], epochs: 20, start: global));
        var other = Delta(await Train(_data.Split.Train, _data.Partition[1], epochs: 20, start: global));

        // Execute
        string[] attacks = [AttackNames.Update, AttackNames.LocalLoss];
        var ownScores = await ServerAttacks.ScoreAsync(Compute, global, own, candidates, attacks);
        var otherScores = await ServerAttacks.ScoreAsync(Compute, global, other, candidates, attacks);

        // Assert: both attacks, each scored as it would be on its own (the update attack as UpdateScoresAsync gives it).
        Assert.Equal(await ServerAttacks.UpdateScoresAsync(Compute, global, own, candidates), ownScores[AttackNames.Update]);
        foreach (string attack in attacks)
        {
            var ownAudit = MembershipMetrics.Of(new AuditScores(ownScores[attack], set.IsMember()));
            var otherAudit = MembershipMetrics.Of(new AuditScores(otherScores[attack], set.IsMember()));
            output.WriteLine($"{attack}: own update AUC {ownAudit.Auc:F3}; another device's update AUC {otherAudit.Auc:F3} (n = {ownAudit.Members}+{ownAudit.NonMembers})");
            var (lo, hi) = AucInterval.Chance(ownAudit.Members, ownAudit.NonMembers, 0.999);
            Assert.True(ownAudit.Auc > hi + 0.1, $"{attack}, own update: AUC {ownAudit.Auc:F3}");
            Assert.InRange(otherAudit.Auc, lo, hi);
        }
    }
}
