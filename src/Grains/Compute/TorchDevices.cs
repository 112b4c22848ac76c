using FedSim.Scenario;
using TorchSharp;

namespace FedSim.Compute;

/// <summary>
/// Picks the torch device for a compute setting and applies process-wide torch settings.
/// (Named TorchDevices, not ComputeDevices, because <see cref="Scenario.ComputeDevices"/> already names the setting's values.)
/// </summary>
public static class TorchDevices
{
    private static readonly object Gate = new();
    private static bool _configured;

    static TorchDevices() => TorchRuntime.EnsureInitialized();

    /// <summary>
    /// "auto" → cuda when available, else cpu; "cpu" → cpu; "cuda" → cuda, or a clear error when this process
    /// cannot use a GPU. Names are case-insensitive; anything else is rejected with the accepted values.
    /// </summary>
    public static torch.Device Resolve(string? setting)
    {
        if (ResolveKind(setting, torch.cuda.is_available()) != ComputeDevices.Cuda) return torch.CPU;
        // cuDNN rounds convolution inputs to TF32 (10-bit mantissa) by default. FedSim keeps full fp32 so a
        // device trained in a cohort (grouped convolution) and alone (plain convolution) get the same update.
        torch.backends.cudnn.allow_tf32 = false;
        torch.backends.cuda.matmul.allow_tf32 = false;
        return torch.CUDA;
    }

    /// <summary>The decision of <see cref="Resolve(string?)"/> as "cpu" or "cuda", without touching a device.</summary>
    internal static string ResolveKind(string? setting, bool cudaAvailable)
    {
        string value = (setting ?? ComputeDevices.Auto).Trim().ToLowerInvariant();
        return value switch
        {
            ComputeDevices.Auto => cudaAvailable ? ComputeDevices.Cuda : ComputeDevices.Cpu,
            ComputeDevices.Cpu => ComputeDevices.Cpu,
            ComputeDevices.Cuda when cudaAvailable => ComputeDevices.Cuda,
            ComputeDevices.Cuda => throw new InvalidOperationException(
                "compute.device is 'cuda' but torch reports no usable CUDA device in this process. Build with " +
                "-p:TorchBackend=cuda (TorchSharp-cuda-linux) on a machine with an NVIDIA driver, or set compute.device to auto or cpu."),
            _ => throw new ArgumentException($"compute.device: '{setting}' is not a device; use one of: {string.Join(", ", ComputeDevices.All)}."),
        };
    }

    /// <summary>
    /// The instruction-set cap FedSim applied to oneDNN (CPU convolutions) in this process, or null if none
    /// (not Linux x64, or the user set ONEDNN_MAX_CPU_ISA). See TorchRuntime for the oneDNN convolution bug it avoids.
    /// </summary>
    public static string? OneDnnIsaCap => TorchRuntime.EnsureInitialized();

    /// <summary>
    /// Once per process: intra-op threads = all logical processors, inter-op threads = 1.
    /// Why: a CPU cohort is one large program per step, so the pool parallelizes inside each op (intra-op)
    /// rather than by running many small ones; libtorch's default counts physical cores, which leaves
    /// hyper-threads and container CPU quotas unused or misjudged. FedSim never uses torch's inter-op pool
    /// (no TorchScript fork/wait), and concurrency between cohorts comes from the compute pool's own workers,
    /// so a single inter-op thread avoids a second idle pool. torch accepts the inter-op setting only before
    /// its first parallel work, hence "once", early, and failures there are ignored (the default is harmless).
    /// </summary>
    public static void ConfigureThreads(int? intraOpThreads = null)
    {
        lock (Gate)
        {
            if (_configured) return;
            _configured = true;
            torch.set_num_threads(Math.Max(1, intraOpThreads ?? Environment.ProcessorCount));
            try { torch.set_num_interop_threads(1); }
            catch (Exception) { /* already started: keep torch's default */ }
        }
    }
}
