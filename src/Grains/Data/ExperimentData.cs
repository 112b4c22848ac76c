using System.Collections.Concurrent;
using FedSim.Compute;
using FedSim.Contracts;
using FedSim.Determinism;

namespace FedSim.Data;

/// <summary>
/// One experiment's data as every silo derives it: the dataset split, the partition of training
/// samples over devices and the resolved model. Everything is a pure function of the scenario, so
/// each silo computes the same partition without shipping samples between silos.
/// </summary>
public sealed class ExperimentData
{
    internal ExperimentData(DatasetSplit split, int[][] partition, ModelSpec model, PartitionStatistics statistics)
    {
        Split = split;
        Partition = partition;
        Model = model;
        Statistics = statistics;
        _quality = new Lazy<DataQuality>(() => DataQuality.Compute(split, partition));
    }

    private readonly Lazy<DataQuality> _quality;

    public DatasetSplit Split { get; }
    public int[][] Partition { get; }
    public ModelSpec Model { get; }
    public PartitionStatistics Statistics { get; }

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
        var model = ModelSpecFactory.Create(scenario.Model, split.Train);
        return new ExperimentData(split, partition, model, PartitionStatistics.Compute(split.Train, partition));
    }

    // Everything that shapes the data: two scenarios with the same key share one cached copy.
    private static string Key(ScenarioSpec s)
    {
        var d = s.Dataset;
        var p = d.Partition;
        return string.Join('|', s.Seed, s.Devices, d.Kind, d.Path, d.Samples, d.TestFraction.ToString("R"),
            p.Kind, p.Alpha.ToString("R"), p.ShardsPerDevice, p.Sigma.ToString("R"), p.MinSamples,
            s.Model.Kind, string.Join('x', s.Model.Hidden), string.Join('x', s.Model.Channels), s.Model.Dense);
    }
}
