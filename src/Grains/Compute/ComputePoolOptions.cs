namespace FedSim.Compute;

/// <summary>How a silo's compute pool runs. Zero values mean "tune for the device kind".</summary>
/// <param name="Device">auto | cpu | cuda.</param>
/// <param name="Workers">Training threads, each running one cohort at a time.</param>
/// <param name="MaxCohortSize">Most jobs trained together as one batched program.</param>
/// <param name="LingerMilliseconds">How long a worker waits for more compatible jobs before starting a partial cohort.</param>
/// <param name="QueueCapacity">Most jobs waiting; further submitters wait (backpressure).</param>
/// <param name="MemoryBudgetBytes">Most estimated bytes held by admitted jobs at once (0 = tuned).</param>
/// <param name="ConvolutionCohortSize">Most CNN jobs per cohort (0 = tuned: on a CPU 1, unless MaxCohortSize is set; else MaxCohortSize).</param>
public sealed record ComputePoolOptions(
    string Device = "auto",
    int Workers = 0,
    int MaxCohortSize = 0,
    double LingerMilliseconds = 2,
    int QueueCapacity = 4096,
    long MemoryBudgetBytes = 0,
    int ConvolutionCohortSize = 0)
{
    /// <summary>
    /// Validates the options and fills every zero with the tuned value for the device kind;
    /// "auto" becomes "cuda" when torch sees a CUDA device, else "cpu".
    /// </summary>
    public ComputePoolOptions Resolve() => ComputePoolTuning.Resolve(this, static () => ComputePoolTuning.CudaAvailable);

    /// <summary>Same as <see cref="Resolve()"/> with the CUDA probe given (tests, and callers that probed already).</summary>
    public ComputePoolOptions Resolve(bool cudaAvailable) => ComputePoolTuning.Resolve(this, () => cudaAvailable);
}
