using FedSim.Components;
using FedSim.Scenarios.Configuration;
using FedSim.Strategies;
using FedSim.Strategies.Aggregators;
using FedSim.Tests.Scenarios;
using static FedSim.Tests.Strategies.Aggregators.AggregatorTestKit;

namespace FedSim.Tests.Strategies.Aggregators;

public sealed class GeometricMedianTests(ScenarioTestFiles files) : IClassFixture<ScenarioTestFiles>
{
    /// <summary>Enough iterations, and no early stop, to reach the exact median to well within 1e-4.</summary>
    private static GeometricMedianAggregator Converged() => new(maxIterations: 1000, smoothing: 1e-9, tolerance: 0);

    [Fact]
    public void Geometric_median_of_points_on_a_line_is_their_median()
    {
        // Prepare: five points on the line y = 2x, at x = 0, 1, 2, 10, 100; on a line the geometric median is the
        // ordinary median, x = 2, whatever the far points do.
        var input = Input([0f, 0f], [1f, 2f], [2f, 4f], [10f, 20f], [100f, 200f]);

        // Execute
        var result = Converged().Aggregate(input);

        // Assert
        AssertClose([2, 4], result.Update, 1e-4);
        Assert.Equal([0L, 1L, 2L, 3L, 4L], result.Used);
    }

    [Fact]
    public void Geometric_median_of_an_equilateral_triangle_is_its_centre()
    {
        // Prepare: all angles are 60° < 120°, so the median is the Fermat point, here the centroid (1/2, √3/6).
        var input = Input([0f, 0f], [1f, 0f], [0.5f, (float)(Math.Sqrt(3) / 2)]);

        // Execute
        var result = Converged().Aggregate(input);

        // Assert: the float vertex moves the centroid by under 1e-7.
        AssertClose([0.5, Math.Sqrt(3) / 6], result.Update, 1e-6);
    }

    [Fact]
    public void Geometric_median_of_a_right_isosceles_triangle_is_its_Fermat_point()
    {
        // Prepare: (0,0), (1,0), (0,1). By symmetry the point is (t, t); minimising √2·t + 2·√((1 − t)² + t²) gives
        // 6t² − 6t + 1 = 0, t = (3 − √3)/6 ≈ 0.2113 (the 120° Fermat point). The mean (1/3, 1/3) is not it.
        var input = Input([0f, 0f], [1f, 0f], [0f, 1f]);
        double t = (3 - Math.Sqrt(3)) / 6;

        // Execute
        var result = Converged().Aggregate(input);

        // Assert
        AssertClose([t, t], result.Update, 1e-4);
        Assert.True(result.Metrics[GeometricMedianAggregator.IterationsMetric] > 1);
    }

    [Fact]
    public void Geometric_median_stays_with_the_honest_updates_when_one_is_huge()
    {
        // Prepare: four honest updates around (1, 1) and one attacker at (1e6, 1e6), one example each.
        var input = Input([0.9f, 1f], [1.1f, 1f], [1f, 0.9f], [1f, 1.1f], [1e6f, 1e6f]);

        // Execute
        var mean = new MeanAggregator().Aggregate(input).Update!;
        var median = new GeometricMedianAggregator(maxIterations: 100, smoothing: 1e-6, tolerance: 1e-12).Aggregate(input).Update!;

        // Assert: the mean moves to about 2e5; the median stays within the honest spread. The exact median sits
        // where the attacker's unit pull (weight 1) balances the four honest ones, a small step towards it.
        Assert.True(mean[0] > 1e5);
        AssertClose([1, 1], median, 0.1);
    }

    [Fact]
    public void Geometric_median_with_the_default_three_iterations_shrinks_an_outlier_pull_each_iteration()
    {
        // Prepare: as above. From the mean, each Weiszfeld step divides the distance to the honest updates by about
        // the honest-to-attacker count, 4 (3.4 on the first step), so three steps leave about 1/50 of the mean's
        // displacement: 3892 against 2e5. A pull of 1e6 needs about ten iterations to vanish.
        var input = Input([0.9f, 1f], [1.1f, 1f], [1f, 0.9f], [1f, 1.1f], [1e6f, 1e6f]);
        var options = new GeometricMedianOptions();

        // Execute
        var mean = new MeanAggregator().Aggregate(input).Update!;
        var result = options.Create(assumedByzantine: 1).Aggregate(input);

        // Assert
        Assert.Equal(3, options.MaxIterations);
        Assert.Equal(3, result.Metrics[GeometricMedianAggregator.IterationsMetric]);
        Assert.InRange(result.Update![0], mean[0] / 60, mean[0] / 40);
    }

    [Fact]
    public void Geometric_median_weights_updates_by_their_examples()
    {
        // Prepare: points 0, 1, 10 on a line. Unweighted the median is 1; with examples 1, 1, 3 the point at 10
        // holds more than half the weight, so the weighted median is 10 (RFA's αᵢ ∝ examples).
        DeviceResult[] equal = [new(0, [0f], 1), new(1, [1f], 1), new(2, [10f], 1)];
        DeviceResult[] weighted = [new(0, [0f], 1), new(1, [1f], 1), new(2, [10f], 3)];

        // Execute
        var unweightedResult = Converged().Aggregate(Input(equal));
        var weightedResult = Converged().Aggregate(Input(weighted));

        // Assert
        AssertClose([1], unweightedResult.Update, 1e-4);
        AssertClose([10], weightedResult.Update, 1e-4);
    }

