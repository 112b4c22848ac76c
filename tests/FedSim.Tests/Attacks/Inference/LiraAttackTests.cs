using FedSim.Attacks.Inference;
using FedSim.Determinism;

namespace FedSim.Tests.Attacks.Inference;

public sealed class LiraAttackTests
{
    /// <summary>
    /// A population where examples differ a lot in difficulty: example i has φ = dᵢ + Δ·[trained on i] + noise,
    /// dᵢ ~ N(0, 3²), noise ~ N(0, 1). A global threshold on φ fights the difficulty spread (AUC Φ(Δ/√(2·10)));
    /// LiRA removes dᵢ with per-example reference fits (AUC about Φ(Δ/√(2·(1 + 1/K_out)))).
    /// </summary>
    private sealed record Population(double[] Target, bool[] IsMember, ReferenceSignals References);

    private static Population Simulate(DeterministicRandom rng, int examples, int referenceModels, double effect)
    {
        var difficulty = AttackTestKit.Normal(rng, examples, 0, 3);
        var isMember = Enumerable.Range(0, examples).Select(i => i % 2 == 0).ToArray();
        var target = Enumerable.Range(0, examples).Select(i => difficulty[i] + (isMember[i] ? effect : 0) + rng.NextGaussian()).ToArray();
        var signals = new double[referenceModels][];
        var trainedOn = new bool[referenceModels][];
        for (int m = 0; m < referenceModels; m++)
        {
            trainedOn[m] = Enumerable.Range(0, examples).Select(_ => rng.NextDouble() < 0.5).ToArray();
            signals[m] = Enumerable.Range(0, examples).Select(i => difficulty[i] + (trainedOn[m][i] ? effect : 0) + rng.NextGaussian()).ToArray();
        }
        // Make sure every example has at least two reference models per side, as a real run would by design.
        for (int i = 0; i < examples; i++)
            for (int m = 0; m < 4; m++)
                if (trainedOn[m][i] != (m % 2 == 0))
                {
                    trainedOn[m][i] = m % 2 == 0;
                    signals[m][i] = difficulty[i] + (trainedOn[m][i] ? effect : 0) + rng.NextGaussian();
                }
        return new Population(target, isMember, ReferenceSignals.FromModels(signals, trainedOn));
    }

    [Fact]
    public void Offline_lira_with_global_variance_matches_the_gaussian_answer_and_beats_the_global_threshold()
    {
        // Prepare: Δ = 1.5, 64 reference models (≈ 32 OUT per example).
        var rng = AttackTestKit.Rng(31);
        var population = Simulate(rng, 4000, 64, 1.5);
        double meanInverseOut = population.References.Out.Average(o => 1.0 / o.Length);

        // Execute
        var lira = MembershipMetrics.Of(new AuditScores(LiraAttack.Offline(population.Target, population.References, LiraVariance.Global), population.IsMember));
        var threshold = MembershipMetrics.Of(new AuditScores(population.Target, population.IsMember));

        // Assert: both AUCs near their Gaussian answers, and LiRA's TPR at 1 % FPR near Φ(d′ + Φ⁻¹(0.01)).
        double liraSd = Math.Sqrt(1 + meanInverseOut);
        AttackTestKit.AssertAucNear(AttackTestKit.GaussianAuc(1.5, liraSd), lira);
        AttackTestKit.AssertAucNear(AttackTestKit.GaussianAuc(1.5, Math.Sqrt(10)), threshold);
        Assert.InRange(lira.TprAt1PctFpr, AttackTestKit.GaussianTprAtFpr(1.5, liraSd, 0.01) - 0.06, AttackTestKit.GaussianTprAtFpr(1.5, liraSd, 0.01) + 0.06);
        Assert.True(lira.TprAt1PctFpr > 3 * threshold.TprAt1PctFpr, $"LiRA {lira.TprAt1PctFpr} vs threshold {threshold.TprAt1PctFpr}");
        Assert.True(lira.TprAt0_1PctFpr > threshold.TprAt0_1PctFpr);
    }

    [Fact]
    public void Online_lira_with_per_example_fits_approaches_the_noise_only_answer()
    {
        // Prepare: as above; per-example means and variances from ≈ 32 models per side.
        var rng = AttackTestKit.Rng(32);
        var population = Simulate(rng, 4000, 64, 1.5);

        // Execute
        var online = MembershipMetrics.Of(new AuditScores(LiraAttack.Online(population.Target, population.References), population.IsMember));
        var threshold = MembershipMetrics.Of(new AuditScores(population.Target, population.IsMember));

        // Assert: near Φ(Δ/√2) = 0.855 (the estimated fits cost a little), far above the global threshold.
        Assert.InRange(online.Auc, 0.82, 0.87);
        Assert.True(online.TprAt1PctFpr > 3 * threshold.TprAt1PctFpr, $"LiRA {online.TprAt1PctFpr} vs threshold {threshold.TprAt1PctFpr}");
    }

