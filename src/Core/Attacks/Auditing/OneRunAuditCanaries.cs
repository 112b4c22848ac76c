using FedSim.Attacks.Inference;
using FedSim.Data;
using FedSim.Determinism;

namespace FedSim.Attacks.Auditing;

/// <summary>
/// A one-run audit's canaries as every silo derives them from the scenario: the rows they occupy at the end of the
/// training split, the coin that included or left out each, and the device that holds it. Lives beside the silo's
/// data (never serialized); the auditor reads the coins only to judge its guesses, as the membership audit's judge reads
/// who trained on what.
/// </summary>
public sealed class OneRunCanarySet
{
    /// <summary>Why an excluded canary device sends nothing (failures.csv).</summary>
    public const string LeftOutReason = "one-run audit: a canary device whose coin left it out of the federation";

    private readonly HashSet<long> _leftOutDevices;

    internal OneRunCanarySet(string unit, int[][] rows, bool[] included, long[] holders, int firstRow)
    {
        Unit = unit;
        Rows = rows;
        Included = included;
        Holders = holders;
        FirstRow = firstRow;
        _leftOutDevices = unit == OneRunAuditUnits.Device ? holders.Where((_, i) => !included[i]).ToHashSet() : [];
    }

    /// <summary><see cref="OneRunAuditUnits.Record"/> or <see cref="OneRunAuditUnits.Device"/>.</summary>
    public string Unit { get; }

    /// <summary>Each canary's rows in the training split: one record, or a canary device's whole shard.</summary>
    public int[][] Rows { get; }

    /// <summary>Each canary's coin: true when it is in the training.</summary>
    public bool[] Included { get; }

    /// <summary>The device holding each canary: the one whose shard takes an included record, or the canary device itself.</summary>
    public long[] Holders { get; }

    /// <summary>The first canary row: rows before it are the dataset's own.</summary>
    public int FirstRow { get; }

    public int Count => Rows.Length;

    /// <summary>Whether <paramref name="device"/> is a canary device its coin left out: it declines every round, as if it did not exist.</summary>
    public bool LeavesOut(long device) => _leftOutDevices.Contains(device);

    /// <summary><paramref name="partition"/> without canary rows: what the membership audit's judge may call members.</summary>
    public int[][] WithoutCanaries(int[][] partition) => partition.Select(rows => rows.Where(r => r < FirstRow).ToArray()).ToArray();

    /// <summary>
    /// Each canary's score from the released model's outputs on every canary row (in <see cref="Rows"/>' order): minus
    /// its mean loss, so a canary the model fits better scores higher, i.e. looks included.
    /// </summary>
    public double[] Scores(ModelOutputs outputs)
    {
        ArgumentNullException.ThrowIfNull(outputs);
        int total = Rows.Sum(r => r.Length);
        if (outputs.Count != total) throw new ArgumentException($"{outputs.Count} outputs for {total} canary rows", nameof(outputs));
        var scores = new double[Count];
        int at = 0;
        for (int i = 0; i < Count; i++)
        {
            double loss = 0;
            for (int j = 0; j < Rows[i].Length; j++) loss += outputs.Loss(at++);
            scores[i] = -loss / Rows[i].Length;
        }
        return scores;
    }
}

/// <summary>
/// Puts a one-run audit's canaries into a federation's data (Steinke, Nasr and Jagielski 2023, Algorithm 1): m records
/// that are not in the dataset, appended to the training split, each included by its own fair coin and otherwise kept
/// out. A canary record's features are drawn feature by feature from the training rows (the product of the features'
/// marginals, so every value is one the dataset has) and its label uniformly, so it matches no real record and a model
/// learns it only by seeing it. Record canaries join their device's shard when included; device canaries are whole
/// devices (taken from the population, their own records set aside) whose shard is their canary records when
/// included, and which decline every round when left out: under DP-FedAvg, whose noise and normaliser do not depend on
/// who takes part, that is exactly a federation without them.
/// </summary>
public static class OneRunAuditCanaries
{
    /// <summary>The data with the canaries in: the split with their rows appended, the partitions, and the canaries.</summary>
    public sealed record Insertion(DatasetSplit Split, int[][] Training, int[][] HeldOut, OneRunCanarySet Canaries);

    private const int Coins = 1, Holders = 2, Records = 3;

