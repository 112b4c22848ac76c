namespace FedSim.Devices;

/// <summary>Per-silo counters about simulated devices (how many were ever activated here).</summary>
public sealed class SiloMetrics
{
    private long _deviceActivations;

    public long DeviceActivations => Interlocked.Read(ref _deviceActivations);

    internal void DeviceActivated() => Interlocked.Increment(ref _deviceActivations);
}
