using System.Globalization;

namespace FedSim.Data;

/// <summary>
/// Summary of a partition: device sizes and how label-skewed devices are (Shannon entropy of each device's label
/// distribution, in bits; IID devices approach the global entropy, single-label devices have 0). Entropy and labels
/// per device are averaged over non-empty devices.
/// </summary>
public sealed record PartitionStatistics(
    int Devices,
    long Samples,
    int MinSamples,
    double MedianSamples,
    int MaxSamples,
    double MeanSamples,
    double MeanLabelEntropyBits,
    double GlobalLabelEntropyBits,
    double MeanLabelsPerDevice,
    int EmptyDevices)
{
    /// <summary>Computes the statistics in one pass over the assigned indices (fine for a million devices).</summary>
    public static PartitionStatistics Compute(Dataset train, int[][] partition)
    {
        ArgumentNullException.ThrowIfNull(train);
        ArgumentNullException.ThrowIfNull(partition);
        int devices = partition.Length;
        var sizes = new int[devices];
        var counts = new int[train.ClassCount];
        var globalCounts = new long[train.ClassCount];
        double entropySum = 0, labelsSum = 0;
        long total = 0;
        int empty = 0;
        for (int d = 0; d < devices; d++)
        {
            var part = partition[d];
            sizes[d] = part.Length;
            total += part.Length;
            if (part.Length == 0) { empty++; continue; }
            foreach (int i in part) counts[train.Labels[i]]++;
            double h = 0;
            int distinct = 0;
            for (int c = 0; c < counts.Length; c++)
            {
                if (counts[c] == 0) continue;
                distinct++;
                globalCounts[c] += counts[c];
                double p = (double)counts[c] / part.Length;
                h -= p * Math.Log2(p);
                counts[c] = 0;
            }
            entropySum += h;
            labelsSum += distinct;
        }
        double globalH = 0;
        foreach (long n in globalCounts)
            if (n > 0)
            {
                double p = (double)n / total;
                globalH -= p * Math.Log2(p);
            }
        Array.Sort(sizes);
        double median = devices == 0 ? 0 : devices % 2 == 1 ? sizes[devices / 2] : (sizes[devices / 2 - 1] + sizes[devices / 2]) / 2.0;
        int nonEmpty = devices - empty;
        return new PartitionStatistics(
            devices, total,
            devices == 0 ? 0 : sizes[0], median, devices == 0 ? 0 : sizes[^1],
            devices == 0 ? 0 : (double)total / devices,
            nonEmpty == 0 ? 0 : entropySum / nonEmpty,
            globalH,
            nonEmpty == 0 ? 0 : labelsSum / nonEmpty,
            empty);
    }

    /// <summary>One line for logs and the CLI.</summary>
    public string Describe()
    {
        var ci = CultureInfo.InvariantCulture;
        string line = string.Create(ci,
            $"{Devices} devices, {Samples} samples; per device min {MinSamples}, median {MedianSamples:0.#}, max {MaxSamples}, mean {MeanSamples:0.0}; ");
        line += string.Create(ci,
            $"label entropy {MeanLabelEntropyBits:0.00} bits/device (global {GlobalLabelEntropyBits:0.00}), {MeanLabelsPerDevice:0.0} labels/device");
        return EmptyDevices > 0 ? line + string.Create(ci, $", {EmptyDevices} empty") : line;
    }

    public override string ToString() => Describe();
}
