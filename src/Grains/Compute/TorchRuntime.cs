using System.Runtime.InteropServices;
using System.Runtime.Intrinsics.X86;

namespace FedSim.Compute;

/// <summary>
/// Process-wide native settings that must be in place before libtorch runs its first kernel. Every type
/// here that touches torch calls <see cref="EnsureInitialized"/> from its static constructor.
/// </summary>
internal static class TorchRuntime
{
    /// <summary>oneDNN's knob for the highest instruction set its kernels may use.</summary>
    public const string OneDnnIsaVariable = "ONEDNN_MAX_CPU_ISA";

    /// <summary>MKL's conditional numerical reproducibility knob.</summary>
    public const string MklReproducibilityVariable = "MKL_CBWR";
    public const string MklReproducibility = "AUTO,STRICT";

    private static readonly Lazy<string?> Applied = new(Apply, LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>The oneDNN ISA cap this process applied, or null when left to the user or not applicable.</summary>
    public static string? EnsureInitialized() => Applied.Value;

    /// <summary>Applies the settings as soon as FedSim's grains assembly is used, ahead of any torch call it makes.</summary>
#pragma warning disable CA2255 // a library module initializer is the point here: it only sets environment variables
    [System.Runtime.CompilerServices.ModuleInitializer]
    internal static void OnModuleLoad() => EnsureInitialized();
#pragma warning restore CA2255

    private static string? Apply()
    {
        if (!OperatingSystem.IsLinux() || RuntimeInformation.ProcessArchitecture != Architecture.X64) return null;

        // MKL's multi-threaded GEMM splits work differently for a lone matrix product than for one inside a
        // batched product, so the same device's update differed in the last bits depending on which devices
        // shared its cohort, and cohorts form by arrival timing: the same seed gave different numbers. Strict
        // CNR makes GEMM results independent of the threading (CohortDeterminismTests).
        SetNativeDefault(MklReproducibilityVariable, MklReproducibility);

        // libtorch 2.10's oneDNN convolution backward-data kernels return wrong input gradients on AMD EPYCs
        // for layers with fewer input channels than the kernel's channel block (1 or 2, as in small test
        // models): about half the true value single-threaded and a different value per run multi-threaded
        // with AVX-512, and on a Zen 4 EPYC the AVX2 kernels too (relative error 0.3 to 0.9); forward and weight
        // gradients are right, and so are the AVX kernels. Capping oneDNN at AVX on AMD fixes CNN training
        // there, at about a quarter of CNN training speed; other CPUs keep AVX2 (TorchRuntimeTests checks both).
        string cap = OneDnnIsaCapFor(CpuVendor());
        return SetNativeDefault(OneDnnIsaVariable, cap) ? cap : null;
    }

    /// <summary>The oneDNN instruction-set cap for a CPU vendor (cpuid's "AuthenticAMD", "GenuineIntel").</summary>
    internal static string OneDnnIsaCapFor(string vendor) => vendor == "AuthenticAMD" ? "AVX" : "AVX2";

    private static string CpuVendor()
    {
        if (!X86Base.IsSupported) return "";
        var (_, ebx, ecx, edx) = X86Base.CpuId(0, 0);
        Span<int> registers = [ebx, edx, ecx]; // the vendor string's order
        return System.Text.Encoding.ASCII.GetString(MemoryMarshal.AsBytes(registers));
    }

    /// <summary>
    /// Sets a variable for native code unless the user set it. The libraries read it once, at first use, so it
    /// has to be set natively (Environment.SetEnvironmentVariable does not reach native getenv on Unix).
    /// </summary>
    private static bool SetNativeDefault(string name, string value)
    {
        if (!string.IsNullOrEmpty(Environment.GetEnvironmentVariable(name))) return false;
        try
        {
            if (SetEnv(name, value, 0) != 0) return false;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return false;
        }
        Environment.SetEnvironmentVariable(name, value); // keep the managed view in step
        return true;
    }

    [DllImport("libc", EntryPoint = "setenv", CharSet = CharSet.Ansi, BestFitMapping = false)]
    private static extern int SetEnv(string name, string value, int overwrite);
}
