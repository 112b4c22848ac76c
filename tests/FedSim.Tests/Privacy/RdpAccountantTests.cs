using FedSim.Privacy;
using FedSim.Privacy.Accounting;
using static FedSim.Tests.Privacy.PublishedVectors;

namespace FedSim.Tests.Privacy;

public sealed class RdpAccountantTests
{
    [Fact]
    public void Default_orders_are_opacus_default_alphas()
    {
        // opacus/accountants/rdp.py: DEFAULT_ALPHAS = [1 + x / 10.0 for x in range(1, 100)] + list(range(12, 64)).
        var orders = RdpOrders.Default;

        Assert.Equal(99 + 52, orders.Count);
        Assert.Equal(1.1, orders[0]);
        Assert.Equal(10.9, orders[98]);
        Assert.Equal(12, orders[99]);
        Assert.Equal(63, orders[^1]);
    }

    [Fact]
    public void Stepping_round_by_round_matches_opacus_published_epsilon()
    {
        // pytorch/opacus, opacus/tests/accountants_test.py, test_rdp_accountant: z = 1.5, q = 0.04,
        // steps = int(90 / 0.04) = 2250 calls of accountant.step, δ = 1e-5, DEFAULT_ALPHAS → ε = 7.32911117143.
        var accountant = new RdpAccountant();

        for (int step = 0; step < 2250; step++) accountant.AddSteps(0.04, 1.5);
        var spent = accountant.GetEpsilon(1e-5);

        AssertRelative(7.32911117143, spent.Epsilon);
        Assert.Equal(2250, accountant.Steps);
    }

    [Fact]
    public void Heterogeneous_steps_match_opacus_docstring_example()
    {
        // pytorch/opacus, opacus/accountants/analysis/rdp.py module docstring (a doctest): parameters
        // [(1e-5, 1.0, 10), (1e-4, 3.0, 4)] as (q, σ, steps), orders range(2, 33), δ = 1e-5 → (0.336, 23).
        // Three decimals are all the docstring prints.
        var accountant = new RdpAccountant(Range(2, 33));

        accountant.AddSteps(1e-5, 1.0, 10);
        accountant.AddSteps(1e-4, 3.0, 4);
        var spent = accountant.GetEpsilon(1e-5);

        Assert.Equal(0.336, spent.Epsilon, 3);
        Assert.Equal(23, spent.Order);
    }

    [Fact]
    public void Heterogeneous_sampling_rates_sum_their_rdp()
    {
        // tensorflow/privacy rdp_accountant_test.py, test_compute_heterogeneous_rdp_different_sampling_probabilities:
        // q = 0 and q = 1, both z = 10, one step each, order 20 → 0.1.
        var accountant = new RdpAccountant([20.0]);

        accountant.AddSteps(0, 10);
        accountant.AddSteps(1, 10);

        Assert.Equal(0.1, accountant.Rdp[0], 15);
    }

    [Theory]
    // tensorflow/privacy, tensorflow_privacy/privacy/analysis/compute_dp_sgd_privacy_test.py, test_compute_dp_sgd_privacy:
    // (n, batch size, z, epochs, δ) → (ε, order), with q = batch/n, steps = ceil(epochs·n/batch) and the orders of
    // compute_dp_sgd_privacy_lib. Computed by dp_accounting, whose fractional series sums by magnitude; Test0 and
    // Test1 land on integer orders, where both series are the same.
    [InlineData(60000, 150, 1.3, 15, 1e-5, 0.7242234026109595, 19.0, FractionalOrderSeries.Signed)]          // Test0
    [InlineData(100000, 100, 1.0, 30, 1e-7, 1.4154988495444842, 13.0, FractionalOrderSeries.Signed)]         // Test1
    [InlineData(100000000, 1024, 0.1, 10, 1e-7, 5907982.3113978775, 1.25, FractionalOrderSeries.Magnitudes)] // Test2
    [InlineData(100000000, 1024, 0.1, 10, 1e-7, 5907982.3113978775, 1.25, FractionalOrderSeries.Signed)]     // Test2
    public void Dp_sgd_epsilon_matches_tf_privacys_published_values(int n, int batchSize, double z, int epochs, double delta,
                                                                     double publishedEpsilon, double publishedOrder,
                                                                     FractionalOrderSeries series)
    {
        double q = (double)batchSize / n;
        long steps = (long)Math.Ceiling((double)epochs * n / batchSize);
        var accountant = new RdpAccountant(TfPrivacyDpSgdOrders, series);

        accountant.AddSteps(q, z, steps);
        var spent = accountant.GetEpsilon(delta);

        AssertRelative(publishedEpsilon, spent.Epsilon);
        Assert.Equal(publishedOrder, spent.Order);
    }

    [Fact]
    public void Epsilon_grows_with_every_round()
    {
        var accountant = new RdpAccountant();
        double previous = 0;
        for (int round = 0; round < 5; round++)
        {
            accountant.AddSteps(0.1, 1.1);
            double epsilon = accountant.GetEpsilon(1e-5).Epsilon;
            Assert.True(epsilon > previous);
            previous = epsilon;
        }
    }

    [Fact]
    public void Peek_predicts_the_next_round_without_spending_it()
    {
        var accountant = new RdpAccountant();
        accountant.AddSteps(0.05, 1.0, 10);
        double before = accountant.GetEpsilon(1e-5).Epsilon;

        double peeked = accountant.PeekEpsilon(0.05, 1.0, 1e-5).Epsilon;
        Assert.Equal(before, accountant.GetEpsilon(1e-5).Epsilon);
        accountant.AddSteps(0.05, 1.0);

        Assert.Equal(peeked, accountant.GetEpsilon(1e-5).Epsilon);
        Assert.True(peeked > before);
    }

    [Fact]
    public void State_round_trip_keeps_the_spent_privacy()
    {
        var accountant = new RdpAccountant([2.0, 4.5, 32.0], FractionalOrderSeries.Magnitudes);
        accountant.AddSteps(0.02, 0.9, 100);

        var restored = RdpAccountant.FromState(accountant.ToState());

        Assert.Equal(accountant.Rdp, restored.Rdp);
        Assert.Equal(100, restored.Steps);
        Assert.Equal(FractionalOrderSeries.Magnitudes, restored.Series);
        Assert.Equal(accountant.GetEpsilon(1e-5), restored.GetEpsilon(1e-5));
    }

    [Fact]
    public void Zero_steps_are_refused()
    {
        Assert.Throws<PrivacyParameterException>(() => new RdpAccountant().AddSteps(0.1, 1.0, 0));
    }
}
