using System.Buffers.Binary;
using System.IO.Compression;

namespace FedSim.Data;

/// <summary>File helpers shared by the readers: gzip detection by magic bytes, whole-file and line reads.</summary>
internal static class DataFiles
{
    /// <summary>
    /// Opens a file for reading, transparently gunzipping it when it starts with 1f 8b. A corrupt or truncated
    /// gzip stream surfaces as a <see cref="DatasetException"/> naming the file (see <see cref="CheckedGzipStream"/>).
    /// </summary>
    public static Stream OpenMaybeGzip(string path)
    {
        if (!File.Exists(path)) throw new DatasetException($"{path}: file not found.");
        RecordRead(path);
        FileStream file;
        try
        {
            file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new DatasetException($"{path}: cannot be read ({e.Message}); check its permissions.", e);
        }
        Span<byte> magic = stackalloc byte[2];
        int read = file.ReadAtLeast(magic, 2, throwOnEndOfStream: false);
        file.Position = 0;
        if (read == 2 && magic[0] == 0x1f && magic[1] == 0x8b)
            return new BufferedStream(new CheckedGzipStream(file, path), 1 << 16);
        return file;
    }

    // The files a load reads, for the run's provenance. A load runs on one thread from start to end (DatasetCatalog
    // calls the reader synchronously), so a thread-local list sees exactly that load's files.
    [ThreadStatic] private static List<string>? _reads;

    /// <summary>
    /// Collects the full path of every file the readers open on this thread until the returned scope is disposed;
    /// <paramref name="files"/> then holds them in the order first read, each once.
    /// </summary>
    public static IDisposable RecordReads(out IReadOnlyList<string> files)
    {
        var outer = _reads;
        var list = new List<string>();
        _reads = list;
        files = list;
        return new ReadScope(outer);
    }

    /// <summary>Notes that a reader opened <paramref name="path"/> (readers that open files themselves call this).</summary>
    public static void RecordRead(string path)
    {
        if (_reads is not { } reads) return;
        string full = Path.GetFullPath(path);
        if (!reads.Contains(full)) reads.Add(full);
    }

    private sealed class ReadScope(List<string>? outer) : IDisposable
    {
        public void Dispose() => _reads = outer;
    }

    /// <summary>Reads a whole (possibly gzipped) file into memory.</summary>
    public static byte[] ReadAllBytes(string path)
    {
        using var s = OpenMaybeGzip(path);
        using var ms = new MemoryStream();
        s.CopyTo(ms);
        return ms.ToArray();
    }

    /// <summary>
    /// The lines of a (possibly gzipped) text file with their 1-based numbers. The first line must not hold
    /// NUL bytes: that is a binary file (an image, a still-zipped archive), and the message says so.
    /// </summary>
    public static IEnumerable<(int Number, string Text)> ReadLines(string path)
    {
        using var stream = OpenMaybeGzip(path);
        using var reader = new StreamReader(stream);
        int number = 0;
        string? line;
        while ((line = reader.ReadLine()) is not null)
        {
            number++;
            if (number == 1 && line.Contains('\0'))
                throw new DatasetException($"{path}:1: this is a binary file, not text (is it a zip/xz/bz2 archive or an image?); give the path of the plain or gzipped CSV file.");
            yield return (number, line);
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

    /// <summary>
    /// Gunzips and checks that the data really ended. .NET's GZipStream treats a truncated file as a clean end of
    /// data (a download cut short just yields fewer rows), so at the end of the stream the decompressed length is
    /// compared with the ISIZE field of the gzip trailer (RFC 1952, section 2.3.1: the input size modulo 2^32).
    /// A concatenated multi-member gzip file fails this check too; the message says to recompress it.
    /// </summary>
    private sealed class CheckedGzipStream : Stream
    {
        private readonly FileStream _file;
        private readonly GZipStream _gzip;
        private readonly string _path;
        private readonly uint? _trailerSize;
        private long _produced;
        private bool _checked;

        public CheckedGzipStream(FileStream file, string path)
        {
            _file = file;
            _path = path;
            if (file.Length >= 18) // 10-byte header + at least an empty deflate block + 8-byte trailer
            {
                Span<byte> trailer = stackalloc byte[4];
                file.Position = file.Length - 4;
                file.ReadExactly(trailer);
                _trailerSize = BinaryPrimitives.ReadUInt32LittleEndian(trailer);
                file.Position = 0;
            }
            _gzip = new GZipStream(file, CompressionMode.Decompress);
        }

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            int n;
            try { n = _gzip.Read(buffer); }
            catch (InvalidDataException e)
            {
                throw new DatasetException($"{_path}: the gzip data is corrupt ({e.Message}). Fetch or copy the file again.", e);
            }
            _produced += n;
            if (n == 0 && buffer.Length > 0 && !_checked)
            {
                _checked = true;
                if (_trailerSize is not { } expected || (uint)_produced != expected)
                    throw new DatasetException(
                        $"{_path}: the gzip file is truncated or corrupt: it decompresses to {_produced:N0} bytes, but its trailer " +
                        (_trailerSize is { } t ? $"says {t:N0}" : "is missing") +
                        ". Fetch or copy the file again (a multi-member gzip file must be recompressed with plain gzip).");
            }
            return n;
        }

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                _gzip.Dispose();
                _file.Dispose();
            }
            base.Dispose(disposing);
        }
    }
}
