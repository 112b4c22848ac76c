using FedSim.Attacks.Inference;
using FedSim.Determinism;
using MathNet.Numerics.Distributions;

namespace FedSim.Tests.Attacks.Inference;

/// <summary>
/// The one-run audit's bound (Steinke, Nasr and Jagielski 2023, Theorem 3.1). Reference values come from an independent
/// 50-digit evaluation of the theorem's right side with mpmath 1.2.1 (exact binomial coefficients, every term summed, the
/// maximum taken over all i = 1..m, a plain 80-step bisection):
/// <code>
/// from mpmath import mp, mpf, binomial, exp
/// mp.dps = 50
/// def pvalue(m, r, v, eps, delta):
///     q = exp(eps) / (exp(eps) + 1)
///     pmf = [binomial(r, k) * q**k * (1 - q)**(r - k) for k in range(r + 1)]
///     f = lambda x: mpf(1) if x &lt;= 0 else sum(pmf[x:])
///     alpha = max((f(v - i) - f(v)) / i for i in range(1, m + 1))
///     return min(mpf(1), f(v) + 2 * m * delta * alpha)
/// def bound(m, r, v, delta, sig):   # the largest eps with pvalue &lt;= sig, by bisection from [0, 1], doubling
/// </code>
/// </summary>
public sealed class OneRunAuditBoundTests
{
    [Theory]
    [InlineData(100, 50, 40, 1.0, 0.0, 0.17429294704506842)]
    [InlineData(100, 50, 40, 1.0, 1e-5, 0.17452557106609223)]
    [InlineData(1000, 100, 90, 2.0, 1e-5, 0.34498683679380387)]
    [InlineData(1000, 200, 150, 0.5, 1e-3, 0.053291782492560513)]
    [InlineData(200, 200, 120, 0.3, 1e-4, 0.25764736782496887)]
    public void P_value_matches_an_independent_high_precision_evaluation(int m, int r, int v, double eps, double delta, double expected)
    {
        double p = OneRunAuditBound.PValue(m, r, v, eps, delta);

        Assert.Equal(expected, p, 1e-12 * expected);
    }

    [Theory]
    [InlineData(100, 100, 100, 0.0, 0.05, 3.49296543115229)]
    [InlineData(1000, 100, 95, 0.0, 0.05, 2.1724340431929)]
    [InlineData(1000, 100, 95, 1e-5, 0.05, 2.16517579971405)]
    [InlineData(1000, 500, 400, 1e-5, 0.05, 1.19796864627737)]
    [InlineData(1000, 20, 20, 1e-5, 0.05 / 6, 1.21469265757499)]
    [InlineData(200, 50, 45, 1e-3, 0.01, 0.0)] // 2mδ = 0.4 swamps the tally: nothing is rejected
    public void Epsilon_lower_bound_matches_an_independent_high_precision_evaluation(int m, int r, int v, double delta, double significance, double expected)
    {
        double epsilon = OneRunAuditBound.EpsilonLowerBound(m, r, v, delta, significance);

        Assert.Equal(expected, epsilon, 1e-8);
    }

    [Fact]
    public void All_guesses_right_with_delta_zero_is_the_hand_computed_closed_form()
    {
        // r = v = 100, δ = 0: P[W ≥ 100] = q^100 = 0.05 at the bound, so q = 0.05^(1/100) = e^(ln 0.05 / 100) = 0.970487
        // and ε = ln(q / (1 − q)) = ln(0.970487 / 0.029513) = ln 32.883 = 3.4930.
        double q = Math.Pow(0.05, 1.0 / 100);

        double epsilon = OneRunAuditBound.EpsilonLowerBound(100, 100, 100, 0, 0.05);

        Assert.Equal(Math.Log(q / (1 - q)), epsilon, 1e-8);
        Assert.Equal(3.4930, epsilon, 1e-4);
    }

    [Theory]
    [InlineData(1000, 200, 130)]
    [InlineData(5000, 1000, 560)]
    [InlineData(500, 37, 30)]
    public void With_delta_zero_the_bound_is_the_logit_of_the_clopper_pearson_lower_bound(int m, int r, int v)
    {
        // δ = 0 leaves the exact binomial tail P[Binomial(r, q) ≥ v] = β, whose root in q is the one-sided Clopper–Pearson
        // lower bound on the accuracy v/r (the β quantile of Beta(v, r − v + 1)); the bound is its logit.
        double accuracy = Beta.InvCDF(v, r - v + 1, 0.05);

        double epsilon = OneRunAuditBound.EpsilonLowerBound(m, r, v, 0, 0.05);

        Assert.Equal(Math.Log(accuracy / (1 - accuracy)), epsilon, 1e-7);
    }

    [Fact]
    public void More_delta_or_more_canaries_at_the_same_tally_prove_less()
    {
        double none = OneRunAuditBound.EpsilonLowerBound(1000, 300, 240, 0, 0.05);
        double some = OneRunAuditBound.EpsilonLowerBound(1000, 300, 240, 1e-5, 0.05);
        double manyCanaries = OneRunAuditBound.EpsilonLowerBound(100_000, 300, 240, 1e-5, 0.05);

        Assert.True(none > some, $"{none} > {some}");
        Assert.True(some > manyCanaries, $"{some} > {manyCanaries}");
        Assert.Equal(0, OneRunAuditBound.EpsilonLowerBound(1000, 300, 150, 0, 0.05)); // chance accuracy proves nothing
    }

