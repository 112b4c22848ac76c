using FedSim.Determinism;

namespace FedSim.Data;

/// <summary>
/// Splits a training set over devices: device d gets <c>partition[d]</c>, a sorted array of sample indices.
/// Every kind assigns every training sample to exactly one device (a disjoint cover), except natural with
/// more groups than devices, which still covers everything (whole groups are dealt to devices).
/// All randomness comes from <c>Seeds.Derive(seed, None, None, Partition)</c>.
/// </summary>
public static class Partitioners
{
    public static int[][] Partition(Dataset train, PartitionSpec spec, int devices, ulong seed)
    {
        ArgumentNullException.ThrowIfNull(train);
        ArgumentNullException.ThrowIfNull(spec);
        if (devices <= 0) throw new PartitionException($"devices must be at least 1 (got {devices}).");
        var rng = new DeterministicRandom(Seeds.Derive(seed, Seeds.None, Seeds.None, SeedPurpose.Partition));
        return spec.Kind switch
        {
            PartitionKinds.Iid => Iid(train.Count, devices, rng),
            PartitionKinds.Dirichlet => Dirichlet(train, devices, spec.Alpha, spec.MinSamples, rng),
            PartitionKinds.Shards => Shards(train, devices, spec.ShardsPerDevice, rng),
            PartitionKinds.QuantitySkew => QuantitySkew(train.Count, devices, spec.Sigma, spec.MinSamples, rng),
            PartitionKinds.Natural => Natural(train, devices, rng),
            _ => throw new PartitionException($"unknown partition kind '{spec.Kind}'; use one of: {string.Join(", ", PartitionKinds.All)}."),
        };
    }

    /// <summary>Shuffle, then cut into near-equal consecutive pieces (sizes differ by at most one).</summary>
    public static int[][] Iid(int samples, int devices, DeterministicRandom rng)
    {
        RequireEnough(samples, devices, 1, PartitionKinds.Iid);
        var perm = rng.Permutation(samples);
        var result = new int[devices][];
        int q = samples / devices, r = samples % devices, at = 0;
        for (int d = 0; d < devices; d++)
        {
            int size = q + (d < r ? 1 : 0);
            var part = perm.AsSpan(at, size).ToArray();
            Array.Sort(part);
            result[d] = part;
            at += size;
        }
        return result;
    }

    /// <summary>
    /// Label skew (Hsu et al. 2019; NIID-Bench, Li et al. 2022): for each class, proportions over devices are drawn
    /// from Dirichlet(alpha) (normalized Gamma(alpha) draws) and the shuffled class members are cut at the cumulative
    /// proportions. Devices left with fewer than <paramref name="minSamples"/> are then topped up by moving random
    /// samples from the currently largest devices (no redraw loop, so it always terminates, even for a million devices).
    /// </summary>
    public static int[][] Dirichlet(Dataset train, int devices, double alpha, int minSamples, DeterministicRandom rng)
    {
        if (!(alpha > 0) || double.IsInfinity(alpha)) throw new PartitionException($"dirichlet alpha must be a positive number (got {alpha}).");
        minSamples = Math.Max(minSamples, 0);
        RequireEnough(train.Count, devices, Math.Max(minSamples, 1), PartitionKinds.Dirichlet);
        var byClass = IndicesByClass(train);
        var lists = new List<int>[devices];
        for (int d = 0; d < devices; d++) lists[d] = new List<int>();
        var p = new double[devices];
        foreach (var members in byClass)
        {
            if (members.Length == 0) continue;
            rng.Shuffle<int>(members);
            double sum = 0;
            for (int d = 0; d < devices; d++) sum += p[d] = rng.NextGamma(alpha);
            double cumulative = 0;
            int start = 0;
            for (int d = 0; d < devices; d++)
            {
                cumulative += p[d];
                int end = d == devices - 1 ? members.Length : (int)Math.Min(members.Length, Math.Round(cumulative / sum * members.Length));
                for (int i = start; i < end; i++) lists[d].Add(members[i]);
                start = Math.Max(start, end);
            }
        }
        TopUp(lists, minSamples, rng);
        return lists.Select(l => { var a = l.ToArray(); Array.Sort(a); return a; }).ToArray();
    }

    // Moves random samples from the largest devices to those below the minimum. A max-heap keeps it O(moves log D).
    private static void TopUp(List<int>[] lists, int minSamples, DeterministicRandom rng)
    {
        var needy = Enumerable.Range(0, lists.Length).Where(d => lists[d].Count < minSamples).ToList();
        if (needy.Count == 0) return;
        var donors = new PriorityQueue<int, (int Size, int Device)>(
            Comparer<(int Size, int Device)>.Create((a, b) => a.Size != b.Size ? b.Size.CompareTo(a.Size) : a.Device.CompareTo(b.Device)));
        for (int d = 0; d < lists.Length; d++)
            if (lists[d].Count > minSamples) donors.Enqueue(d, (lists[d].Count, d));
        foreach (int d in needy)
            while (lists[d].Count < minSamples)
            {
                int donor = donors.Dequeue();
                var from = lists[donor];
                int k = rng.NextInt(from.Count);
                lists[d].Add(from[k]);
                from[k] = from[^1];
                from.RemoveAt(from.Count - 1);
                if (from.Count > minSamples) donors.Enqueue(donor, (from.Count, donor));
            }
    }

