using FedSim.Privacy;
using FedSim.Privacy.Accounting;
using MathNet.Numerics;
using MathNet.Numerics.Integration;
using static FedSim.Tests.Privacy.PublishedVectors;

namespace FedSim.Tests.Privacy;

public sealed class SampledGaussianRdpTests
{
    [Fact]
    public void Integer_orders_match_dp_accountings_published_rdp()
    {
        // google/differential-privacy, python/dp_accounting/dp_accounting/rdp/rdp_privacy_accountant_test.py,
        // test_compute_rdp_poisson_sampled_gaussian: q = 0.01, z = 2.5, 50 steps (integer orders 5, 50, 100 and ∞).
        double[] orders = [5, 50, 100, double.PositiveInfinity];
        double[] published = [2.18075656e-03, 2.38460375e-02, 1.67416308e02, double.PositiveInfinity];

        double[] rdp = SampledGaussianRdp.ForSteps(0.01, 2.5, 50, orders);

        for (int k = 0; k < orders.Length; k++) AssertRelative(published[k], rdp[k]);
    }

    [Fact]
    public void Fractional_orders_summed_by_magnitude_match_dp_accountings_published_rdp()
    {
        // Same test (test_compute_rdp_poisson_sampled_gaussian), fractional orders 1.5 and 2.5: dp_accounting sums
        // the fractional series' terms by magnitude.
        double[] orders = [1.5, 2.5];
        double[] published = [6.70579741e-04, 1.08548710e-03];

        double[] rdp = SampledGaussianRdp.ForSteps(0.01, 2.5, 50, orders, FractionalOrderSeries.Magnitudes);

        for (int k = 0; k < orders.Length; k++) AssertRelative(published[k], rdp[k]);
    }

    [Fact]
    public void Fractional_orders_summed_with_signs_match_tf_privacys_published_rdp()
    {
        // tensorflow/privacy, tensorflow_privacy/privacy/analysis/rdp_accountant_test.py, test_compute_rdp_sequence:
        // compute_rdp(0.01, 2.5, 50, [1.5, 2.5, 5, 50, 100, inf]), the signed series of Mironov et al. 2019 (§3.3).
        // TF-Privacy publishes 5 significant digits and checks rtol=1e-4, so that is the tightest honest check.
        double[] orders = [1.5, 2.5, 5, 50, 100, double.PositiveInfinity];
        double[] published = [6.5007e-04, 1.0854e-03, 2.1808e-03, 2.3846e-02, 1.6742e+02, double.PositiveInfinity];

        double[] rdp = SampledGaussianRdp.ForSteps(0.01, 2.5, 50, orders);

        for (int k = 0; k < orders.Length; k++) AssertRelative(published[k], rdp[k], 1e-4);
    }

    [Fact]
    public void Signed_series_is_below_the_magnitude_bound_where_negative_coefficients_appear()
    {
        // C(1.5, i) < 0 for i = 3, 5, …: the exact value must sit strictly below the by-magnitude bound; at integer
        // orders the two are the same series.
        double signed = SampledGaussianRdp.ForStep(0.01, 2.5, 1.5);
        double magnitudes = SampledGaussianRdp.ForStep(0.01, 2.5, 1.5, FractionalOrderSeries.Magnitudes);

        Assert.True(signed < magnitudes, $"{signed} should be < {magnitudes}");
        Assert.Equal(SampledGaussianRdp.ForStep(0.01, 2.5, 7), SampledGaussianRdp.ForStep(0.01, 2.5, 7, FractionalOrderSeries.Magnitudes));
    }

    [Fact]
    public void Scalar_order_matches_tf_privacys_published_value()
    {
        // tensorflow/privacy rdp_accountant_test.py, test_compute_rdp_scalar: compute_rdp(0.1, 2, 10, 5) ≈ 0.07737
        // (assertAlmostEqual places=5: only 4 significant digits are published).
        double rdp = SampledGaussianRdp.ForSteps(0.1, 2, 10, [5.0])[0];

        Assert.Equal(0.07737, rdp, 5);
    }

