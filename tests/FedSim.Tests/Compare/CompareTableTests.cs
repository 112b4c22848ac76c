using FedSim;
using FedSim.Scenario;
using FedSim.GrainInterfaces;
using FedSim.Scenarios.Compare;
using FedSim.Rounds;

namespace FedSim.Tests.Compare;

public sealed class CompareTableTests
{
    [Fact]
    public void Student_t_interval_matches_the_textbook_value()
    {
        // Prepare: values 1, 2, 3: mean 2, s = 1, n = 3; t(0.975, 2) = 4.302652729749464 (NIST/SEMATECH e-Handbook,
        // table 1.3.6.7.2 "Critical values of the Student's t distribution", df = 2, upper 0.025: 4.303).
        var interval = MeanInterval.Of([1.0, 2.0, 3.0]);

        // Assert
        double half = 4.302652729749464 / Math.Sqrt(3);
        Assert.Equal(2.0, interval.Mean, 12);
        Assert.Equal(1.0, interval.StandardDeviation!.Value, 12);
        Assert.Equal(2.0 - half, interval.Low!.Value, 9);
        Assert.Equal(2.0 + half, interval.High!.Value, 9);
    }

    [Fact]
    public void One_seed_has_a_mean_but_no_interval()
    {
        var interval = MeanInterval.Of([0.75]);

        Assert.Equal(0.75, interval.Mean);
        Assert.Null(interval.Low);
        Assert.Null(interval.High);
    }

    private static CompareRunResult Run(SweepConfiguration config, ulong seed, params double?[] accuracy)
    {
        var reports = accuracy.Select((a, i) => new RoundReport(i + 1, a, a is null ? null : 1 - a, 10, 0, 0.5, 100, 1000, 900, 2, 2.0 * (i + 1), 1.0 + seed,
            Metrics: new ValueList<RoundMetric>([new RoundMetric("backdoor_accuracy", a is null ? null : 0.1 * seed)]))).ToList();
        return new CompareRunResult(new SweepRun(config, seed, new ScenarioSpec()), reports, 10 + seed);
    }

    [Fact]
    public void Compare_csv_has_one_row_per_configuration_with_its_keys_interval_and_target()
    {
        // Prepare
        var mean = new SweepConfiguration(1, [("strategy.aggregator.kind", "mean")]);
        var median = new SweepConfiguration(2, [("strategy.aggregator.kind", "median")]);
        var rows = new List<CompareRow>
        {
            new(mean, [Run(mean, 1, 0.5, null, 0.9), Run(mean, 2, 0.6, null, 0.7)], 0.8),
            new(median, [Run(median, 1, 0.85, null, 0.95)], 0.8),
        };

        // Execute
        string csv = CompareCsv.Format(rows, ["strategy.aggregator.kind"]);

        // Assert
        var lines = csv.TrimEnd('\n').Split('\n');
        Assert.Equal("config,strategy.aggregator.kind,seeds,final_accuracy_mean,final_accuracy_ci95_low,final_accuracy_ci95_high,final_accuracy_sd," +
                     "rounds_to_target,reached_target,bytes_total,simulated_seconds,backdoor_accuracy_mean,backdoor_accuracy_ci95_low,backdoor_accuracy_ci95_high,wall_seconds", lines[0]);
        // mean: final 0.9 and 0.7 → mean 0.8, s = 0.1414, t(0.975, 1) = 12.706: ± 1.2706.
        Assert.True(lines[1].StartsWith("strategy.aggregator.kind=mean,mean,1 2,0.8,-0.47062,2.07062,0.141421,3,1/2,5700,6,0.15,"), lines[1]);
        Assert.True(lines[2].StartsWith("strategy.aggregator.kind=median,median,1,0.95,,,,1,1/1,5700,6,0.1,,,"), lines[2]);
        Assert.Equal(CompareCsv.WithoutWallTime(csv), CompareCsv.WithoutWallTime(csv.Replace(",11.5\n", ",99\n")));
    }

