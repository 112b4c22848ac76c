using System.Collections.Concurrent;
using System.Text.Json;
using FedSim.Attacks.Auditing;
using FedSim.Scenario;
using FedSim.Determinism;
using FedSim.Models;
using FedSim.Data;

namespace FedSim.Composition;

/// <summary>
/// One experiment's data as every silo derives it: the dataset split, the partition of training
/// samples over devices and the resolved model. Everything is a pure function of the scenario, so
/// each silo computes the same partition without shipping samples between silos.
/// </summary>
public sealed class ExperimentData
{
    internal ExperimentData(DatasetSplit split, int[][] partition, ModelSpec model, PartitionStatistics statistics, int[][]? heldOut = null)
    {
        Split = split;
        Partition = partition;
        HeldOut = heldOut ?? partition.Select(_ => Array.Empty<int>()).ToArray();
        Model = model;
        Statistics = statistics;
        _quality = new Lazy<DataQuality>(() => DataQuality.Compute(split, partition));
    }

    private readonly Lazy<DataQuality> _quality;

    public DatasetSplit Split { get; }
    /// <summary>Training-split rows each device trains on.</summary>
    public int[][] Partition { get; }
    /// <summary>
    /// Training-split rows of each device that it never trains on (<see cref="AuditHoldout"/>): the audit's non-members
    /// and the attackers' auxiliary data. Empty for every device unless the scenario lists attackers.
    /// </summary>
    public int[][] HeldOut { get; }
    public ModelSpec Model { get; }
    public PartitionStatistics Statistics { get; }

    /// <summary>Each device's own test records when the scenario evaluates per device (<see cref="DeviceTestSplit"/>); else null.</summary>
    public DeviceTests? DeviceTests { get; init; }

    /// <summary>The one-run audit's canaries when the scenario lists a one-run auditor (<see cref="OneRunAuditCanaries"/>); else null.</summary>
    public OneRunCanarySet? Canaries { get; init; }

    /// <summary>
    /// The membership audit's referee: the rows each device trains on, less any one-run canaries (records outside the
    /// dataset, neither members nor non-members of a membership audit), and the held-out rows.
    /// </summary>
    public AuditJudge MembershipJudge() => _judge ??= new AuditJudge(Canaries?.WithoutCanaries(Partition) ?? Partition, HeldOut);

    private AuditJudge? _judge;

    /// <summary>What attacks and triggers may know about the data's shape.</summary>
    public DataFacts Facts => _facts ??= new DataFacts(Split.Train.ClassCount, Split.Train.FeatureCount,
        Split.Train.Features.Length == 0 ? 1f : Split.Train.Features.Max(), Split.Train.Image);

    private DataFacts? _facts;
    private readonly ConcurrentDictionary<string, Dataset> _triggered = new();

    /// <summary>
    /// The server's root dataset (FLTrust): <paramref name="count"/> test-split samples drawn from the seed. They are
    /// held-out data the server may train on, so <see cref="EvaluationIndices"/> leaves them out.
    /// </summary>
    public int[] RootIndices(int count, ulong seed)
    {
        if (count <= 0) return [];
        if (count >= Split.Test.Count)
            throw new ArgumentException($"the server root dataset asks for {count} samples, but the test split has only {Split.Test.Count}; lower root_samples");
        var rng = new DeterministicRandom(Seeds.Derive(seed, Seeds.None, Seeds.None, SeedPurpose.ServerRoot));
        var picked = rng.Permutation(Split.Test.Count)[..count];
        Array.Sort(picked);
        return picked;
    }

    /// <summary>
    /// Test samples the global model is evaluated on: all but the server's root samples, capped at
    /// <paramref name="maxSamples"/> (0: no cap) by a seeded draw. Null means the whole test split.
    /// </summary>
    public int[]? EvaluationIndices(int maxSamples, int rootSamples, ulong seed)
    {
        var root = RootIndices(rootSamples, seed);
        if (root.Length == 0 && (maxSamples <= 0 || maxSamples >= Split.Test.Count)) return null;
        var excluded = root.ToHashSet();
        var rng = new DeterministicRandom(Seeds.Derive(seed, Seeds.None, Seeds.None, SeedPurpose.Evaluation));
        var candidates = rng.Permutation(Split.Test.Count).Where(i => !excluded.Contains(i)).ToArray();
        if (maxSamples > 0 && maxSamples < candidates.Length) candidates = candidates[..maxSamples];
        Array.Sort(candidates);
        return candidates;
    }

