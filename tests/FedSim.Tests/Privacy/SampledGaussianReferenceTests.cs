using FedSim.Privacy.Accounting;
using static FedSim.Tests.Privacy.PublishedVectors;

namespace FedSim.Tests.Privacy;

/// <summary>
/// The accountant at large ε and sampling rate, where the fractional orders' series converge slowly, against an
/// independent reference: <c>Reference/sampled_gaussian_rdp.py</c> integrates the definition of A_α numerically at 40
/// significant digits (mpmath) instead of summing a series, and converts with Balle et al. 2020, Theorem 21, over
/// Opacus' default orders. The constants below are its output (rerun with
/// <c>python3 tests/FedSim.Tests/Privacy/Reference/sampled_gaussian_rdp.py</c>, which prints them).
/// </summary>
public sealed class SampledGaussianReferenceTests
{
    [Theory]
    // (q, noise multiplier z, steps, δ) → (ε, best order), from the reference script.
    [InlineData(0.1, 1.0, 2000, 1e-05, 42.283917251876677, 1.7)]
    [InlineData(0.1, 0.7, 1000, 1e-05, 58.065581643575944, 1.5)]
    [InlineData(0.2, 0.5, 100, 1e-05, 62.593066369847637, 1.4)]
    [InlineData(0.5, 0.4, 50, 1e-05, 138.86462893062247, 1.3)]
    [InlineData(0.1, 1.0, 10000, 1e-06, 140.25848230632437, 1.4)]
    [InlineData(0.1, 0.4, 1000, 1e-05, 249.60913114788383, 1.2)]
    [InlineData(0.3, 0.8, 2000, 1e-05, 297.87065021583197, 1.2)]
    [InlineData(0.2, 0.3, 300, 1e-05, 412.20930319541121, 1.1)]
    [InlineData(0.5, 0.5, 1000, 1e-05, 904.41003715038091, 1.1)]
    public void Epsilon_between_40_and_1000_matches_the_numerical_integral(double q, double z, long steps, double delta,
                                                                          double referenceEpsilon, double referenceOrder)
    {
        var accountant = new RdpAccountant();

        accountant.AddSteps(q, z, steps);
        var spent = accountant.GetEpsilon(delta);

        AssertRelative(referenceEpsilon, spent.Epsilon);
        Assert.Equal(referenceOrder, spent.Order);
    }

    [Theory]
    // (q, noise multiplier z, order) → RDP of one step, from the reference script.
    [InlineData(0.1, 0.4, 1.1, 0.15207958017941296)]
    [InlineData(0.1, 0.4, 1.6, 0.59384881916395355)]
    [InlineData(0.5, 0.4, 1.5, 2.8550546634111169)]
    [InlineData(0.2, 0.5, 2.5, 2.3481991906922896)]
    [InlineData(0.3, 0.8, 1.8, 0.2376729001567606)]
    [InlineData(0.9, 0.3, 3.3, 18.182163897825549)]
    public void Fractional_order_rdp_matches_the_numerical_integral_to_1e_9(double q, double z, double order, double referenceRdp)
    {
        // The series stops within 1e-12 of log A_α; 1e-9 leaves room for the rounding of thousands of terms.
        AssertRelative(referenceRdp, SampledGaussianRdp.ForStep(q, z, order), 1e-9);
    }

    [Theory]
    [InlineData(0.1, 0.4, 1.1)]
    [InlineData(0.5, 0.4, 1.5)]
    [InlineData(0.9, 0.3, 3.3)]
    public void Summed_by_magnitude_the_slow_series_is_still_evaluated_and_bounds_the_exact_value(double q, double z, double order)
    {
        double exact = SampledGaussianRdp.ForStep(q, z, order);
        double magnitudes = SampledGaussianRdp.ForStep(q, z, order, FractionalOrderSeries.Magnitudes);

        Assert.True(double.IsFinite(magnitudes), $"order {order} dropped");
        Assert.True(magnitudes >= exact, $"{magnitudes} < {exact}");
    }

    [Fact]
    public void Every_fractional_order_of_the_default_grid_gives_a_finite_rdp_at_large_epsilon()
    {
        // q = 0.5, z = 0.5: each order's series takes up to 3,900 terms here; none may be dropped.
        var rdp = SampledGaussianRdp.ForSteps(0.5, 0.5, 1000, RdpOrders.Default);

        Assert.All(rdp, r => Assert.True(double.IsFinite(r) && r > 0, $"RDP {r}"));
    }
}
