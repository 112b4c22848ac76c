using FedSim.Scenario;
using FedSim.Coordination;
using FedSim.Rounds;

namespace FedSim.Tests.Rounds;

public sealed class RoundPlannerTests
{
    private static readonly RoundWork Work = new(BatchSize: 10, LocalEpochs: 1, BytesDown: 1_000_000, BytesUp: 1_000_000);

    /// <summary>Device d is twice as slow as device d − 1 would be: speed and bandwidth from a trace, 100 samples each.</summary>
    private static DeviceProfileSource Profiles(int devices, Func<long, double>? speed = null)
    {
        var lines = new List<string> { "device,samples_per_second,uplink_bytes_per_second,downlink_bytes_per_second" };
        for (int d = 0; d < devices; d++)
            lines.Add($"{d},{(speed ?? (x => 100.0 / (x + 1)))(d).ToString(System.Globalization.CultureInfo.InvariantCulture)},1000000,1000000");
        return new DeviceProfileSource(1, DeviceClassSpec.Defaults(), DeviceTrace.Parse(lines, "trace.csv"));
    }

    private static RoundPlan Plan(HeterogeneitySpec h, int devices = 20, int perRound = 5, DeviceProfileSource? profiles = null, int round = 1)
        => RoundPlanner.Plan(round, 7, devices, perRound, 0, h, profiles ?? Profiles(devices), _ => 100, Work);

    [Fact]
    public void Without_heterogeneity_every_sampled_device_trains_fully_and_the_round_lasts_as_long_as_the_slowest()
    {
        var plan = Plan(new HeterogeneitySpec());

        Assert.Equal(CohortSampler.Sample(20, 5, 7, 1), plan.Devices.Select(d => d.Device));
        Assert.All(plan.Devices, d => Assert.Equal((DeviceOutcome.Train, 10, 10), (d.Outcome, d.Steps, d.FullSteps)));
        // 1 s down + 1 s up + 100 samples at 100/(d+1) samples/s.
        Assert.Equal(plan.Devices.Max(d => 2.0 + (d.Device + 1)), plan.SimulatedSeconds, 9);
    }

    [Fact]
    public void A_deadline_drops_stragglers_and_the_round_waits_until_the_deadline()
    {
        var plan = Plan(new HeterogeneitySpec { DeadlineSeconds = 8 }, devices: 20, perRound: 20);

        // Finish time is 3 + d seconds: devices 0..5 make the 8 s deadline, 6.. are late.
        Assert.Equal(Enumerable.Range(0, 6).Select(d => (long)d), plan.Training.Select(d => d.Device));
        Assert.Equal(14, plan.Count(DeviceOutcome.Late));
        Assert.Equal(8, plan.SimulatedSeconds);
        Assert.Contains("deadline", plan.Devices.First(d => d.Outcome == DeviceOutcome.Late).Reason);
    }

    [Fact]
    public void Partial_work_keeps_the_steps_that_fit_before_the_deadline()
    {
        var plan = Plan(new HeterogeneitySpec { DeadlineSeconds = 8, KeepPartialWork = true }, devices: 20, perRound: 20);

        // Device 9 trains at 10 samples/s: 8 s − 2 s of transfer leaves 6 s = 60 samples = 6 steps of 10.
        var slow = plan.Devices.Single(d => d.Device == 9);
        Assert.Equal((DeviceOutcome.Train, 6, 10), (slow.Outcome, slow.Steps, slow.FullSteps));
        Assert.True(slow.FinishSeconds <= 8);
        // Device 19 (5 samples/s) fits 30 samples: 3 steps. Nobody is left late: every device fits at least one step.
        Assert.Equal(3, plan.Devices.Single(d => d.Device == 19).Steps);
        Assert.Equal(0, plan.Count(DeviceOutcome.Late));
    }