    /// <summary>
    /// McMahan et al. 2017 pathological non-IID: sort by label, cut into devices x shardsPerDevice equal shards,
    /// deal shardsPerDevice random shards to each device. A shard may straddle a label boundary when class sizes
    /// are not multiples of the shard size.
    /// </summary>
    public static int[][] Shards(Dataset train, int devices, int shardsPerDevice, DeterministicRandom rng)
    {
        if (shardsPerDevice <= 0) throw new PartitionException($"shards_per_device must be at least 1 (got {shardsPerDevice}).");
        long shardCount = (long)devices * shardsPerDevice;
        if (shardCount > train.Count)
            throw new PartitionException($"shards partition needs devices x shards_per_device = {shardCount} shards of at least one sample, but the training set has only {train.Count} samples; lower devices or shards_per_device.");
        // Stable sort by label (ties keep index order) so the shards do not depend on the sort implementation.
        var sorted = IndicesByClass(train).SelectMany(x => x).ToArray();
        var shardOrder = rng.Permutation((int)shardCount);
        var result = new int[devices][];
        int n = sorted.Length;
        for (int d = 0; d < devices; d++)
        {
            var part = new List<int>();
            for (int s = 0; s < shardsPerDevice; s++)
            {
                long shard = shardOrder[d * shardsPerDevice + s];
                int from = (int)(shard * n / shardCount), to = (int)((shard + 1) * n / shardCount);
                part.AddRange(sorted.AsSpan(from, to - from));
            }
            var a = part.ToArray();
            Array.Sort(a);
            result[d] = a;
        }
        return result;
    }

    /// <summary>
    /// Quantity skew: device sizes proportional to log-normal(0, sigma) draws on top of a floor of
    /// <paramref name="minSamples"/>, then consecutive pieces of a random permutation (labels stay IID).
    /// </summary>
    public static int[][] QuantitySkew(int samples, int devices, double sigma, int minSamples, DeterministicRandom rng)
    {
        if (!(sigma >= 0) || double.IsInfinity(sigma)) throw new PartitionException($"quantity-skew sigma must be a non-negative number (got {sigma}).");
        minSamples = Math.Max(minSamples, 1);
        RequireEnough(samples, devices, minSamples, PartitionKinds.QuantitySkew);
        var weights = new double[devices];
        double sum = 0;
        for (int d = 0; d < devices; d++) sum += weights[d] = Math.Exp(sigma * rng.NextGaussian());
        long spare = samples - (long)devices * minSamples;
        var sizes = new int[devices];
        long assigned = 0;
        for (int d = 0; d < devices; d++)
        {
            sizes[d] = minSamples + (int)Math.Floor(spare * weights[d] / sum);
            assigned += sizes[d];
        }
        // Rounding leaves fewer than `devices` samples over; hand them out one each to random devices.
        long left = samples - assigned;
        var order = rng.Permutation(devices);
        for (int i = 0; left > 0; i = (i + 1) % devices, left--) sizes[order[i]]++;

        var perm = rng.Permutation(samples);
        var result = new int[devices][];
        int at = 0;
        for (int d = 0; d < devices; d++)
        {
            var part = perm.AsSpan(at, sizes[d]).ToArray();
            Array.Sort(part);
            result[d] = part;
            at += sizes[d];
        }
        return result;
    }

    /// <summary>
    /// Natural partition from <see cref="Dataset.Groups"/> (e.g. FEMNIST writers). With as many devices as groups,
    /// device d holds group d. With fewer devices, whole groups are dealt round-robin in a seeded random order, so
    /// no group is ever split. More devices than groups is an error: it would need splitting a natural owner.
    /// </summary>
    public static int[][] Natural(Dataset train, int devices, DeterministicRandom rng)
    {
        if (train.Groups is null)
            throw new PartitionException($"natural partition needs a dataset with natural owners (e.g. femnist writers); '{train.Name}' has none. Use iid, dirichlet, shards or quantity-skew.");
        int groups = train.GroupNames?.Length ?? (train.Groups.Length == 0 ? 0 : train.Groups.Max() + 1);
        if (devices > groups)
            throw new PartitionException($"natural partition of '{train.Name}' has {groups} groups (writers), so devices must be at most {groups} (got {devices}); set devices: {groups}.");
        var members = new List<int>[groups];
        for (int g = 0; g < groups; g++) members[g] = new List<int>();
        for (int i = 0; i < train.Groups.Length; i++) members[train.Groups[i]].Add(i);
        int[] deviceOfGroup;
        if (devices == groups) deviceOfGroup = Enumerable.Range(0, groups).ToArray();
        else
        {
            var order = rng.Permutation(groups);
            deviceOfGroup = new int[groups];
            for (int i = 0; i < groups; i++) deviceOfGroup[order[i]] = i % devices;
        }
        var lists = new List<int>[devices];
        for (int d = 0; d < devices; d++) lists[d] = new List<int>();
        for (int g = 0; g < groups; g++) lists[deviceOfGroup[g]].AddRange(members[g]);
        return lists.Select(l => l.ToArray()).ToArray(); // group members are collected in index order: already sorted
    }

    private static void RequireEnough(int samples, int devices, int perDevice, string kind)
    {
        if ((long)devices * perDevice > samples)
            throw new PartitionException($"{kind} partition cannot give {devices} devices at least {perDevice} sample(s) each: the training set has only {samples} samples. Lower devices{(perDevice > 1 ? " or min_samples" : "")}, or use a larger dataset.");
    }

    // Sample indices per class, each in ascending index order.
    private static int[][] IndicesByClass(Dataset train)
    {
        var counts = new int[train.ClassCount];
        foreach (int y in train.Labels) counts[y]++;
        var result = new int[train.ClassCount][];
        for (int c = 0; c < counts.Length; c++) result[c] = new int[counts[c]];
        var fill = new int[train.ClassCount];
        for (int i = 0; i < train.Labels.Length; i++)
        {
            int y = train.Labels[i];
            result[y][fill[y]++] = i;
        }
        return result;
    }
}
