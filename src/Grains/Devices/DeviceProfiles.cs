using Bogus;
using FedSim.Contracts;
using FedSim.Determinism;

namespace FedSim.Devices;

/// <summary>
/// Generates a device's hardware and network profile from (experiment seed, device), so the same
/// device always gets the same profile on any silo. The classes and their speed ranges are rough,
/// plausible orders of magnitude for on-device training of small models, not measurements.
/// </summary>
public static class DeviceProfiles
{
    private sealed record DeviceClass(string Name, double Share, double MinSamplesPerSecond, double MaxSamplesPerSecond,
        double MinUplinkMbps, double MaxUplinkMbps, double MinDownlinkMbps, double MaxDownlinkMbps);

    private static readonly DeviceClass[] Classes =
    [
        new("low-end phone", 0.30, 50, 200, 0.5, 5, 2, 20),
        new("mid-range phone", 0.35, 200, 800, 2, 20, 10, 80),
        new("flagship phone", 0.20, 800, 3000, 10, 60, 40, 300),
        new("tablet", 0.10, 400, 1500, 5, 40, 20, 200),
        new("laptop", 0.05, 2000, 10000, 20, 200, 50, 500),
    ];

    private static readonly string[] Regions =
        ["Europe", "North America", "South America", "East Asia", "South Asia", "Africa", "Oceania", "Middle East"];

    [ThreadStatic] private static Bogus.DataSets.Name? t_names;

    public static DeviceProfile Generate(ulong experimentSeed, long device)
    {
        ulong seed = Seeds.Derive(experimentSeed, Seeds.None, device, SeedPurpose.DeviceProfile);
        // One Name data set per thread, reseeded per device: building a whole Faker costs about a millisecond.
        var names = t_names ??= new Bogus.DataSets.Name();
        names.Random = new Randomizer(Seeds.ToInt32(seed));
        var rng = new DeterministicRandom(seed);
        var cls = PickClass(rng.NextDouble());
        // Log-uniform within the class range: speeds span orders of magnitude.
        double LogUniform(double lo, double hi) => Math.Exp(Math.Log(lo) + rng.NextDouble() * (Math.Log(hi) - Math.Log(lo)));
        const double bytesPerMbps = 1_000_000 / 8.0;
        return new DeviceProfile(
            Name: $"{names.FirstName()}'s {cls.Name}",
            Region: Regions[rng.NextInt(Regions.Length)],
            DeviceClass: cls.Name,
            SamplesPerSecond: LogUniform(cls.MinSamplesPerSecond, cls.MaxSamplesPerSecond),
            UplinkBytesPerSecond: LogUniform(cls.MinUplinkMbps, cls.MaxUplinkMbps) * bytesPerMbps,
            DownlinkBytesPerSecond: LogUniform(cls.MinDownlinkMbps, cls.MaxDownlinkMbps) * bytesPerMbps);
    }

    /// <summary>Simulated wall time of one round on this device: download, local training, upload.</summary>
    public static double SimulatedSeconds(DeviceProfile profile, long bytesDown, long samplesProcessed, long bytesUp)
        => bytesDown / profile.DownlinkBytesPerSecond
           + samplesProcessed / profile.SamplesPerSecond
           + bytesUp / profile.UplinkBytesPerSecond;

    private static DeviceClass PickClass(double u)
    {
        double acc = 0;
        foreach (var c in Classes)
        {
            acc += c.Share;
            if (u < acc) return c;
        }
        return Classes[^1];
    }
}
