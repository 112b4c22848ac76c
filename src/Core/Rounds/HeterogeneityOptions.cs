using System.ComponentModel;

namespace FedSim.Rounds;

// The heterogeneity section of a scenario (heterogeneity:): how slow, vanishing and unavailable devices are.

[GenerateSerializer]
public sealed class HeterogeneitySpec
{
    [Id(0), Description("Simulated seconds a round waits for updates (0 = no deadline): later devices are stragglers, dropped or cut short (keep_partial_work).")]
    public double DeadlineSeconds { get; set; }

    [Id(1), Description("Keep a straggler's partial work: it trains only the local steps that fit before the deadline (FedProx and FedNova use such updates).")]
    public bool KeepPartialWork { get; set; }

    [Id(2), Description("Over-selection x: sample ceil(k·(1+x)) devices and keep the first k to finish in simulated time (Bonawitz et al. 2019).")]
    public double OverSelection { get; set; }

    [Id(3), Description("Probability that a sampled device drops out during the round (never answers), drawn per device and round.")]
    public double Dropout { get; set; }

    [Id(4), Description("Probability that a device is available to be sampled in a round (1 = always), drawn per device and round; a trace's windows also apply.")]
    public double Availability { get; set; } = 1.0;

    [Id(5), Description("Per-device trace CSV (device, samples_per_second, uplink_bytes_per_second, downlink_bytes_per_second[, availability]) replacing generated profiles for the devices it lists; availability is ';'-separated start-end windows in seconds of a simulated day. Relative paths resolve against the scenario file.")]
    public string? Trace { get; set; }

    [Id(6), Description("Device classes profiles are drawn from (share, and log-uniform ranges of speed and bandwidth). Default: five phone/tablet/laptop classes.")]
    public DeviceClassSpec[] Classes { get; set; } = DeviceClassSpec.Defaults();
}

[GenerateSerializer]
[Description("One class of devices: its share of the population and its speed and bandwidth ranges.")]
public sealed class DeviceClassSpec
{
    [Id(0), Description("Class name (written to devices.csv).")]
    public string Name { get; set; } = "device";

    [Id(1), Description("Share of devices in this class (shares are normalised to sum to 1).")]
    public double Share { get; set; } = 1;

    [Id(2), Description("Training speed range [low, high] in samples per second (drawn log-uniformly).")]
    public double[] SamplesPerSecond { get; set; } = [200, 800];

    [Id(3), Description("Upload bandwidth range [low, high] in megabits per second (drawn log-uniformly).")]
    public double[] UplinkMbps { get; set; } = [2, 20];

    [Id(4), Description("Download bandwidth range [low, high] in megabits per second (drawn log-uniformly).")]
    public double[] DownlinkMbps { get; set; } = [10, 80];

    /// <summary>
    /// Rough, plausible orders of magnitude for on-device training of small models (not measurements): the
    /// classes FedSim has generated since its first release, so default profiles are unchanged.
    /// </summary>
    public static DeviceClassSpec[] Defaults() =>
    [
        new() { Name = "low-end phone", Share = 0.30, SamplesPerSecond = [50, 200], UplinkMbps = [0.5, 5], DownlinkMbps = [2, 20] },
        new() { Name = "mid-range phone", Share = 0.35, SamplesPerSecond = [200, 800], UplinkMbps = [2, 20], DownlinkMbps = [10, 80] },
        new() { Name = "flagship phone", Share = 0.20, SamplesPerSecond = [800, 3000], UplinkMbps = [10, 60], DownlinkMbps = [40, 300] },
        new() { Name = "tablet", Share = 0.10, SamplesPerSecond = [400, 1500], UplinkMbps = [5, 40], DownlinkMbps = [20, 200] },
        new() { Name = "laptop", Share = 0.05, SamplesPerSecond = [2000, 10000], UplinkMbps = [20, 200], DownlinkMbps = [50, 500] },
    ];
}
