using System.Globalization;
using System.Runtime.InteropServices;

namespace FedSim.Data;

/// <summary>
/// What a researcher should know about an experiment's training data before trusting its results, computed once
/// from the loaded data and its partition: missing values the reader kept as a category, constant features, class
/// balance, duplicate rows, and how far each device's label distribution is from the whole training set's.
/// Written to summary.json ("data_quality") and printed as one line by the runner. Pure: no Orleans, no torch.
/// </summary>
/// <param name="TrainSamples">Training samples examined (the partitioned part).</param>
/// <param name="Features">Features per sample.</param>
/// <param name="MissingValues">Cells missing in the source files and encoded as their own category, train and test (missing numbers are rejected by the readers).</param>
/// <param name="ConstantFeatures">Training features with one value in every sample (they carry no information; pixels at an image's border often are).</param>
/// <param name="ConstantFeatureExamples">Up to five of their names.</param>
/// <param name="ClassCounts">Training samples per class, in class order.</param>
/// <param name="ImbalanceRatio">Largest class count / smallest non-zero one (1 = balanced).</param>
/// <param name="AbsentClasses">Classes with no training sample.</param>
/// <param name="DuplicateRows">Training samples equal (features and label) to an earlier one.</param>
/// <param name="ConflictingDuplicates">Training samples whose features equal an earlier one's but whose label differs.</param>
/// <param name="Devices">Per-device label distribution summary.</param>
/// <param name="LabelsAreTokens">
/// Text data: labels are next tokens, whose skew (and tokens that never follow a context) are the language's, and one
/// context followed by different tokens is expected, so none of these is reported as a warning.
/// </param>
public sealed record DataQuality(
    long TrainSamples,
    int Features,
    long MissingValues,
    int ConstantFeatures,
    IReadOnlyList<string> ConstantFeatureExamples,
    IReadOnlyList<long> ClassCounts,
    double ImbalanceRatio,
    int AbsentClasses,
    long DuplicateRows,
    long ConflictingDuplicates,
    DeviceLabelSummary Devices,
    bool LabelsAreTokens = false)
{
    /// <summary>Computes the summary; <paramref name="partition"/> lists each device's training sample indices.</summary>
    public static DataQuality Compute(DatasetSplit split, int[][] partition)
    {
        ArgumentNullException.ThrowIfNull(split);
        ArgumentNullException.ThrowIfNull(partition);
        var train = split.Train;

        var counts = new long[train.ClassCount];
        foreach (int y in train.Labels) counts[y]++;
        long max = counts.Length == 0 ? 0 : counts.Max();
        long min = counts.Where(c => c > 0).DefaultIfEmpty(0).Min();

        var (_, std) = Tabular.ColumnStats(train.Features, train.FeatureCount);
        var constant = Enumerable.Range(0, train.FeatureCount).Where(c => std[c] == 0).ToList();
        var (duplicates, conflicting) = Duplicates(train);

        return new DataQuality(
            train.Count, train.FeatureCount, split.Train.MissingValues + split.Test.MissingValues,
            constant.Count, constant.Take(5).Select(c => FeatureName(train, c)).ToArray(),
            counts, min == 0 ? 0 : (double)max / min, counts.Count(c => c == 0),
            duplicates, conflicting, DeviceLabelSummary.Compute(train, partition, counts), train.Text is not null);
    }

    /// <summary>Short phrases for what deserves a look (empty when nothing does), e.g. "12 duplicate rows".</summary>
    public IReadOnlyList<string> Warnings()
    {
        var list = new List<string>();
        var ci = CultureInfo.InvariantCulture;
        if (MissingValues > 0) list.Add(string.Create(ci, $"{MissingValues:N0} missing values (kept as a category)"));
        if (AbsentClasses > 0 && !LabelsAreTokens) list.Add($"{AbsentClasses} classes have no training sample");
        if (ImbalanceRatio >= 10 && !LabelsAreTokens) list.Add(string.Create(ci, $"classes imbalanced {ImbalanceRatio:0.#}:1"));
        if (ConflictingDuplicates > 0 && !LabelsAreTokens) list.Add(string.Create(ci, $"{ConflictingDuplicates:N0} rows repeat another's features with a different label"));
        if (DuplicateRows > 0) list.Add(string.Create(ci, $"{DuplicateRows:N0} duplicate rows"));
        if (Devices.EmptyDevices > 0) list.Add(string.Create(ci, $"{Devices.EmptyDevices:N0} devices hold no data"));
        return list;
    }

    /// <summary>One line for the console.</summary>
    public string Describe()
    {
        var ci = CultureInfo.InvariantCulture;
        string classes = ClassCounts.Count == 0 ? "no classes"
            : LabelsAreTokens ? string.Create(ci, $"{ClassCounts.Count(c => c > 0)} of {ClassCounts.Count} tokens occur as labels")
            : string.Create(ci, $"{ClassCounts.Count} classes of {ClassCounts.Where(c => c > 0).DefaultIfEmpty(0).Min():N0}..{ClassCounts.Max():N0} samples (max/min {ImbalanceRatio:0.##})");
        string line = string.Create(ci,
            $"{MissingValues:N0} missing values, {ConstantFeatures} constant features, {DuplicateRows:N0} duplicate rows ({ConflictingDuplicates:N0} with another label), {classes}; ");
        return line + Devices.Describe();
    }

    private static string FeatureName(Dataset data, int column) =>
        data.FeatureNames is { } names && column < names.Length ? names[column]
        : data.Image is { } img ? string.Create(CultureInfo.InvariantCulture, $"pixel ({column / img.Width % img.Height},{column % img.Width})")
        : string.Create(CultureInfo.InvariantCulture, $"feature {column}");

    /// <summary>
    /// Exact duplicates by feature bytes: rows are grouped by a hash, then compared in full within a group, so the
    /// counts are exact whatever the hash does. Costs two int arrays of the row count.
    /// </summary>
    private static (long Duplicates, long Conflicting) Duplicates(Dataset data)
    {
        int n = data.Count;
        var hashes = new int[n];
        for (int i = 0; i < n; i++)
        {
            var hash = new HashCode();
            hash.AddBytes(MemoryMarshal.AsBytes(data.Row(i)));
            hashes[i] = hash.ToHashCode();
        }
        var order = Enumerable.Range(0, n).ToArray();
        Array.Sort((int[])hashes.Clone(), order);
        long duplicates = 0, conflicting = 0;
        var seen = new List<int>();
        for (int start = 0; start < n;)
        {
            int end = start + 1;
            while (end < n && hashes[order[end]] == hashes[order[start]]) end++;
            if (end - start > 1)
            {
                // Within one hash group, in file order: the first of each distinct row is the original.
                var members = order.AsSpan(start, end - start).ToArray();
                Array.Sort(members);
                seen.Clear();
                foreach (int i in members)
                {
                    int match = seen.FindIndex(j => data.Row(j).SequenceEqual(data.Row(i)));
                    if (match < 0) seen.Add(i);
                    else if (data.Labels[seen[match]] == data.Labels[i]) duplicates++;
                    else conflicting++;
                }
            }
            start = end;
        }
        return (duplicates, conflicting);
    }
}