    [Fact]
    public void Lira_on_identical_distributions_is_at_chance()
    {
        var rng = AttackTestKit.Rng(33);
        var population = Simulate(rng, 4000, 16, effect: 0);

        var online = MembershipMetrics.Of(new AuditScores(LiraAttack.Online(population.Target, population.References), population.IsMember));
        var offline = MembershipMetrics.Of(new AuditScores(LiraAttack.Offline(population.Target, population.References, LiraVariance.Global), population.IsMember));

        AttackTestKit.AssertChance(online);
        AttackTestKit.AssertChance(offline);
    }

    [Fact]
    public void Lira_scores_follow_the_gaussian_formulas_by_hand()
    {
        // Prepare: one example, IN signals {3, 5} (mean 4, sample sd √2), OUT signals {0, 2} (mean 1, sd √2); φ = 3.
        var references = new ReferenceSignals([[3.0, 5.0]], [[0.0, 2.0]]);

        // Execute
        double online = LiraAttack.Online([3.0], references)[0];
        double offline = LiraAttack.Offline([3.0], references)[0];

        // Assert: equal variances, so log N(3; 4, 2) − log N(3; 1, 2) = (−1 + 4) / (2·2) = 0.75; offline z = (3 − 1)/√2.
        Assert.Equal(0.75, online, 14);
        Assert.Equal(2 / Math.Sqrt(2), offline, 14);
    }

    [Fact]
    public void Global_variance_pools_the_spread_around_each_examples_own_mean()
    {
        // Prepare: example 0 OUT {0, 2} (squares 2), example 1 OUT {10, 10, 16} (squares 24), example 2 OUT {7}
        // (no spread information). Pooled variance = (2 + 24) / (1 + 2 + 0) = 26/3.
        var references = new ReferenceSignals([[], [], []], [[0.0, 2.0], [10.0, 10.0, 16.0], [7.0]]);

        // Execute
        var z = LiraAttack.Offline([1.0, 12.0, 9.0], references, LiraVariance.Global);

        // Assert: z = (φ − μ_out)/σ with one σ for all.
        double sd = Math.Sqrt(26.0 / 3);
        Assert.Equal(0.0, z[0], 14);
        Assert.Equal(0.0, z[1], 14);
        Assert.Equal(2 / sd, z[2], 14);
    }

    [Fact]
    public void Few_reference_models_need_the_global_variance_and_say_so()
    {
        var references = new ReferenceSignals([[1.0], [2.0, 2.5]], [[0.0], [0.5, 1.0]]);

        var error = Assert.Throws<ArgumentException>(() => LiraAttack.Online([1.0, 2.0], references));
        var scores = LiraAttack.Online([1.0, 2.0], references, LiraVariance.Global);

        Assert.Contains("global variance", error.Message);
        Assert.All(scores, s => Assert.True(double.IsFinite(s)));
    }

    [Fact]
    public void Identical_reference_signals_do_not_divide_by_zero()
    {
        var references = new ReferenceSignals([[2.0, 2.0]], [[1.0, 1.0]]);

        double online = LiraAttack.Online([2.0], references)[0];

        Assert.False(double.IsNaN(online));
        Assert.True(online > 0);
    }

    [Fact]
    public void Lira_refuses_mismatched_or_infinite_inputs()
    {
        var references = new ReferenceSignals([[1.0, 2.0]], [[0.0, 1.0]]);

        Assert.Throws<ArgumentException>(() => LiraAttack.Online([1.0, 2.0], references));
        Assert.Contains("LogitScaledConfidence", Assert.Throws<ArgumentException>(() => LiraAttack.Online([double.PositiveInfinity], references)).Message);
        Assert.Throws<ArgumentException>(() => new ReferenceSignals([[double.NaN]], [[0.0]]));
        Assert.Throws<ArgumentException>(() => LiraAttack.Offline([0.0], new ReferenceSignals([[1.0]], [[]])));
    }

    [Fact]
    public void Reference_signals_sort_each_models_signal_by_membership()
    {
        // Two models, three examples: model 0 trained on examples 0 and 2, model 1 on example 1.
        var references = ReferenceSignals.FromModels([[0.1, 0.2, 0.3], [1.1, 1.2, 1.3]],
                                                     [[true, false, true], [false, true, false]]);

        Assert.Equal([0.1], references.In[0]);
        Assert.Equal([1.1], references.Out[0]);
        Assert.Equal([1.2], references.In[1]);
        Assert.Equal([0.2], references.Out[1]);
        Assert.Equal([0.3], references.In[2]);
    }
}