    [Fact]
    public void Randomized_response_at_a_known_epsilon_is_rarely_bounded_above_it()
    {
        // Prepare: ε-DP randomized response on m = 1000 fair coins (each output equals its coin with probability
        // e^ε/(1 + e^ε)), guessed as the outputs say: the theorem is tight here, so the 95 % bound may exceed the true ε
        // in at most 5 % of runs. 400 seeded runs; at most 35 exceedances is the 99.9 % quantile of Binomial(400, 0.05).
        const double epsilon = 1.0;
        const int m = 1000, runs = 400;
        double keep = Math.Exp(epsilon) / (1 + Math.Exp(epsilon));
        int exceeded = 0;
        var bounds = new List<double>();
        for (int run = 0; run < runs; run++)
        {
            var rng = new DeterministicRandom(Seeds.Derive(11, run, Seeds.None, SeedPurpose.Attack));
            int correct = Enumerable.Range(0, m).Count(_ => rng.NextDouble() < keep);

            double bound = OneRunAuditBound.EpsilonLowerBound(m, m, correct, 0, 0.05);

            bounds.Add(bound);
            if (bound > epsilon) exceeded++;
        }

        // Assert: valid, and not vacuous (the median run proves most of the true ε).
        Assert.InRange(exceeded, 0, 35);
        Assert.InRange(bounds.Order().ElementAt(runs / 2), 0.75, 1.0);
    }

    [Fact]
    public void A_mechanism_that_leaks_with_probability_delta_is_covered_by_the_delta_term()
    {
        // Prepare: (ε, δ)-DP with δ large enough to matter: with probability δ a coin is published as it is, otherwise by
        // ε-randomized response. Each coin's output is (ε, δ)-DP; 300 seeded runs of m = 1000 guessed coins, ε = 0.5,
        // δ = 0.1, at most 27 exceedances (99.9 % quantile of Binomial(300, 0.05)). The accuracy is 0.1 + 0.9 · 0.6225 =
        // 0.660, whose logit 0.66 is above ε: a bound that ignored δ would overshoot in most runs.
        const double epsilon = 0.5, delta = 0.1;
        const int m = 1000, runs = 300;
        double keep = Math.Exp(epsilon) / (1 + Math.Exp(epsilon));
        int exceeded = 0, exceededWithoutDelta = 0;
        for (int run = 0; run < runs; run++)
        {
            var rng = new DeterministicRandom(Seeds.Derive(12, run, Seeds.None, SeedPurpose.Attack));
            int correct = Enumerable.Range(0, m).Count(_ => rng.NextDouble() < delta || rng.NextDouble() < keep);

            if (OneRunAuditBound.EpsilonLowerBound(m, m, correct, delta, 0.05) > epsilon) exceeded++;
            if (OneRunAuditBound.EpsilonLowerBound(m, m, correct, 0, 0.05) > epsilon) exceededWithoutDelta++;
        }

        Assert.InRange(exceeded, 0, 27);
        Assert.True(exceededWithoutDelta > runs / 4, $"without δ the bound overshoots in {exceededWithoutDelta} of {runs} runs");
    }

    [Fact]
    public void Guesses_take_the_highest_scores_as_included_and_the_lowest_as_left_out()
    {
        // Prepare: six canaries; scores rank them 4, 0, 2, 5, 1, 3 (highest first).
        double[] scores = [0.9, 0.2, 0.5, -1.0, 0.95, 0.3];
        bool[] included = [true, false, false, false, true, true];

        // Execute: top two guessed in (4 and 0: both right), bottom two guessed out (1 right, 3 right).
        int correct = OneRunAuditBound.CorrectGuesses(scores, included, positive: 2, negative: 2);
        int onlyPositive = OneRunAuditBound.CorrectGuesses(scores, included, positive: 3, negative: 0);

        // Assert
        Assert.Equal(4, correct);
        Assert.Equal(2, onlyPositive); // 4, 0 right; 2 wrong
    }

    [Fact]
    public void Search_tests_each_pair_at_a_bonferroni_share_and_keeps_the_best()
    {
        // Prepare: 200 canaries whose scores separate perfectly, so every guess is right.
        var included = Enumerable.Range(0, 200).Select(i => i % 2 == 0).ToArray();
        var scores = included.Select((inc, i) => (inc ? 10.0 : -10.0) + i * 1e-3).ToArray();

        // Execute
        var result = OneRunAuditBound.Search(scores, included, [10, 50, 100], [0, 100], delta: 0, confidence: 0.95);

        // Assert: (100, 100) is all 200 guesses right: the bound at level 0.05 / 6 (six pairs, all within m).
        Assert.Equal((100, 100, 200, 6), (result.PositiveGuesses, result.NegativeGuesses, result.Correct, result.PairsSearched));
        Assert.Equal(OneRunAuditBound.EpsilonLowerBound(200, 200, 200, 0, 0.05 / 6), result.EpsilonLowerBound, 12);
        Assert.Equal(100, result.Included);
    }

    [Fact]
    public void Default_guess_counts_are_shares_of_the_canaries()
    {
        Assert.Equal([0, 10, 20, 50, 100, 200, 500], OneRunAuditBound.DefaultGuessCounts(1000));
        Assert.Equal([0, 1, 2, 4, 10], OneRunAuditBound.DefaultGuessCounts(20)); // 1 % and 2 % round to 0 and are raised to 1
    }
}
