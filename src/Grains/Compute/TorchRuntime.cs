using System.Runtime.InteropServices;

namespace FedSim.Compute;

/// <summary>
/// Process-wide native settings that must be in place before libtorch runs its first kernel. Every type
/// here that touches torch calls <see cref="EnsureInitialized"/> from its static constructor.
/// </summary>
internal static class TorchRuntime
{
    /// <summary>oneDNN's knob for the highest instruction set its kernels may use.</summary>
    public const string OneDnnIsaVariable = "ONEDNN_MAX_CPU_ISA";
    public const string OneDnnIsaCap = "AVX2";

    private static readonly Lazy<string?> Applied = new(Apply, LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>The oneDNN ISA cap this process applied, or null when left to the user or not applicable.</summary>
    public static string? EnsureInitialized() => Applied.Value;

    private static string? Apply()
    {
        // libtorch 2.10's oneDNN AVX-512 convolution backward-data kernel returns wrong input gradients on
        // some AVX-512 CPUs (measured on an AMD EPYC: about half the true value single-threaded, a different
        // value per run multi-threaded); forward and weight gradients are right, the AVX2 kernels are right.
        // Capping oneDNN at AVX2 fixes CNN training there at a small speed cost. oneDNN reads the variable once,
        // at its first primitive, so it has to be set natively (Environment.SetEnvironmentVariable does not
        // reach native getenv on Unix) before any convolution. A value the user set is respected.
        if (!OperatingSystem.IsLinux() || RuntimeInformation.ProcessArchitecture != Architecture.X64) return null;
        if (!string.IsNullOrEmpty(Environment.GetEnvironmentVariable(OneDnnIsaVariable))) return null;
        try
        {
            if (SetEnv(OneDnnIsaVariable, OneDnnIsaCap, 0) != 0) return null;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return null;
        }
        Environment.SetEnvironmentVariable(OneDnnIsaVariable, OneDnnIsaCap); // keep the managed view in step
        return OneDnnIsaCap;
    }

    [DllImport("libc", EntryPoint = "setenv", CharSet = CharSet.Ansi, BestFitMapping = false)]
    private static extern int SetEnv(string name, string value, int overwrite);
}
