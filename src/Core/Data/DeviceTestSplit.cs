using FedSim.Determinism;

namespace FedSim.Data;

/// <summary>Each device's own test records: rows of <see cref="Source"/> (the train or the test split), per device.</summary>
public sealed record DeviceTests(Dataset Source, int[][] Rows, bool Natural);

/// <summary>
/// Where per-device evaluation finds a device's own test records (as LEAF and FedScale report accuracy over devices).
/// A dataset whose records know their owners (FEMNIST's writers) has a natural per-owner test split: a device holds the
/// test records of the owners whose training records it holds (LEAF's per-user train/test split). Any other dataset
/// gives each device a seeded holdout of its own shard, taken out of its training.
/// </summary>
public static class DeviceTestSplit
{
    /// <summary>
    /// The natural split, or null when the records do not know their owners (or an owner's records went to several
    /// devices, as they do under any partition but natural).
    /// </summary>
    public static DeviceTests? Natural(Dataset train, Dataset test, int[][] partition)
    {
        if (train.Groups is not { } trainOwners || test.Groups is not { } testOwners) return null;
        var deviceOfOwner = new Dictionary<int, int>();
        for (int d = 0; d < partition.Length; d++)
            foreach (int row in partition[d])
                if (deviceOfOwner.TryGetValue(trainOwners[row], out int other) && other != d) return null;
                else deviceOfOwner[trainOwners[row]] = d;
        var rows = partition.Select(_ => new List<int>()).ToArray();
        for (int row = 0; row < test.Count; row++)
            if (deviceOfOwner.TryGetValue(testOwners[row], out int device)) rows[device].Add(row);
        return new DeviceTests(test, rows.Select(r => r.ToArray()).ToArray(), Natural: true);
    }

    /// <summary>
    /// A seeded coin per record (<paramref name="fraction"/> of them held out), the same record on every silo; a device
    /// keeps at least one record to train on.
    /// </summary>
    /// <returns>The rows each device trains on, and its test rows (both of the training split).</returns>
    public static (int[][] Training, DeviceTests Tests) Holdout(Dataset train, int[][] partition, double fraction, ulong seed)
    {
        var (training, held) = AuditHoldout.Split(partition, fraction, seed);
        return (training, new DeviceTests(train, held, Natural: false));
    }

    /// <summary>The devices evaluated: all, or a seeded sample of <paramref name="max"/> (sorted), the same every round.</summary>
    public static long[] Evaluated(int devices, int max, ulong seed)
    {
        if (max <= 0 || max >= devices) return Enumerable.Range(0, devices).Select(d => (long)d).ToArray();
        return RandomSubsets.Floyd(devices, max, new DeterministicRandom(seed)).Order().ToArray();
    }
}
