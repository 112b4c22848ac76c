using System.Runtime.InteropServices;

namespace FedSim.Compute;

/// <summary>
/// Says, without loading libtorch, whether <c>compute.device: cuda</c> can work in this process: the CUDA build of
/// libtorch must be reachable (next to the program, as TorchSharp-cuda-linux deploys it, or on the loader's path, as
/// the lent-GPU route uses PyTorch's own) and an NVIDIA driver must be present. <c>fedsim validate</c> asks it so
/// that validating stays fast and never starts torch. It is a necessary condition, not a proof: the run still asks
/// torch itself (<see cref="TorchDevices"/>, <see cref="ComputePoolTuning"/>) before training.
/// </summary>
public static class CudaProbe
{
    /// <summary>What the probe looks at; replaceable in tests.</summary>
    public sealed record Facts(IReadOnlyList<string> LibraryFolders, Func<string, bool> FileExists, Func<string, bool> DirectoryExists, string? LoaderCache);

    /// <summary>Null when CUDA looks usable; otherwise why not and what to do, as one sentence.</summary>
    public static string? Problem() => Problem(CurrentFacts());

    /// <inheritdoc cref="Problem()"/>
    public static string? Problem(Facts facts)
    {
        if (OperatingSystem.IsMacOS())
            return "compute.device is 'cuda' but macOS has no CUDA; use auto or cpu";
        string library = OperatingSystem.IsWindows() ? "torch_cuda.dll" : "libtorch_cuda.so";
        bool backend = facts.LibraryFolders.Any(dir => facts.FileExists(Path.Combine(dir, library)))
                       || (facts.LoaderCache?.Contains(library, StringComparison.Ordinal) ?? false);
        if (!backend)
            return $"compute.device is 'cuda' but this FedSim build has no CUDA libtorch ({library} is neither beside the program nor on the library path): " +
                   "it was built with the CPU-only TorchSharp-cpu package. Build with -p:TorchBackend=cuda on a machine with an NVIDIA driver, or set compute.device to auto or cpu";
        bool driver = OperatingSystem.IsWindows()
            ? facts.FileExists(Path.Combine(Environment.SystemDirectory, "nvcuda.dll"))
            : facts.FileExists("/proc/driver/nvidia/version") || facts.FileExists("/dev/nvidiactl") || facts.DirectoryExists("/proc/driver/nvidia");
        if (!driver)
            return "compute.device is 'cuda' but no NVIDIA driver is loaded on this machine (no /proc/driver/nvidia); use auto or cpu, or run on a machine with an NVIDIA GPU";
        return null;
    }

    /// <summary>The folders the native loader searches for libtorch, and the loader cache, as this process sees them.</summary>
    public static Facts CurrentFacts()
    {
        var folders = new List<string> { AppContext.BaseDirectory };
        string rid = RuntimeInformation.RuntimeIdentifier;
        folders.Add(Path.Combine(AppContext.BaseDirectory, "runtimes", rid, "native"));
        string os = OperatingSystem.IsWindows() ? "win" : OperatingSystem.IsMacOS() ? "osx" : "linux";
        folders.Add(Path.Combine(AppContext.BaseDirectory, "runtimes", $"{os}-{RuntimeInformation.ProcessArchitecture.ToString().ToLowerInvariant()}", "native"));
        string pathVariable = OperatingSystem.IsWindows() ? "PATH" : "LD_LIBRARY_PATH";
        if (Environment.GetEnvironmentVariable(pathVariable) is { Length: > 0 } value)
            folders.AddRange(value.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries));
        string? cache = null;
        if (OperatingSystem.IsLinux())
        {
            // ld.so.cache lists every library ldconfig knows (system-wide installs) by name.
            try { cache = File.Exists("/etc/ld.so.cache") ? System.Text.Encoding.Latin1.GetString(File.ReadAllBytes("/etc/ld.so.cache")) : null; }
            catch (IOException) { }
            catch (UnauthorizedAccessException) { }
        }
        return new Facts(folders, File.Exists, Directory.Exists, cache);
    }
}
