using Bogus;
using FedSim.Determinism;

namespace FedSim.Rounds;

/// <summary>
/// Generates a device's hardware and network profile from (experiment seed, device), so the same
/// device always gets the same profile on any silo. The classes and their speed ranges are rough,
/// plausible orders of magnitude for on-device training of small models, not measurements.
/// </summary>
public static class DeviceProfiles
{
    private static readonly string[] Regions =
        ["Europe", "North America", "South America", "East Asia", "South Asia", "Africa", "Oceania", "Middle East"];

    [ThreadStatic] private static Bogus.DataSets.Name? t_names;

    public static DeviceProfile Generate(ulong experimentSeed, long device) => Generate(experimentSeed, device, DefaultClasses);

    private static readonly DeviceClassSpec[] DefaultClasses = DeviceClassSpec.Defaults();

    /// <summary>The profile of <paramref name="device"/>, drawn from <paramref name="classes"/> (shares normalised).</summary>
    public static DeviceProfile Generate(ulong experimentSeed, long device, DeviceClassSpec[] classes)
    {
        ulong seed = Seeds.Derive(experimentSeed, Seeds.None, device, SeedPurpose.DeviceProfile);
        // One Name data set per thread, reseeded per device: building a whole Faker costs about a millisecond.
        var names = t_names ??= new Bogus.DataSets.Name();
        names.Random = new Randomizer(Seeds.ToInt32(seed));
        var rng = new DeterministicRandom(seed);
        var cls = PickClass(classes, rng.NextDouble());
        // Log-uniform within the class range: speeds span orders of magnitude.
        double LogUniform(double lo, double hi) => Math.Exp(Math.Log(lo) + rng.NextDouble() * (Math.Log(hi) - Math.Log(lo)));
        const double bytesPerMbps = 1_000_000 / 8.0;
        return new DeviceProfile(
            Name: $"{names.FirstName()}'s {cls.Name}",
            Region: Regions[rng.NextInt(Regions.Length)],
            DeviceClass: cls.Name,
            SamplesPerSecond: LogUniform(cls.SamplesPerSecond[0], cls.SamplesPerSecond[1]),
            UplinkBytesPerSecond: LogUniform(cls.UplinkMbps[0], cls.UplinkMbps[1]) * bytesPerMbps,
            DownlinkBytesPerSecond: LogUniform(cls.DownlinkMbps[0], cls.DownlinkMbps[1]) * bytesPerMbps);
    }

    /// <summary>Simulated wall time of one round on this device: download, local training, upload.</summary>
    public static double SimulatedSeconds(DeviceProfile profile, long bytesDown, long samplesProcessed, long bytesUp)
        => bytesDown / profile.DownlinkBytesPerSecond
           + samplesProcessed / profile.SamplesPerSecond
           + bytesUp / profile.UplinkBytesPerSecond;

    private static DeviceClassSpec PickClass(DeviceClassSpec[] classes, double u)
    {
        double total = 0;
        foreach (var c in classes) total += c.Share;
        double acc = 0;
        foreach (var c in classes)
        {
            acc += c.Share / total;
            if (u < acc) return c;
        }
        return classes[^1];
    }
}