/// <summary>
/// How label-skewed the devices are. Total variation distance of a device's label distribution from the whole
/// training set's, 0.5 * sum |p_device(c) - p_global(c)|: 0 for a device that mirrors the data, near 1 for a device
/// holding one rare class. Averages are over devices holding data.
/// </summary>
/// <param name="Devices">Registered devices.</param>
/// <param name="EmptyDevices">Devices with no training sample.</param>
/// <param name="MinClasses">Fewest classes on a device holding data.</param>
/// <param name="MeanClasses">Mean classes per device.</param>
/// <param name="MaxClasses">Most classes on a device.</param>
/// <param name="MeanDominantShare">Mean share of a device's samples in its largest class (1 = single-class devices).</param>
/// <param name="MeanDistanceFromGlobal">Mean total variation distance from the global label distribution.</param>
/// <param name="MaxDistanceFromGlobal">Largest such distance.</param>
public sealed record DeviceLabelSummary(
    int Devices, int EmptyDevices, int MinClasses, double MeanClasses, int MaxClasses,
    double MeanDominantShare, double MeanDistanceFromGlobal, double MaxDistanceFromGlobal)
{
    internal static DeviceLabelSummary Compute(Dataset train, int[][] partition, long[] globalCounts)
    {
        long total = globalCounts.Sum();
        var global = globalCounts.Select(c => total == 0 ? 0 : (double)c / total).ToArray();
        var counts = new int[train.ClassCount];
        int empty = 0, minClasses = int.MaxValue, maxClasses = 0;
        double classesSum = 0, dominantSum = 0, distanceSum = 0, maxDistance = 0;
        foreach (var part in partition)
        {
            if (part.Length == 0) { empty++; continue; }
            foreach (int i in part) counts[train.Labels[i]]++;
            int classes = 0, dominant = 0;
            double distance = 0;
            for (int c = 0; c < counts.Length; c++)
            {
                if (counts[c] > 0) classes++;
                dominant = Math.Max(dominant, counts[c]);
                distance += Math.Abs((double)counts[c] / part.Length - global[c]);
                counts[c] = 0;
            }
            distance /= 2;
            minClasses = Math.Min(minClasses, classes);
            maxClasses = Math.Max(maxClasses, classes);
            classesSum += classes;
            dominantSum += (double)dominant / part.Length;
            distanceSum += distance;
            maxDistance = Math.Max(maxDistance, distance);
        }
        int used = partition.Length - empty;
        return used == 0
            ? new DeviceLabelSummary(partition.Length, empty, 0, 0, 0, 0, 0, 0)
            : new DeviceLabelSummary(partition.Length, empty, minClasses, classesSum / used, maxClasses,
                dominantSum / used, distanceSum / used, maxDistance);
    }

    /// <summary>"per device: 2.0 classes (1..3), dominant class 61 %, label distance from global 0.78 (max 0.90)".</summary>
    public string Describe() => string.Create(CultureInfo.InvariantCulture,
        $"per device: {MeanClasses:0.0} classes ({MinClasses}..{MaxClasses}), dominant class {MeanDominantShare * 100:0} %, label distance from global {MeanDistanceFromGlobal:0.00} (max {MaxDistanceFromGlobal:0.00})")
        + (EmptyDevices > 0 ? string.Create(CultureInfo.InvariantCulture, $", {EmptyDevices:N0} empty") : "");
}
