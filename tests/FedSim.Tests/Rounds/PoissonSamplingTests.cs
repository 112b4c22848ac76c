using FedSim.Scenario;
using FedSim.Rounds;

namespace FedSim.Tests.Rounds;

/// <summary>Poisson sampling draws every device independently with probability q, as the DP accountant assumes.</summary>
public sealed class PoissonSamplingTests
{
    [Fact]
    public void Each_device_joins_with_probability_q_and_the_cohort_size_is_binomial()
    {
        // Prepare: N = 1,000, q = 0.05, 400 rounds.
        var sampling = new PoissonSamplingOptions { Rate = 0.05 };
        const int devices = 1000, rounds = 400;
        var counts = new int[devices];
        var sizes = new List<int>();

        // Execute
        for (int r = 1; r <= rounds; r++)
        {
            var cohort = sampling.Sample(r, 11, devices);
            sizes.Add(cohort.Length);
            foreach (long d in cohort) counts[d]++;
        }

        // Assert: cohort size mean qN = 50 (sd of the mean 0.34) and variance Nq(1 − q) = 47.5; a fixed-size draw would
        // have variance 0. Each device's count is Binomial(400, 0.05): mean 20, variance 19.
        double meanSize = sizes.Average(), varSize = sizes.Sum(s => (s - meanSize) * (s - meanSize)) / (sizes.Count - 1);
        double meanCount = counts.Average(), varCount = counts.Sum(c => (c - meanCount) * (c - meanCount)) / (devices - 1);
        Assert.InRange(meanSize, 48.5, 51.5);
        Assert.InRange(varSize, 47.5 * 0.75, 47.5 * 1.3);
        Assert.InRange(meanCount, 19.5, 20.5);
        Assert.InRange(varCount, 19 * 0.8, 19 * 1.2);
    }

    [Fact]
    public void Cohorts_are_sorted_distinct_and_repeat_for_the_same_seed_and_round()
    {
        var sampling = new PoissonSamplingOptions { Rate = 0.3 };

        var a = sampling.Sample(3, 5, 200);
        var b = sampling.Sample(3, 5, 200);
        var other = sampling.Sample(4, 5, 200);

        Assert.Equal(a, b);
        Assert.NotEqual(a, other);
        Assert.Equal(a.Order().Distinct(), a);
        Assert.All(a, d => Assert.InRange(d, 0, 199));
    }

    [Fact]
    public void Rate_one_takes_every_device_and_availability_filters_the_draw()
    {
        var all = new PoissonSamplingOptions { Rate = 1 };
        var heterogeneity = new HeterogeneitySpec { Availability = 0.5 };

        var everyone = all.Sample(1, 2, 30);
        var available = RoundPlanner.Sample(1, 2, 2000, 0, heterogeneity, DeviceTrace.Empty, 0, all);

        Assert.Equal(Enumerable.Range(0, 30).Select(d => (long)d), everyone);
        Assert.InRange(available.Length, 900, 1100); // Binomial(2000, 0.5): sd 22
    }

    [Fact]
    public void The_planner_trains_every_poisson_drawn_device_without_cutting_to_devices_per_round()
    {
        var sampling = new PoissonSamplingOptions { Rate = 0.5 };
        var profiles = new DeviceProfileSource(1, DeviceClassSpec.Defaults(), DeviceTrace.Empty);

        var plan = RoundPlanner.Plan(1, 9, 100, 3, 0, new HeterogeneitySpec(), profiles, _ => 20, new RoundWork(10, 1, 100, 100), sampling);

        Assert.Equal(sampling.Sample(1, 9, 100), plan.Devices.Select(d => d.Device));
        Assert.True(plan.Training.Count() > 30);
    }
}
