using System.Reflection;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using TorchSharp;

namespace FedSim.Compute;

/// <summary>The native compute stack this process runs on, for a run's provenance (summary.json).</summary>
/// <param name="TorchSharp">TorchSharp's version.</param>
/// <param name="Libtorch">Where libtorch came from: the NuGet package and version this program was built with
/// ("libtorch-cpu-linux-x64 2.10.0"), or a PyTorch installation's version when the loaded file is PyTorch's.</param>
/// <param name="LibtorchFile">The libtorch_cpu.so this process has loaded; null when it has loaded none (a cluster
/// client, whose silos train).</param>
/// <param name="Blas">The BLAS the loaded libtorch calls: MKL's own version string when libtorch carries MKL, else the
/// BLAS library mapped into the process; null when libtorch is not loaded.</param>
/// <param name="Threads">libtorch's intra-op threads; null when it is not loaded.</param>
public sealed record TorchBuildInfo(string TorchSharp, string? Libtorch, string? LibtorchFile, string? Blas, int? Threads);

/// <summary>
/// Reads what <see cref="TorchBuildInfo"/> holds without loading libtorch: the process's mapped files say whether it
/// is loaded and from where, and the loaded library answers for its BLAS.
/// </summary>
public static class TorchBuild
{
    private const string LibtorchCpu = "libtorch_cpu.so";

    public static TorchBuildInfo Describe()
    {
        string torchSharp = typeof(torch).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0]
                            ?? typeof(torch).Assembly.GetName().Version?.ToString() ?? "unknown";
        var mapped = MappedFiles();
        string? libtorchFile = mapped.FirstOrDefault(f => Path.GetFileName(f) == LibtorchCpu);
        if (libtorchFile is null) return new TorchBuildInfo(torchSharp, LibtorchPackage(), null, null, null);
        return new TorchBuildInfo(torchSharp, PyTorchVersion(libtorchFile) ?? LibtorchPackage(), libtorchFile,
            MklVersion(libtorchFile) ?? mapped.FirstOrDefault(IsBlasLibrary), torch.get_num_threads());
    }

    /// <summary>The files mapped into this process (/proc/self/maps), each once; empty where there is no such file.</summary>
    private static List<string> MappedFiles()
    {
        const string maps = "/proc/self/maps";
        if (!File.Exists(maps)) return [];
        // The path is the sixth field and may itself hold spaces: everything from the first '/' on.
        return File.ReadLines(maps).Select(line => line.IndexOf('/', StringComparison.Ordinal) is var at and >= 0 ? line[at..] : null)
            .OfType<string>().Distinct().ToList();
    }

    private static bool IsBlasLibrary(string file)
    {
        string name = Path.GetFileName(file);
        return name.StartsWith("libopenblas", StringComparison.Ordinal) || name.StartsWith("libblas", StringComparison.Ordinal)
               || name.StartsWith("libmkl_rt", StringComparison.Ordinal) || name.StartsWith("libblis", StringComparison.Ordinal);
    }

    /// <summary>The libtorch package in this program's dependency manifest (deps.json), e.g. "libtorch-cpu-linux-x64 2.10.0".</summary>
    private static string? LibtorchPackage()
    {
        // The host names the manifests it read; a test host does not, so the program folder's are read too.
        var manifests = (AppContext.GetData("APP_CONTEXT_DEPS_FILES") as string ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Concat(Directory.GetFiles(AppContext.BaseDirectory, "*.deps.json"));
        foreach (string deps in manifests.Where(File.Exists))
        {
            using var json = JsonDocument.Parse(File.ReadAllText(deps));
            if (!json.RootElement.TryGetProperty("libraries", out var libraries)) continue;
            // The platform's package (libtorch-cpu-linux-x64) holds the native files; libtorch-cpu only points at it.
            var packages = libraries.EnumerateObject().Select(l => l.Name.Split('/'))
                .Where(p => p.Length == 2 && p[0].StartsWith("libtorch-", StringComparison.Ordinal)).ToList();
            if ((packages.FirstOrDefault(p => p[0].EndsWith(RuntimeInformation.RuntimeIdentifier, StringComparison.Ordinal)) ?? packages.FirstOrDefault())
                is [var name, var version])
                return $"{name} {version}";
        }
        return null;
    }

    /// <summary>"PyTorch 2.5.1" when the loaded libtorch is a PyTorch installation's (torch/lib beside torch/version.py).</summary>
    private static string? PyTorchVersion(string libtorchFile)
    {
        string versionFile = Path.Combine(Path.GetDirectoryName(libtorchFile)!, "..", "version.py");
        if (!File.Exists(versionFile)) return null;
        string? line = File.ReadLines(versionFile).FirstOrDefault(l => l.StartsWith("__version__", StringComparison.Ordinal));
        return line is null ? "PyTorch" : "PyTorch " + line.Split('=', 2)[1].Trim().Trim('\'', '"');
    }

    /// <summary>MKL's version string when the loaded libtorch carries MKL (at::Context::hasMKL), else null.</summary>
    private static string? MklVersion(string libtorchFile)
    {
        if (!NativeLibrary.TryLoad(libtorchFile, out var handle)) return null;
        try
        {
            if (!NativeLibrary.TryGetExport(handle, "_ZN2at7Context6hasMKLEv", out var hasMkl)
                || !Marshal.GetDelegateForFunctionPointer<HasMkl>(hasMkl)()) return null;
            if (!NativeLibrary.TryGetExport(handle, "MKL_Get_Version_String", out var versionString)) return "MKL";
            var buffer = new byte[256];
            Marshal.GetDelegateForFunctionPointer<MklVersionString>(versionString)(buffer, buffer.Length);
            return Encoding.ASCII.GetString(buffer, 0, Math.Max(0, Array.IndexOf(buffer, (byte)0))).Trim();
        }
        finally
        {
            NativeLibrary.Free(handle); // TryLoad took a reference to the already-loaded library; give it back
        }
    }

    // static bool at::Context::hasMKL()
    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    [return: MarshalAs(UnmanagedType.U1)]
    private delegate bool HasMkl();

    // void MKL_Get_Version_String(char* buffer, int length)
    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    private delegate void MklVersionString(byte[] buffer, int length);
}
