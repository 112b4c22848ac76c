using System.IO.Compression;

namespace FedSim.Data;

/// <summary>File helpers shared by the readers: gzip detection by magic bytes and whole-file reads.</summary>
internal static class DataFiles
{
    /// <summary>Opens a file for reading, transparently gunzipping it when it starts with 1f 8b.</summary>
    public static Stream OpenMaybeGzip(string path)
    {
        if (!File.Exists(path)) throw new DatasetException($"{path}: file not found.");
        var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        Span<byte> magic = stackalloc byte[2];
        int read = file.ReadAtLeast(magic, 2, throwOnEndOfStream: false);
        file.Position = 0;
        if (read == 2 && magic[0] == 0x1f && magic[1] == 0x8b)
            return new BufferedStream(new GZipStream(file, CompressionMode.Decompress), 1 << 16);
        return file;
    }

    /// <summary>Reads a whole (possibly gzipped) file into memory.</summary>
    public static byte[] ReadAllBytes(string path)
    {
        using var s = OpenMaybeGzip(path);
        try
        {
            using var ms = new MemoryStream();
            s.CopyTo(ms);
            return ms.ToArray();
        }
        catch (InvalidDataException e)
        {
            throw new DatasetException($"{path}: the gzip stream is corrupt or truncated ({e.Message}). Fetch the file again.", e);
        }
    }

    /// <summary>Returns the first existing path among <paramref name="names"/> in <paramref name="folder"/>, or null.</summary>
    public static string? FindFirst(string folder, params string[] names)
    {
        foreach (var n in names)
        {
            var p = Path.Combine(folder, n);
            if (File.Exists(p)) return p;
        }
        return null;
    }
}
