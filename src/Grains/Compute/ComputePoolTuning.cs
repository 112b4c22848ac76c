using TorchSharp;

namespace FedSim.Compute;

/// <summary>
/// Per-device-kind defaults for the compute pool: what <see cref="ComputePoolOptions.Resolve()"/> puts in place of zeros.
/// </summary>
public static class ComputePoolTuning
{
    /// <summary>One CPU worker: libtorch already spreads each op over all cores (intra-op threads), so
    /// a second cohort in parallel would only fight the first for the same cores and caches.</summary>
    public const int CpuWorkers = 1;

    /// <summary>
    /// CPU cohort size. On a CPU the useful cohort is bounded by cache size, not kernel launches: on the
    /// 2-core dev machine an MLP 784-200-200-10 at batch 64 ran 2.4x / 2.6x / 1.8x one-by-one speed at
    /// cohorts of 8 / 32 / 64 (the stacked weights and gradients of 64 devices, ~100 MB, overflow the cache).
    /// </summary>
    public const int CpuMaxCohortSize = 32;

    /// <summary>
    /// CPU cohort size for CNN jobs. CPU convolutions are compute-bound, and one grouped convolution over a
    /// cohort ran at 0.4-0.5x the speed of the same devices one at a time on the 2-core dev machine
    /// (bench/results-cpu-2core.md), so on a CPU CNN jobs train alone unless a cohort size is set.
    /// </summary>
    public const int CpuConvolutionCohortSize = 1;

    /// <summary>Share of the memory available to this process that admitted CPU jobs may hold.</summary>
    public const double CpuMemoryBudgetFraction = 0.25;

    /// <summary>Floor for the CPU budget, for containers that report very little available memory.</summary>
    public const long MinCpuMemoryBudgetBytes = 256L << 20;

    /// <summary>Two GPU workers: one cohort gathers and launches while the other computes.</summary>
    public const int CudaWorkers = 2;

    /// <summary>GPU cohort size: batching pays off until the GPU is saturated (256 MLP clients measured 124x
    /// faster batched than sequential on an H100, see design.md).</summary>
    public const int CudaMaxCohortSize = 256;

    /// <summary>Conservative GPU budget: fits the smallest data-centre GPUs with room for libtorch's own caches.</summary>
    public const long CudaMemoryBudgetBytes = 8L << 30;

    /// <summary>Whether torch sees a CUDA device (false with the CPU-only libtorch package).</summary>
    public static bool CudaAvailable => torch.cuda.is_available();

    /// <summary>Memory budget for admitted CPU jobs on this machine.</summary>
    public static long CpuMemoryBudgetBytes()
    {
        long available = GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;
        return Math.Max(MinCpuMemoryBudgetBytes, (long)(available * CpuMemoryBudgetFraction));
    }

    /// <summary>Validates <paramref name="options"/> and fills zeros with the values for the resolved device kind.</summary>
    /// <param name="options">What was asked for.</param>
    /// <param name="cudaAvailable">CUDA probe; called only for "auto" and "cuda", so an explicit cpu pool never loads libtorch here.</param>
    public static ComputePoolOptions Resolve(ComputePoolOptions options, Func<bool> cudaAvailable)
    {
        ArgumentNullException.ThrowIfNull(cudaAvailable);
        ArgumentNullException.ThrowIfNull(options);
        string requested = (options.Device ?? "").Trim().ToLowerInvariant();
        string device = requested switch
        {
            "auto" or "" => cudaAvailable() ? "cuda" : "cpu",
            "cpu" => "cpu",
            "cuda" => cudaAvailable()
                ? "cuda"
                : throw new InvalidOperationException(
                    "compute device 'cuda' was requested but torch sees no CUDA device (is this the CPU-only libtorch build, " +
                    "or is the GPU not visible?). Use device 'auto' or 'cpu', or build with -p:TorchBackend=cuda on a GPU machine."),
            _ => throw new ArgumentException(
                $"compute device '{options.Device}' is not one of auto | cpu | cuda.", nameof(options)),
        };
        Require(options.Workers >= 0, $"compute workers must be 0 (tuned) or positive, got {options.Workers}.");
        Require(options.MaxCohortSize >= 0, $"compute cohort size must be 0 (tuned) or positive, got {options.MaxCohortSize}.");
        Require(options.ConvolutionCohortSize >= 0,
            $"compute convolution cohort size must be 0 (tuned) or positive, got {options.ConvolutionCohortSize}.");
        Require(options.LingerMilliseconds >= 0 && double.IsFinite(options.LingerMilliseconds),
            $"compute linger must be a finite number of milliseconds >= 0, got {options.LingerMilliseconds}.");
        Require(options.QueueCapacity > 0, $"compute queue capacity must be positive, got {options.QueueCapacity}.");
        Require(options.MemoryBudgetBytes >= 0, $"compute memory budget must be 0 (tuned) or positive bytes, got {options.MemoryBudgetBytes}.");

        bool cuda = device == "cuda";
        int maxCohort = options.MaxCohortSize > 0 ? options.MaxCohortSize : cuda ? CudaMaxCohortSize : CpuMaxCohortSize;
        return options with
        {
            Device = device,
            Workers = options.Workers > 0 ? options.Workers : cuda ? CudaWorkers : CpuWorkers,
            MaxCohortSize = maxCohort,
            ConvolutionCohortSize = options.ConvolutionCohortSize > 0 ? options.ConvolutionCohortSize
                : cuda || options.MaxCohortSize > 0 ? maxCohort : CpuConvolutionCohortSize,
            MemoryBudgetBytes = options.MemoryBudgetBytes > 0 ? options.MemoryBudgetBytes
                : cuda ? CudaMemoryBudgetBytes : CpuMemoryBudgetBytes(),
        };
    }

    private static void Require(bool condition, string message)
    {
        if (!condition) throw new ArgumentException(message, "options");
    }
}
