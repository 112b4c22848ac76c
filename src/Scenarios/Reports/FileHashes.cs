using System.Collections.Concurrent;
using System.Globalization;
using System.Security.Cryptography;

namespace FedSim.Scenarios.Reports;

/// <summary>
/// SHA-256 of data files, computed once per file version: a file is known by its full path, size and last write time,
/// and its hash is kept in memory and in a cache file ($FEDSIM_CACHE_DIR, else $XDG_CACHE_HOME/fedsim, else
/// ~/.cache/fedsim), so that a run of a 1 GB dataset does not read it twice for its provenance. A changed file has
/// a new size or time and is hashed again. The cache file is an optimisation only: where it cannot be read or
/// written, hashes are computed every time.
/// </summary>
public static class FileHashes
{
    public const string CacheDirectoryVariable = "FEDSIM_CACHE_DIR";
    public const string CacheFileName = "sha256.tsv";

    private static readonly ConcurrentDictionary<(string Path, long Bytes, long Ticks), string> Known = new();
    private static readonly Lock CacheFileLock = new();
    private static string? _loadedFrom;

    /// <summary>The file's SHA-256 as lowercase hex, with its size.</summary>
    public static (long Bytes, string Sha256) Of(string path)
    {
        var info = new FileInfo(Path.GetFullPath(path));
        var key = (info.FullName, info.Length, info.LastWriteTimeUtc.Ticks);
        LoadCacheFile();
        if (Known.TryGetValue(key, out var known)) return (info.Length, known);
        string sha;
        using (var stream = new FileStream(info.FullName, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20))
            sha = Convert.ToHexStringLower(SHA256.HashData(stream));
        if (Known.TryAdd(key, sha)) Append(key, sha);
        return (info.Length, sha);
    }

    /// <summary>The cache file in use.</summary>
    public static string CacheFile
    {
        get
        {
            string folder = Environment.GetEnvironmentVariable(CacheDirectoryVariable) is { Length: > 0 } own ? own
                : Environment.GetEnvironmentVariable("XDG_CACHE_HOME") is { Length: > 0 } xdg ? Path.Combine(xdg, "fedsim")
                : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache", "fedsim");
            return Path.Combine(folder, CacheFileName);
        }
    }

    // One line per hash: path, bytes, last write ticks (UTC), sha256, tab-separated. Lines only ever get appended,
    // each in one write, so processes sharing the file never see half a line as valid (it has too few fields).
    private static void LoadCacheFile()
    {
        string file = CacheFile;
        lock (CacheFileLock)
        {
            if (_loadedFrom == file) return;
            _loadedFrom = file;
            try
            {
                if (!File.Exists(file)) return;
                foreach (string line in File.ReadLines(file))
                    if (line.Split('\t') is [var path, var bytes, var ticks, var sha] && sha.Length == 64
                        && long.TryParse(bytes, CultureInfo.InvariantCulture, out long b) && long.TryParse(ticks, CultureInfo.InvariantCulture, out long t))
                        Known[(path, b, t)] = sha;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // Unreadable cache: hash from scratch.
            }
        }
    }

    private static void Append((string Path, long Bytes, long Ticks) key, string sha)
    {
        if (key.Path.Contains('\t') || key.Path.Contains('\n')) return; // would not read back as one line
        string line = string.Create(CultureInfo.InvariantCulture, $"{key.Path}\t{key.Bytes}\t{key.Ticks}\t{sha}\n");
        lock (CacheFileLock)
        {
            try
            {
                string file = CacheFile;
                Directory.CreateDirectory(Path.GetDirectoryName(file)!);
                File.AppendAllText(file, line);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // A read-only home or a full disk: the hash is still right, only not remembered.
            }
        }
    }
}