    [Fact]
    public void Geometric_median_stops_early_once_the_objective_stops_improving()
    {
        // Prepare: the equilateral triangle starts at its median, so the first step improves nothing.
        var input = Input([0f, 0f], [1f, 0f], [0.5f, (float)(Math.Sqrt(3) / 2)]);

        // Execute
        var result = new GeometricMedianAggregator(maxIterations: 50, smoothing: 1e-6, tolerance: 1e-6).Aggregate(input);

        // Assert
        Assert.Equal(1, result.Metrics[GeometricMedianAggregator.IterationsMetric]);
    }

    [Fact]
    public void Geometric_median_of_one_update_is_that_update()
    {
        var result = new GeometricMedianOptions().Create(assumedByzantine: 0).Aggregate(Input([3f, -4f]));

        AssertClose([3, -4], result.Update);
    }

    [Fact]
    public void Geometric_median_rejects_settings_outside_their_ranges()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new GeometricMedianAggregator(0, 1e-6, 1e-6));
        Assert.Throws<ArgumentOutOfRangeException>(() => new GeometricMedianAggregator(3, 0, 1e-6));
        Assert.Throws<ArgumentOutOfRangeException>(() => new GeometricMedianAggregator(3, 1e-6, -1));
        Assert.Throws<ArgumentOutOfRangeException>(() => new GeometricMedianAggregator(3, 1e-6, double.NaN));
    }

    [Fact]
    public void Geometric_median_needs_an_honest_majority_at_validation()
    {
        // Prepare / Execute: f = 2 Byzantine clients per round need n ≥ 2·2 + 1 = 5.
        var tooFew = new GeometricMedianOptions().Check("strategy.aggregator", cohort: 4, assumedByzantine: 2).ToList();
        var enough = new GeometricMedianOptions().Check("strategy.aggregator", cohort: 5, assumedByzantine: 2).ToList();

        // Assert
        var finding = Assert.Single(tooFew);
        Assert.Equal("training.devices_per_round", finding.Path);
        Assert.Contains("n ≥ 5", finding.Message);
        Assert.Contains("raise training.devices_per_round", finding.Message);
        Assert.Empty(enough);
    }

    [Fact]
    public void Geometric_median_is_a_kind_of_the_aggregator_family()
    {
        // Execute
        var family = ComponentCatalog.FamilyOf(typeof(AggregatorOptions))!;

        // Assert
        Assert.Contains("geometric-median", family.Kinds);
        Assert.IsType<GeometricMedianOptions>(family.Create("geometric-median"));
        Assert.True(new GeometricMedianOptions().NeedsIndividualUpdates);
    }

    [Fact]
    public void Geometric_median_options_load_from_a_scenario_file()
    {
        // Prepare
        const string yaml = """
            name: gm
            training:
              devices_per_round: 10
            strategy:
              aggregator:
                kind: geometric-median
                max_iterations: 8
                smoothing: 0.001
                tolerance: 0
            """;

        // Execute
        var spec = ScenarioLoader.Parse(yaml, "gm.yaml", files.Directory).GetSpecOrThrow();

        // Assert
        var options = Assert.IsType<GeometricMedianOptions>(spec.Strategy.Aggregator);
        Assert.Equal(8, options.MaxIterations);
        Assert.Equal(0.001, options.Smoothing);
        Assert.Equal(0, options.Tolerance);
    }

    [Fact]
    public void Geometric_median_with_too_small_a_cohort_is_reported_at_devices_per_round()
    {
        // Prepare: 50% of 4 is f = 2, and an honest majority needs 2·2 + 1 = 5.
        const string yaml = """
            name: gm
            training:
              devices_per_round: 4
            strategy:
              aggregator:
                kind: geometric-median
            byzantine:
              kind: sign-flip
              fraction: 0.5
            """;

        // Execute
        var result = ScenarioLoader.Parse(yaml, "gm.yaml", files.Directory);

        // Assert
        var error = Assert.Single(result.Errors);
        Assert.Equal(3, error.Line);
        Assert.Contains("geometric-median needs a majority of honest updates", error.Message);
        Assert.Contains("raise training.devices_per_round to ≥ 5", error.Message);
    }

    [Fact]
    public void Geometric_median_iterations_out_of_range_are_reported_at_their_key()
    {
        // Prepare
        const string yaml = """
            name: gm
            strategy:
              aggregator:
                kind: geometric-median
                max_iterations: 0
            """;

        // Execute
        var result = ScenarioLoader.Parse(yaml, "gm.yaml", files.Directory);

        // Assert
        var error = Assert.Single(result.Errors);
        Assert.Equal(5, error.Line);
    }
}
