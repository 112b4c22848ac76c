using System.Buffers.Binary;
using System.IO.Compression;
using FedSim.Data;

namespace FedSim.Tests.Data;

/// <summary>Small hand-made datasets and files for reader and partitioner tests.</summary>
internal static class TestData
{
    /// <summary>A dataset with <paramref name="perClass"/> samples of each class, labels interleaved (0,1,2,...,0,1,2,...).</summary>
    public static Dataset Labelled(int classes, int perClass, int[]? groups = null)
    {
        int n = classes * perClass;
        var labels = new int[n];
        var features = new float[n];
        for (int i = 0; i < n; i++)
        {
            labels[i] = i % classes;
            features[i] = i;
        }
        string[]? names = groups is null ? null : Enumerable.Range(0, groups.Max() + 1).Select(g => $"w{g:000}").ToArray();
        return new Dataset("labelled", features, labels, 1, classes, groups: groups, groupNames: names);
    }

    public static string TempDir()
    {
        string dir = Path.Combine(Path.GetTempPath(), "fedsim-data-tests-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        return dir;
    }

    public static byte[] IdxImages(int count, int rows, int cols, Func<int, byte>? pixel = null)
    {
        var bytes = new byte[16 + count * rows * cols];
        BinaryPrimitives.WriteInt32BigEndian(bytes, IdxReader.ImagesMagic);
        BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(4), count);
        BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(8), rows);
        BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(12), cols);
        for (int i = 16; i < bytes.Length; i++) bytes[i] = pixel?.Invoke(i - 16) ?? (byte)((i - 16) % 256);
        return bytes;
    }

    public static byte[] IdxLabels(params byte[] labels)
    {
        var bytes = new byte[8 + labels.Length];
        BinaryPrimitives.WriteInt32BigEndian(bytes, IdxReader.LabelsMagic);
        BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(4), labels.Length);
        labels.CopyTo(bytes, 8);
        return bytes;
    }

    public static byte[] Gzip(byte[] data)
    {
        using var ms = new MemoryStream();
        using (var gz = new GZipStream(ms, CompressionLevel.Fastest)) gz.Write(data);
        return ms.ToArray();
    }

    /// <summary>Asserts the partition assigns every sample index in [0, n) exactly once.</summary>
    public static void AssertDisjointCover(int[][] partition, int n)
    {
        var seen = new bool[n];
        foreach (var part in partition)
            foreach (int i in part)
            {
                Assert.InRange(i, 0, n - 1);
                Assert.False(seen[i], $"sample {i} assigned twice");
                seen[i] = true;
            }
        Assert.All(seen, Assert.True);
    }
}