    /// <summary>
    /// The backdoor test set (cached): every test sample whose true label is not the target, with the trigger
    /// applied and the target as its label, so accuracy on it is the attack's success rate.
    /// </summary>
    public Dataset TriggeredTest(Training.BackdoorTrigger trigger) => _triggered.GetOrAdd(trigger.ToString(), _ =>
    {
        var test = Split.Test;
        var keep = Enumerable.Range(0, test.Count).Where(i => test.Labels[i] != trigger.TargetLabel).ToArray();
        var subset = test.Subset(keep, test.Name + " (backdoor trigger)");
        var pixels = trigger.FeatureIndices(subset.FeatureCount, subset.Image);
        for (int i = 0; i < subset.Count; i++)
        {
            foreach (int p in pixels) subset.Features[(long)i * subset.FeatureCount + p] = trigger.Value;
            subset.Labels[i] = trigger.TargetLabel;
        }
        return subset;
    });

    /// <summary>The data-quality summary, computed on first use (the runner asks; device grains never do).</summary>
    public DataQuality Quality => _quality.Value;

    /// <summary>The private shard of <paramref name="device"/> (a view, no copy).</summary>
    public ShardView Shard(long device)
    {
        if (device < 0 || device >= Partition.Length)
            throw new ArgumentOutOfRangeException(nameof(device), $"device {device} is outside 0..{Partition.Length - 1}");
        return new ShardView(Split.Train, Partition[device]);
    }
}

/// <summary>
/// Per-silo cache of <see cref="ExperimentData"/>: the many device grains of one experiment in a silo
/// share one loaded dataset and one partition.
/// </summary>
public sealed class ExperimentDataCache
{
    private readonly ConcurrentDictionary<string, Lazy<ExperimentData>> _byKey = new();

    public ExperimentData Get(ScenarioSpec scenario)
        => _byKey.GetOrAdd(Key(scenario), _ => new Lazy<ExperimentData>(() => Build(scenario))).Value;

    public static ExperimentData Build(ScenarioSpec scenario)
    {
        var split = DatasetCatalog.Load(scenario.Dataset, Directory.GetCurrentDirectory(), scenario.Seed);
        ulong partitionSeed = Seeds.Derive(scenario.Seed, Seeds.None, Seeds.None, SeedPurpose.Partition);
        var partition = Partitioners.Partition(split.Train, scenario.Dataset.Partition, scenario.Devices, partitionSeed);
        DeviceTests? deviceTests = null;
        if (scenario.Evaluation.PerDevice)
        {
            deviceTests = DeviceTestSplit.Natural(split.Train, split.Test, partition);
            if (deviceTests is null)
                (partition, deviceTests) = DeviceTestSplit.Holdout(split.Train, partition, scenario.Evaluation.DeviceTestFraction,
                    Seeds.Derive(scenario.Seed, Seeds.None, Seeds.None, SeedPurpose.DeviceEvaluation));
        }
        int[][]? heldOut = null;
        if (UsesAuditHoldout(scenario))
            (partition, heldOut) = AuditHoldout.Split(partition, scenario.Audit.Holdout,
                Seeds.Derive(scenario.Seed, Seeds.None, Seeds.None, SeedPurpose.AuditHoldout));
        var model = ModelSpecFactory.Create(scenario.Model, split.Train);
        OneRunCanarySet? canaries = null;
        if (ScenarioComposition.OneRunAudit(scenario) is { } oneRun)
        {
            var inserted = OneRunAuditCanaries.Insert(split, partition, heldOut ?? partition.Select(_ => Array.Empty<int>()).ToArray(), oneRun.Options,
                oneRun.Unit, Seeds.Derive(scenario.Seed, Seeds.None, Seeds.None, SeedPurpose.OneRunAuditCanaries));
            (split, partition, heldOut, canaries) = (inserted.Split, inserted.Training, inserted.HeldOut, inserted.Canaries);
        }
        return new ExperimentData(split, partition, model, PartitionStatistics.Compute(split.Train, partition), heldOut)
        {
            DeviceTests = deviceTests,
            Canaries = canaries,
        };
    }

    /// <summary>Whether an attacker needs members and non-members of the same devices, so every device holds part of its records out.</summary>
    private static bool UsesAuditHoldout(ScenarioSpec scenario) => scenario.Attacks.Any(a => a.UsesAuditHoldout);

    /// <summary>
    /// Everything that shapes the data, by value: the seed, the population, every option of the dataset and model
    /// sections (a new option is part of the key without anyone listing it), the audit hold-out when attackers need it and
    /// a one-run audit's canaries. Two scenarios with the same key share one cached copy.
    /// </summary>
    internal static string Key(ScenarioSpec s) => JsonSerializer.Serialize(new
    {
        s.Seed,
        s.Devices,
        s.Dataset,
        s.Model,
        Holdout = UsesAuditHoldout(s) ? s.Audit.Holdout : (double?)null,
        DeviceTest = s.Evaluation.PerDevice ? s.Evaluation.DeviceTestFraction : (double?)null,
        Canaries = ScenarioComposition.OneRunAudit(s) is { } oneRun ? (object)new { oneRun.Options, oneRun.Unit } : null,
    });
}
