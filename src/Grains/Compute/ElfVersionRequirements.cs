using System.Buffers.Binary;
using System.Text;

namespace FedSim.Compute;

/// <summary>One symbol-version requirement of an ELF file (an entry of .gnu.version_r).</summary>
/// <param name="File">The library it is required from, e.g. "libstdc++.so.6".</param>
/// <param name="Name">The version, e.g. "GLIBCXX_3.4.32".</param>
/// <param name="Flags">vna_flags (VER_FLG_WEAK = 0x2).</param>
public sealed record ElfVersionRequirement(string File, string Name, ushort Flags)
{
    public const ushort WeakFlag = 0x2;
    /// <summary>A weak requirement lets the loader accept a library that lacks the version.</summary>
    public bool IsWeak => (Flags & WeakFlag) != 0;
}

/// <summary>
/// Reads symbol-version requirements and definitions from ELF64 little-endian files (System V gABI,
/// LSB "Symbol Versioning"). The build step build/ElfVersionPatch.targets marks TorchSharp's needless
/// GLIBCXX_3.4.32 requirement weak on systems whose libstdc++ lacks it; this is the same logic, read-only,
/// for tests and diagnostics.
/// </summary>
public static class ElfVersionRequirements
{
    public const string TorchSharpNativeLibrary = "libLibTorchSharp.so";
    public const string PatchedVersion = "GLIBCXX_3.4.32";

    private const uint ShtGnuVerdef = 0x6ffffffd;
    private const uint ShtGnuVerneed = 0x6ffffffe;

    /// <summary>Candidate paths of the system libstdc++, in the order the build step checks them.</summary>
    public static readonly string[] LibStdCxxCandidates =
    [
        "/usr/lib/x86_64-linux-gnu/libstdc++.so.6", "/usr/lib/aarch64-linux-gnu/libstdc++.so.6",
        "/usr/lib64/libstdc++.so.6", "/usr/lib/libstdc++.so.6", "/lib64/libstdc++.so.6", "/lib/x86_64-linux-gnu/libstdc++.so.6",
    ];

    /// <summary>Every version the file requires from its dependencies (empty when it has no .gnu.version_r).</summary>
    public static IReadOnlyList<ElfVersionRequirement> Read(string path)
    {
        var b = ReadElf(path);
        var result = new List<ElfVersionRequirement>();
        foreach (var (offset, size, strings) in Sections(b, path, ShtGnuVerneed))
        {
            long vn = offset;
            while (true)
            {
                Check(b, vn, 16, path);
                int count = BinaryPrimitives.ReadUInt16LittleEndian(b.AsSpan((int)vn + 2));
                string file = CString(b, strings + BinaryPrimitives.ReadUInt32LittleEndian(b.AsSpan((int)vn + 4)), path);
                long aux = vn + BinaryPrimitives.ReadUInt32LittleEndian(b.AsSpan((int)vn + 8));
                for (int a = 0; a < count; a++)
                {
                    Check(b, aux, 16, path);
                    ushort flags = BinaryPrimitives.ReadUInt16LittleEndian(b.AsSpan((int)aux + 4));
                    string name = CString(b, strings + BinaryPrimitives.ReadUInt32LittleEndian(b.AsSpan((int)aux + 8)), path);
                    result.Add(new ElfVersionRequirement(file, name, flags));
                    uint nextAux = BinaryPrimitives.ReadUInt32LittleEndian(b.AsSpan((int)aux + 12));
                    if (nextAux == 0) break;
                    aux += nextAux;
                }
                uint next = BinaryPrimitives.ReadUInt32LittleEndian(b.AsSpan((int)vn + 12));
                if (next == 0 || vn + next >= offset + size) break;
                vn += next;
            }
        }
        return result;
    }