    /// <param name="unit">The resolved unit (<see cref="OneRunAuditOptions.UnitFor"/>): record or device.</param>
    /// <param name="seed">Seeds.Derive(experiment, None, None, OneRunAuditCanaries).</param>
    public static Insertion Insert(DatasetSplit split, int[][] training, int[][] heldOut, OneRunAuditOptions options, string unit, ulong seed)
    {
        ArgumentNullException.ThrowIfNull(split);
        ArgumentNullException.ThrowIfNull(options);
        int m = options.Canaries, devices = training.Length;
        bool perDevice = unit == OneRunAuditUnits.Device;
        if (perDevice && m >= devices)
            throw new ArgumentException($"a one-run audit of {m} canary devices needs more than {m} devices, but there are {devices}");
        var coins = new DeterministicRandom(Seeds.OneRunCanaryDraws(seed, Coins));
        var included = Enumerable.Range(0, m).Select(_ => coins.NextDouble() < 0.5).ToArray();
        var holders = HoldersOf(options, perDevice, devices, new DeterministicRandom(Seeds.OneRunCanaryDraws(seed, Holders)));
        int perCanary = perDevice ? options.RecordsPerDevice : 1;
        int first = split.Train.Count;
        var rows = Enumerable.Range(0, m).Select(i => Enumerable.Range(first + i * perCanary, perCanary).ToArray()).ToArray();
        var train = WithCanaryRecords(split.Train, m * perCanary, new DeterministicRandom(Seeds.OneRunCanaryDraws(seed, Records)));

        var newTraining = training.Select(r => r.ToList()).ToArray();
        var newHeldOut = heldOut.Select(r => r.ToList()).ToArray();
        for (int i = 0; i < m; i++)
        {
            int holder = (int)holders[i];
            if (perDevice)
            {
                newTraining[holder].Clear(); // a canary device holds nothing of the dataset
                newHeldOut[holder].Clear();
            }
            if (included[i]) newTraining[holder].AddRange(rows[i]);
        }
        var canaries = new OneRunCanarySet(unit, rows, included, holders, first);
        return new Insertion(split with { Train = train }, newTraining.Select(r => r.ToArray()).ToArray(), newHeldOut.Select(r => r.ToArray()).ToArray(), canaries);
    }

    /// <summary>Record canaries: the set device, or one drawn per canary; device canaries: m distinct devices (Floyd's sampling), in order.</summary>
    private static long[] HoldersOf(OneRunAuditOptions options, bool perDevice, int devices, DeterministicRandom rng)
    {
        int m = options.Canaries;
        if (perDevice) return [.. RandomSubsets.Floyd(devices, m, rng).Order()];
        if (options.CanaryHolder >= 0)
        {
            if (options.CanaryHolder >= devices) throw new ArgumentException($"the one-run audit's canary holder {options.CanaryHolder} is outside 0..{devices - 1}");
            return Enumerable.Repeat(options.CanaryHolder, m).ToArray();
        }
        return Enumerable.Range(0, m).Select(_ => (long)rng.NextInt(devices)).ToArray();
    }

    /// <summary><paramref name="train"/> with <paramref name="count"/> canary records appended (a copy: the loaded split is shared).</summary>
    private static Dataset WithCanaryRecords(Dataset train, int count, DeterministicRandom rng)
    {
        if (train.Count == 0) throw new ArgumentException("a one-run audit draws its canaries from the training data's features, but the training split is empty");
        int width = train.FeatureCount, original = train.Count;
        var features = new float[(long)(original + count) * width];
        Array.Copy(train.Features, features, train.Features.LongLength);
        var labels = new int[original + count];
        Array.Copy(train.Labels, labels, original);
        for (int c = 0; c < count; c++)
        {
            long at = (long)(original + c) * width;
            for (int f = 0; f < width; f++) features[at + f] = train.Features[(long)rng.NextInt(original) * width + f];
            labels[original + c] = rng.NextInt(train.ClassCount);
        }
        // Owners (groups) belong to the dataset's own records and have been used by the partition already.
        return new Dataset(train.Name, features, labels, width, train.ClassCount, train.Image, groups: null, train.GroupNames, train.FeatureNames)
        {
            Text = train.Text,
            MissingValues = train.MissingValues,
        };
    }
}
