using FedSim.Privacy;
using FedSim.Privacy.Accounting;
using MathNet.Numerics;
using static FedSim.Tests.Privacy.PublishedVectors;

namespace FedSim.Tests.Privacy;

public sealed class RdpConversionTests
{
    [Fact]
    public void Constant_rdp_converts_to_the_published_epsilon_at_the_largest_order()
    {
        // tensorflow/privacy rdp_accountant_test.py, test_get_privacy_spent_check_target_delta, and google/differential-privacy
        // dp_accounting/rdp/rdp_privacy_accountant_test.py, test_compute_epsilon_delta_pure_dp: orders range(2, 33),
        // RDP 1.1 at each, δ = 1e-5 → ε = 1.32783806176 at order 32.
        double[] orders = Range(2, 33);
        double[] rdp = orders.Select(_ => 1.1).ToArray();

        var spent = RdpConversion.Epsilon(orders, rdp, 1e-5);

        AssertRelative(1.32783806176, spent.Epsilon);
        Assert.Equal(32, spent.Order);
    }

    [Fact]
    public void Constant_rdp_converts_back_to_the_published_delta()
    {
        // Same tests, the other direction (test_get_privacy_spent_check_target_eps / compute_delta): ε = 1.32783806176
        // → δ = 1e-5 at order 32.
        double[] orders = Range(2, 33);
        double[] rdp = orders.Select(_ => 1.1).ToArray();

        var spent = RdpConversion.Delta(orders, rdp, 1.32783806176);

        AssertRelative(1e-5, spent.Delta);
        Assert.Equal(32, spent.Order);
    }

    [Fact]
    public void Gaussian_calibrated_to_one_epsilon_converts_to_the_published_pair()
    {
        // tensorflow/privacy rdp_accountant_test.py test_get_privacy_spent_check_target_delta/_eps, and dp_accounting
        // rdp_privacy_accountant_test.py test_compute_epsilon_delta_gaussian: q = 1, z = 4.530877117 ("chosen to obtain
        // exactly (1, 1e-6)-DP") on orders 0.001·i, i in [1000, 100000) → ε = 1 at δ = 1e-6 and δ = 1e-6 at ε = 1.
        double[] orders = FineGrid;
        double[] rdp = SampledGaussianRdp.ForSteps(1, 4.530877117, 1, orders);

        AssertRelative(1, RdpConversion.Epsilon(orders, rdp, 1e-6).Epsilon);
        AssertRelative(1e-6, RdpConversion.Delta(orders, rdp, 1).Delta);
    }

    [Fact]
    public void Epsilon_and_delta_conversions_are_inverse()
    {
        // The property of dp_accounting's test_epsilon_delta_consistency (rdp_privacy_accountant_test.py): δ → ε → δ
        // returns δ, except where ε is clamped at 0 (then δ' ≤ δ).
        double[] orders = Range(2, 50);
        foreach (double q in new[] { 0.01, 0.1, 0.8, 1.0 })
        foreach (double z in new[] { 0.1, 1.0, 10.0, 100.0 })
        {
            double[] rdp = SampledGaussianRdp.ForSteps(q, z, 1, orders);
            foreach (double delta in new[] { 0.99, 0.9, 0.1, 0.01, 1e-3, 1e-5, 1e-9, 1e-12 })
            {
                double epsilon = RdpConversion.Epsilon(orders, rdp, delta).Epsilon;
                double back = RdpConversion.Delta(orders, rdp, epsilon).Delta;
                if (epsilon == 0) Assert.True(back <= delta, $"q={q} z={z} δ={delta}: δ'={back}");
                else AssertRelative(delta, back, 1e-7);
            }
        }
    }

    [Fact]
    public void Rdp_delta_for_the_gaussian_lies_between_the_optimal_and_the_standard_bound()
    {
        // The property of dp_accounting's test_delta_bounds_gaussian (TF-Privacy: test_get_privacy_spent_gaussian):
        // z = 1, orders 0.1·x for x in [10, 505). The exact δ(ε) of the Gaussian (Balle and Wang 2018, Theorem 8)
        // must be at or below the RDP bound, which must be at or below exp(−(ε − ½)²/2) for ε ≥ ½.
        double[] orders = Enumerable.Range(10, 495).Select(x => 0.1 * x).ToArray();
        double[] rdp = SampledGaussianRdp.ForSteps(1, 1, 1, orders);
        for (int x = 0; x < 500; x++)
        {
            double epsilon = 0.1 * x;
            double delta = RdpConversion.Delta(orders, rdp, epsilon).Delta;
            double optimal = SpecialFunctions.Erfc((epsilon - 0.5) / Math.Sqrt(2)) / 2
                             - Math.Exp(epsilon) * SpecialFunctions.Erfc((epsilon + 0.5) / Math.Sqrt(2)) / 2;
            double standard = epsilon >= 0.5 ? Math.Exp(-0.5 * (epsilon - 0.5) * (epsilon - 0.5)) : 1;

            Assert.True(optimal <= delta + 1e-300, $"ε={epsilon}: RDP δ {delta} below the optimal {optimal}");
            Assert.True(delta <= standard + 1e-300, $"ε={epsilon}: RDP δ {delta} above the standard bound {standard}");
        }
    }

    [Fact]
    public void Tiny_rdp_gives_zero_epsilon_by_the_kl_bound()
    {
        // δ ≥ √(1 − e^−r) already holds: nothing to pay.
        var spent = RdpConversion.Epsilon([2.0, 3.0], [1e-12, 1e-12], 1e-3);

        Assert.Equal(0, spent.Epsilon);
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(1.0)]
    [InlineData(-1e-5)]
    public void Delta_outside_the_open_unit_interval_is_refused(double delta)
    {
        var error = Assert.Throws<PrivacyParameterException>(() => RdpConversion.Epsilon([2.0], [1.0], delta));

        Assert.Contains("delta must be in (0, 1)", error.Message);
    }

    [Fact]
    public void Mismatched_orders_and_rdp_are_refused()
    {
        Assert.Throws<PrivacyParameterException>(() => RdpConversion.Epsilon([2.0, 3.0], [1.0], 1e-5));
    }
}