    /// <summary>The version names the file defines (.gnu.version_d), e.g. GLIBCXX_3.4.30 for a libstdc++.</summary>
    public static IReadOnlySet<string> ReadDefinitions(string path)
    {
        var b = ReadElf(path);
        var result = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (offset, size, strings) in Sections(b, path, ShtGnuVerdef))
        {
            long vd = offset;
            while (true)
            {
                Check(b, vd, 20, path);
                int count = BinaryPrimitives.ReadUInt16LittleEndian(b.AsSpan((int)vd + 6));
                long aux = vd + BinaryPrimitives.ReadUInt32LittleEndian(b.AsSpan((int)vd + 12));
                // The first Verdaux names the version itself; later ones name its parents.
                if (count > 0)
                {
                    Check(b, aux, 8, path);
                    result.Add(CString(b, strings + BinaryPrimitives.ReadUInt32LittleEndian(b.AsSpan((int)aux)), path));
                }
                uint next = BinaryPrimitives.ReadUInt32LittleEndian(b.AsSpan((int)vd + 16));
                if (next == 0 || vd + next >= offset + size) break;
                vd += next;
            }
        }
        return result;
    }

    /// <summary>The system libstdc++ the build step inspects, or null on systems without one in the usual places.</summary>
    public static string? FindSystemLibStdCxx()
    {
        foreach (var candidate in LibStdCxxCandidates)
            if (File.Exists(candidate)) return candidate;
        return null;
    }

    private static byte[] ReadElf(string path)
    {
        byte[] b;
        try { b = File.ReadAllBytes(path); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new IOException($"Cannot read ELF file '{path}': {e.Message}", e);
        }
        if (b.Length < 64 || b[0] != 0x7f || b[1] != (byte)'E' || b[2] != (byte)'L' || b[3] != (byte)'F')
            throw new InvalidDataException($"'{path}' is not an ELF file.");
        if (b[4] != 2 || b[5] != 1)
            throw new InvalidDataException($"'{path}' is not a 64-bit little-endian ELF file; only those are supported.");
        return b;
    }

    /// <summary>(file offset, size, offset of the linked string table) of each section of the given type.</summary>
    private static IEnumerable<(long Offset, long Size, long Strings)> Sections(byte[] b, string path, uint type)
    {
        long shoff = BinaryPrimitives.ReadInt64LittleEndian(b.AsSpan(0x28));
        int shentsize = BinaryPrimitives.ReadUInt16LittleEndian(b.AsSpan(0x3A));
        int shnum = BinaryPrimitives.ReadUInt16LittleEndian(b.AsSpan(0x3C));
        var found = new List<(long, long, long)>();
        for (int s = 0; s < shnum; s++)
        {
            long sh = shoff + (long)s * shentsize;
            Check(b, sh, 64, path);
            if (BinaryPrimitives.ReadUInt32LittleEndian(b.AsSpan((int)sh + 4)) != type) continue;
            long offset = BinaryPrimitives.ReadInt64LittleEndian(b.AsSpan((int)sh + 0x18));
            long size = BinaryPrimitives.ReadInt64LittleEndian(b.AsSpan((int)sh + 0x20));
            int link = (int)BinaryPrimitives.ReadUInt32LittleEndian(b.AsSpan((int)sh + 0x28));
            long linked = shoff + (long)link * shentsize;
            Check(b, linked, 64, path);
            found.Add((offset, size, BinaryPrimitives.ReadInt64LittleEndian(b.AsSpan((int)linked + 0x18))));
        }
        return found;
    }

    private static string CString(byte[] b, long at, string path)
    {
        Check(b, at, 1, path);
        int end = Array.IndexOf(b, (byte)0, (int)at);
        if (end < 0) throw new InvalidDataException($"'{path}': unterminated string in a version section.");
        return Encoding.ASCII.GetString(b, (int)at, end - (int)at);
    }

    private static void Check(byte[] b, long at, int length, string path)
    {
        if (at < 0 || at + length > b.Length)
            throw new InvalidDataException($"'{path}': truncated or corrupt ELF (offset {at} beyond {b.Length} bytes).");
    }
}
