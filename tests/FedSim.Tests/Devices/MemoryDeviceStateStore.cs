using FedSim.Devices;
using FedSim.Strategies;

namespace FedSim.Tests.Devices;

/// <summary>A device's stored state kept in a list: what the device pipeline wrote, and the latest before a round.</summary>
internal sealed class MemoryDeviceStateStore : IDeviceStateStore
{
    public List<DeviceState> Written { get; } = [];

    public Task<DeviceState?> ReadBeforeAsync(int round) => Task.FromResult(Written.Where(v => v.Round < round).MaxBy(v => v.Round));

    public Task WriteAsync(DeviceState state)
    {
        Written.Add(state);
        return Task.CompletedTask;
    }
}
