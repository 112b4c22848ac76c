using System.Buffers;
using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using Orleans.Serialization;
using Orleans.Storage;

namespace FedSim.Silo.Storage;

/// <summary>
/// Grain storage in a folder: one file per grain state, written with the Orleans binary serializer to a temporary
/// file and renamed over the old one, so a process killed at any moment (kill -9, power loss after the rename's
/// flush) leaves the previous complete checkpoint or the new one, never half a file. Embedded runs keep their
/// checkpoints (the coordinator's per-round checkpoint and device states) beside their results, which is what
/// lets <c>fedsim run --resume</c> continue an interrupted run.
/// <para>
/// ETags follow the providers' contract: a state read gets the file's version as its ETag; a write must carry the
/// ETag it read (none for a state that does not exist yet) or fails with <see cref="InconsistentStateException"/>.
/// </para>
/// </summary>
public sealed class FolderGrainStorage(string folder, Serializer serializer) : IGrainStorage
{
    private const int HeaderBytes = sizeof(long);

    private readonly ConcurrentDictionary<string, SemaphoreSlim> _locks = new();

    public string Folder { get; } = Path.GetFullPath(folder);

    public async Task ReadStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        string path = PathOf(stateName, grainId);
        var gate = Gate(path);
        await gate.WaitAsync();
        try
        {
            if (!File.Exists(path))
            {
                grainState.RecordExists = false;
                grainState.ETag = null;
                grainState.State = Activator.CreateInstance<T>();
                return;
            }
            byte[] bytes = await File.ReadAllBytesAsync(path);
            if (bytes.Length < HeaderBytes)
                throw new InvalidOperationException($"checkpoint file {path} is truncated ({bytes.Length} bytes); delete it or the run's folder to start over");
            long version = BitConverter.ToInt64(bytes, 0);
            grainState.State = serializer.Deserialize<T>(new ReadOnlySequence<byte>(bytes, HeaderBytes, bytes.Length - HeaderBytes));
            grainState.ETag = version.ToString(System.Globalization.CultureInfo.InvariantCulture);
            grainState.RecordExists = true;
        }
        finally { gate.Release(); }
    }

    public async Task WriteStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        string path = PathOf(stateName, grainId);
        var gate = Gate(path);
        await gate.WaitAsync();
        try
        {
            long current = CurrentVersion(path);
            string? expected = current == 0 ? null : current.ToString(System.Globalization.CultureInfo.InvariantCulture);
            if (grainState.ETag != expected)
                throw new InconsistentStateException($"checkpoint {path} is at version {expected ?? "none"}, the write expected {grainState.ETag ?? "none"}",
                    expected ?? "", grainState.ETag ?? "");
            long next = current + 1;
            byte[] payload = serializer.SerializeToArray(grainState.State);
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            string temp = path + ".tmp";
            await using (var stream = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16, FileOptions.WriteThrough))
            {
                await stream.WriteAsync(BitConverter.GetBytes(next));
                await stream.WriteAsync(payload);
                stream.Flush(flushToDisk: true);
            }
            File.Move(temp, path, overwrite: true);
            grainState.ETag = next.ToString(System.Globalization.CultureInfo.InvariantCulture);
            grainState.RecordExists = true;
        }
        finally { gate.Release(); }
    }

    public async Task ClearStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        string path = PathOf(stateName, grainId);
        var gate = Gate(path);
        await gate.WaitAsync();
        try
        {
            File.Delete(path);
            grainState.ETag = null;
            grainState.RecordExists = false;
            grainState.State = Activator.CreateInstance<T>();
        }
        finally { gate.Release(); }
    }

    /// <summary>
    /// stateName/grain-type/key-prefix-hash.bin: readable enough to find a grain's file by eye, and the hash keeps
    /// keys with '/' or other characters file systems refuse apart and short.
    /// </summary>
    internal string PathOf(string stateName, GrainId grainId)
    {
        string key = grainId.Key.ToString()!;
        string hash = Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(grainId.ToString())))[..16].ToLowerInvariant();
        string readable = new string(key.Select(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' ? c : '_').Take(48).ToArray());
        return Path.Combine(Folder, Safe(stateName), Safe(grainId.Type.ToString()!), $"{readable}-{hash}.bin");
    }

    private static string Safe(string name) => new(name.Select(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' ? c : '_').ToArray());

    private static long CurrentVersion(string path)
    {
        if (!File.Exists(path)) return 0;
        using var stream = File.OpenRead(path);
        Span<byte> header = stackalloc byte[HeaderBytes];
        return stream.Read(header) == HeaderBytes ? BitConverter.ToInt64(header) : 0;
    }

    private SemaphoreSlim Gate(string path) => _locks.GetOrAdd(path, _ => new SemaphoreSlim(1, 1));
}