    [Fact]
    public void Without_sampling_the_mechanism_is_the_plain_gaussian()
    {
        // tensorflow/privacy rdp_accountant_test.py, test_compute_rdp_no_sampling: compute_rdp(1, 10, 1, 20) == 0.1.
        Assert.Equal(0.1, SampledGaussianRdp.ForStep(1, 10, 20));
        // dp_accounting rdp_privacy_accountant_test.py, test_compute_rdp_gaussian: α = 3.14159, σ = 2.71828 → α/(2σ²).
        Assert.Equal(3.14159 / (2 * 2.71828 * 2.71828), SampledGaussianRdp.ForStep(1, 2.71828, 3.14159), 15);
    }

    [Fact]
    public void With_nobody_sampled_nothing_is_spent()
    {
        // tensorflow/privacy rdp_accountant_test.py, test_compute_rdp_no_data: compute_rdp(0, 10, 1, 20) == 0.
        Assert.Equal(0, SampledGaussianRdp.ForStep(0, 10, 20));
    }

    [Fact]
    public void Without_noise_there_is_no_privacy()
    {
        Assert.Equal(double.PositiveInfinity, SampledGaussianRdp.ForStep(0.5, 0, 2));
    }

    [Theory]
    // Parameters of test_compute_log_a_equals_mp (tensorflow/privacy rdp_accountant_test.py and dp_accounting
    // rdp_privacy_accountant_test.py), which compare log A_α with a multi-precision integral at rtol 1e-4. The ones
    // whose A_α − 1 a double quadrature resolves are repeated here, including fractional orders.
    [InlineData(1e-4, 1.0, 1.5)]
    [InlineData(1e-3, 1.0, 2.0)]
    [InlineData(0.01, 10.0, 20.0)]
    [InlineData(0.1, 100.0, 20.5)]
    [InlineData(1e-6, 1.0, 27.0)]
    public void Log_moment_agrees_with_numerical_integration(double q, double sigma, double alpha)
    {
        // Prepare: A_α − 1 = ∫ N(x; 0, σ²)·[((1 − q) + q·e^((2x−1)/(2σ²)))^α − 1] dx, with the bracket as expm1 of
        // α·log1p(…) where that is small, so that A_α near 1 keeps its digits, and in log space where it is huge.
        double Integrand(double x)
        {
            double logDensity = -x * x / (2 * sigma * sigma) - Math.Log(sigma * Math.Sqrt(2 * Math.PI));
            double logPower = alpha * SpecialFunctions.Log1p(q * (Math.Exp((2 * x - 1) / (2 * sigma * sigma)) - 1));
            return logPower < 1
                ? Math.Exp(logDensity) * SpecialFunctions.Expm1(logPower)
                : Math.Exp(logDensity + logPower) - Math.Exp(logDensity);
        }
        // Pieces split at 0 and at α, where the integrand peaks for small and for large σ.
        double Piece(double from, double to) => GaussKronrodRule.Integrate(Integrand, from, to, out _, out _, 1e-12, 15, 61);
        double aMinusOne = Piece(-40 * sigma, 0) + Piece(0, alpha) + Piece(alpha, alpha + 40 * sigma);
        double expected = SpecialFunctions.Log1p(aMinusOne) / (alpha - 1);

        // Execute
        double rdp = SampledGaussianRdp.ForStep(q, sigma, alpha);

        // Assert
        AssertRelative(expected, rdp, 1e-4);
    }

    [Theory]
    [InlineData(-0.1, 1.0, 2.0)]
    [InlineData(1.5, 1.0, 2.0)]
    [InlineData(double.NaN, 1.0, 2.0)]
    [InlineData(0.1, -1.0, 2.0)]
    [InlineData(0.1, 1.0, 0.5)]
    public void Out_of_range_parameters_are_refused_with_their_name(double q, double z, double order)
    {
        var error = Assert.Throws<PrivacyParameterException>(() => SampledGaussianRdp.ForStep(q, z, order));

        Assert.Matches("sampling rate|noise multiplier|order", error.Message);
    }
}
