namespace FedSim.Rounds;

/// <summary>
/// A simulated device's hardware and network, generated deterministically (Bogus) from its seed.
/// Drives simulated round time; recorded in results.
/// </summary>
[GenerateSerializer, Immutable]
public sealed record DeviceProfile(
    [property: Id(0)] string Name,
    [property: Id(1)] string Region,
    [property: Id(2)] string DeviceClass,
    [property: Id(3)] double SamplesPerSecond,
    [property: Id(4)] double UplinkBytesPerSecond,
    [property: Id(5)] double DownlinkBytesPerSecond);
