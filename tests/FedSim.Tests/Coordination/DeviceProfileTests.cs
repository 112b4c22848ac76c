using FedSim.Devices;
using FedSim.Rounds;

namespace FedSim.Tests.Coordination;

public sealed class DeviceProfileTests
{
    [Fact]
    public void Device_profile_is_a_function_of_seed_and_device()
    {
        Assert.Equal(DeviceProfiles.Generate(1, 17), DeviceProfiles.Generate(1, 17));
        Assert.NotEqual(DeviceProfiles.Generate(1, 17), DeviceProfiles.Generate(1, 18));
    }

    [Fact]
    public void Device_profiles_cover_several_classes_with_positive_speeds()
    {
        var profiles = Enumerable.Range(0, 500).Select(d => DeviceProfiles.Generate(3, d)).ToList();

        Assert.True(profiles.Select(p => p.DeviceClass).Distinct().Count() >= 4);
        Assert.All(profiles, p => Assert.True(p.SamplesPerSecond > 0 && p.UplinkBytesPerSecond > 0 && p.DownlinkBytesPerSecond > 0));
        Assert.All(profiles, p => Assert.False(string.IsNullOrWhiteSpace(p.Name)));
    }

    [Fact]
    public void Simulated_time_adds_download_compute_and_upload()
    {
        var profile = new FedSim.Rounds.DeviceProfile("x", "r", "c", SamplesPerSecond: 100, UplinkBytesPerSecond: 10, DownlinkBytesPerSecond: 20);

        Assert.Equal(2.0 + 3.0 + 4.0, DeviceProfiles.SimulatedSeconds(profile, bytesDown: 40, samplesProcessed: 300, bytesUp: 40), 9);
    }

    [Fact]
    public void Device_key_round_trips_and_rejects_garbage()
    {
        var key = DeviceKey.Parse("exp/with/slash/42");
        Assert.Equal(("exp/with/slash", 42L), (key.ExperimentId, key.Device));
        Assert.Equal("exp/with/slash/42", key.ToString());
        Assert.Throws<ArgumentException>(() => DeviceKey.Parse("nodevice"));
    }
}