    [Fact]
    public void Over_selection_keeps_the_first_k_to_finish_in_simulated_time()
    {
        var plan = Plan(new HeterogeneitySpec { OverSelection = 1.0 }, devices: 20, perRound: 4);

        Assert.Equal(8, plan.Devices.Count);
        var training = plan.Training.ToList();
        Assert.Equal(4, training.Count);
        // Faster devices (lower ids) finish first, so the kept ones are the four lowest sampled ids.
        Assert.Equal(plan.Devices.Select(d => d.Device).Order().Take(4), training.Select(d => d.Device));
        Assert.Equal(4, plan.Count(DeviceOutcome.Surplus));
        Assert.Equal(training.Max(d => d.FinishSeconds), plan.SimulatedSeconds);
    }

    [Fact]
    public void Dropouts_are_drawn_per_device_and_round_from_the_seed()
    {
        var h = new HeterogeneitySpec { Dropout = 0.3 };

        var first = Plan(h, devices: 1000, perRound: 400);
        var again = Plan(h, devices: 1000, perRound: 400);
        var nextRound = Plan(h, devices: 1000, perRound: 400, round: 2);

        int dropped = first.Count(DeviceOutcome.Dropped);
        Assert.InRange(dropped, 90, 150); // 400 x 0.3 = 120, sd ~9
        Assert.Equal(first.Devices, again.Devices);
        Assert.NotEqual(first.Devices.Where(d => d.Outcome == DeviceOutcome.Dropped).Select(d => d.Device),
                        nextRound.Devices.Where(d => d.Outcome == DeviceOutcome.Dropped).Select(d => d.Device));
    }

    [Fact]
    public void Availability_samples_only_available_devices_and_still_fills_the_cohort()
    {
        var h = new HeterogeneitySpec { Availability = 0.5 };

        var sampled = RoundPlanner.Sample(3, 7, 1000, 100, h, DeviceTrace.Empty, 0);
        var again = RoundPlanner.Sample(3, 7, 1000, 100, h, DeviceTrace.Empty, 0);

        Assert.Equal(100, sampled.Length);
        Assert.Equal(sampled, again);
        Assert.Equal(sampled.Length, sampled.Distinct().Count());
        Assert.True(sampled.SequenceEqual(sampled.Order()));
    }

    [Fact]
    public void Trace_windows_make_devices_unavailable_outside_them()
    {
        var trace = DeviceTrace.Parse(
        [
            "device,samples_per_second,uplink_bytes_per_second,downlink_bytes_per_second,availability",
            "0,100,1000,1000,0-3600",
            "1,100,1000,1000,3600-7200",
            "2,100,1000,1000,",
        ], "t.csv");

        var early = RoundPlanner.Sample(1, 1, 3, 3, new HeterogeneitySpec(), trace, roundStartSeconds: 100);
        var later = RoundPlanner.Sample(1, 1, 3, 3, new HeterogeneitySpec(), trace, roundStartSeconds: 86_400 + 4000);

        Assert.Equal([0L, 2L], early);
        Assert.Equal([1L, 2L], later);
    }

    [Theory]
    [InlineData("device,samples_per_second\n0,1", "t.csv:1", "uplink_bytes_per_second")]
    [InlineData("device,samples_per_second,uplink_bytes_per_second,downlink_bytes_per_second\n0,fast,1,1", "t.csv:2", "positive number")]
    [InlineData("device,samples_per_second,uplink_bytes_per_second,downlink_bytes_per_second\n0,1,1,1\n0,2,2,2", "t.csv:3", "twice")]
    [InlineData("device,samples_per_second,uplink_bytes_per_second,downlink_bytes_per_second,availability\n0,1,1,1,9-5", "t.csv:2", "start-end")]
    [InlineData("", "t.csv:1", "empty")]
    public void Bad_trace_files_are_reported_at_their_line(string text, string where, string phrase)
    {
        var error = Assert.Throws<TraceException>(() => DeviceTrace.Parse(text.Split('\n'), "t.csv"));

        Assert.Contains(where, error.Message);
        Assert.Contains(phrase, error.Message);
    }

    [Theory]
    [InlineData(0, 95, 10, 0)]
    [InlineData(3, 95, 10, 30)]
    [InlineData(10, 95, 10, 95)]
    [InlineData(13, 95, 10, 125)]
    public void Samples_in_steps_count_the_short_last_batch_of_each_epoch(int steps, int n, int batch, long expected)
        => Assert.Equal(expected, RoundPlanner.SamplesIn(steps, n, batch));
}
