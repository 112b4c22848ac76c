namespace FedSim.Devices;

/// <summary>Per-silo counters: device activations, and coordinators resumed from a checkpoint.</summary>
public sealed class SiloMetrics
{
    private long _deviceActivations;
    private long _experimentResumes;

    public long DeviceActivations => Interlocked.Read(ref _deviceActivations);

    /// <summary>Coordinator activations that found an unfinished checkpoint and resumed from it.</summary>
    public long ExperimentResumes => Interlocked.Read(ref _experimentResumes);

    internal void DeviceActivated() => Interlocked.Increment(ref _deviceActivations);

    internal void ExperimentResumed() => Interlocked.Increment(ref _experimentResumes);
}