    [Fact]
    public void Runs_with_differential_privacy_add_the_mean_final_epsilon_and_a_figure_against_it()
    {
        // Prepare: two noise levels, the accountant's ε reported every round; the last round's is the run's.
        static CompareRunResult Private(SweepConfiguration config, ulong seed, double accuracy, params double[] epsilon)
        {
            var reports = epsilon.Select((e, i) => new RoundReport(i + 1, accuracy, 1 - accuracy, 10, 0, 0.5, 100, 1000, 900, 2, 2.0 * (i + 1), 1,
                Metrics: new ValueList<RoundMetric>([new RoundMetric("epsilon", e)]))).ToList();
            return new CompareRunResult(new SweepRun(config, seed, new ScenarioSpec()), reports, 10);
        }
        var low = new SweepConfiguration(1, [("privacy.central.noise_multiplier", "0.5")]);
        var high = new SweepConfiguration(2, [("privacy.central.noise_multiplier", "2")]);
        var rows = new List<CompareRow>
        {
            new(low, [Private(low, 1, 0.9, 3, 8), Private(low, 2, 0.92, 3, 10)], null),
            new(high, [Private(high, 1, 0.7, 0.5, 1.5)], null),
        };

        // Execute
        string csv = CompareCsv.Format(rows, ["privacy.central.noise_multiplier"]);
        byte[] png = CompareFigures.AccuracyAgainstEpsilon(rows, "dp");

        // Assert
        var lines = csv.TrimEnd('\n').Split('\n');
        var header = lines[0].Split(',');
        int column = Array.IndexOf(header, "epsilon_mean");
        Assert.True(column > 0, lines[0]);
        Assert.Equal("9", lines[1].Split(',')[column]);
        Assert.Equal("1.5", lines[2].Split(',')[column]);
        Assert.Equal([0x89, (byte)'P', (byte)'N', (byte)'G'], png.Take(4));
        Assert.DoesNotContain("epsilon_mean", CompareCsv.Format([new(low, [Run(low, 1, 0.5)], null)], ["privacy.central.noise_multiplier"]));
    }

    [Fact]
    public void Per_device_runs_add_the_last_evaluations_mean_and_p10_over_devices_global_and_personalized()
    {
        // Prepare: evaluated in rounds 1 and 3 (round 2's cells empty); the last evaluation is each run's value.
        static CompareRunResult PerDevice(SweepConfiguration config, ulong seed, double p10, double? personalizedP10)
        {
            RoundMetric[] Metrics(int round) => round == 2
                ? [new("device_accuracy_mean", null), new("device_accuracy_p10", null), new("personalized_accuracy_mean", null), new("personalized_accuracy_p10", null)]
                : [new("device_accuracy_mean", 0.8), new("device_accuracy_p10", p10 * round / 3),
                   new("personalized_accuracy_mean", personalizedP10 is null ? null : 0.9), new("personalized_accuracy_p10", personalizedP10 * round / 3)];
            var reports = Enumerable.Range(1, 3).Select(r => new RoundReport(r, 0.8, 0.2, 10, 0, 0.5, 100, 1000, 900, 2, 2.0 * r, 1,
                Metrics: new ValueList<RoundMetric>(Metrics(r)))).ToList();
            return new CompareRunResult(new SweepRun(config, seed, new ScenarioSpec()), reports, 10);
        }
        var plain = new SweepConfiguration(1, [("personalization.local_steps", "0")]);
        var tuned = new SweepConfiguration(2, [("personalization.local_steps", "5")]);
        var rows = new List<CompareRow>
        {
            new(plain, [PerDevice(plain, 1, 0.5, null), PerDevice(plain, 2, 0.7, null)], null),
            new(tuned, [PerDevice(tuned, 1, 0.5, 0.8), PerDevice(tuned, 2, 0.7, 0.9)], null),
        };

        // Execute
        var lines = CompareCsv.Format(rows, ["personalization.local_steps"]).TrimEnd('\n').Split('\n');

        // Assert
        var header = lines[0].Split(',');
        string Cell(int line, string column) => lines[line].Split(',')[Array.IndexOf(header, column)];
        Assert.Equal(["device_accuracy_mean", "device_accuracy_p10", "personalized_accuracy_mean", "personalized_accuracy_p10", "wall_seconds"], header[^5..]);
        Assert.Equal(("0.6", ""), (Cell(1, "device_accuracy_p10"), Cell(1, "personalized_accuracy_p10")));
        Assert.Equal(("0.6", "0.85"), (Cell(2, "device_accuracy_p10"), Cell(2, "personalized_accuracy_p10")));
        Assert.DoesNotContain("device_accuracy", CompareCsv.Format([new(plain, [Run(plain, 1, 0.5)], null)], ["personalization.local_steps"]));
    }
}
