using FedSim.Attacks.Inference;
using FedSim.Determinism;

namespace FedSim.Tests.Attacks.Inference;

public sealed class StatisticsTests
{
    [Theory]
    // statsmodels, statsmodels/stats/tests/results/results_proportion.py: R binom::binom.confint(x, n,
    // tol = 1e-8), method "exact" (Clopper–Pearson), 95 %.
    [InlineData(18, 20, 0.6830172859809176, 0.9876514728297052)]
    [InlineData(4, 20, 0.05733399705003284, 0.436614002996668)]
    [InlineData(4, 200, 0.005475565879556443, 0.05041360908989634)]
    [InlineData(190, 200, 0.9099724622986486, 0.975765834527891)]
    [InlineData(1, 30, 8.435709e-04, 0.17216946)]
    [InlineData(29, 30, 0.8278305, 0.9991564)]
    [InlineData(0, 30, 0.0, 0.11570331)]
    [InlineData(30, 30, 0.8842967, 1.0)]
    public void Clopper_pearson_matches_r_binom_confint_exact(int k, int n, double lower, double upper)
    {
        var (lo, hi) = ClopperPearson.Interval(k, n, 0.95);

        Assert.Equal(lower, lo, 7);
        Assert.Equal(upper, hi, 7);
    }

    [Fact]
    public void Clopper_pearson_is_accurate_in_the_far_tail()
    {
        // R package GenBinomApps, clopper.pearson.ci documented examples: 5 of 100000,
        // alpha = 0.05 one-sided upper → 0.0001051275; two-sided at alpha = 0.1 → [1.97017e-05, 0.0001051275].
        // Low-FPR audits live here: FPR bounds of a few in 10⁵.
        Assert.Equal(0.0001051275, ClopperPearson.Upper(5, 100_000, 0.05), 10);
        Assert.Equal(1.97017e-05, ClopperPearson.Lower(5, 100_000, 0.05), 10);
    }

    [Fact]
    public void Chance_interval_of_auc_is_the_exact_mann_whitney_null_spread()
    {
        // Prepare: at A = 0.5 Hanley–McNeil reduces to (n_m + n_n + 1) / (12 n_m n_n), the exact null variance of U/(n_m n_n).
        int m = 500, n = 700;

        // Execute
        double se = AucInterval.StandardError(0.5, m, n);
        var (lo, hi) = AucInterval.Chance(m, n, 0.99);

        // Assert
        Assert.Equal(Math.Sqrt((m + n + 1) / (12.0 * m * n)), se, 15);
        Assert.Equal(0.5 - 2.5758293035489 * se, lo, 12);
        Assert.Equal(0.5 + 2.5758293035489 * se, hi, 12);
    }

    [Fact]
    public void Member_blind_audits_land_in_the_chance_interval_about_as_often_as_promised()
    {
        // Prepare: 200 audits of 300 + 300 examples whose scores ignore membership (identical distributions).
        var rng = new DeterministicRandom(Seeds.Derive(11, Seeds.None, Seeds.None, SeedPurpose.Attack));
        var (lo, hi) = AucInterval.Chance(300, 300, 0.95);
        int inside = 0;

        // Execute
        for (int audit = 0; audit < 200; audit++)
        {
            var members = Enumerable.Range(0, 300).Select(_ => rng.NextGaussian()).ToArray();
            var nonMembers = Enumerable.Range(0, 300).Select(_ => rng.NextGaussian()).ToArray();
            double auc = MembershipMetrics.Of(AuditScores.FromGroups(members, nonMembers)).Auc;
            if (auc >= lo && auc <= hi) inside++;
        }

        // Assert: 95 % nominal; Binomial(200, 0.95) stays within [181, 199] with probability > 0.999.
        Assert.InRange(inside, 181, 200);
    }

    [Fact]
    public void Membership_metrics_summarise_the_curve()
    {
        var audit = RocCurveTests.HanleyMcNeilTableI();

        var metrics = MembershipMetrics.Of(audit);

        Assert.Equal(51, metrics.Members);
        Assert.Equal(58, metrics.NonMembers);
        Assert.Equal(0.893, Math.Round(metrics.Auc, 3));
        // Rating 5 holds 33 of 51 abnormal and 2 of 58 normal: FPR 3.4 %, more than 1 %, so only the empty rule qualifies.
        Assert.Equal(0.0, metrics.TprAt1PctFpr);
        Assert.Equal(0.0, metrics.TprAt0_1PctFpr);
        // Best threshold "rating ≥ 4": TPR 44/51, FPR 13/58.
        Assert.Equal(44.0 / 51 - 13.0 / 58, metrics.Advantage, 12);
        Assert.Equal((1 + metrics.Advantage) / 2, metrics.BalancedAccuracy, 12);
        Assert.Equal(1.0 / 58, metrics.SmallestMeasurableFpr, 15);
    }
}
