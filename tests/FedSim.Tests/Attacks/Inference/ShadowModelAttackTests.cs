using FedSim.Attacks.Inference;
using FedSim.Determinism;

namespace FedSim.Tests.Attacks.Inference;

public sealed class ShadowModelAttackTests
{
    [Fact]
    public void Logistic_regression_recovers_the_closed_form_fit_of_a_binary_feature()
    {
        // Prepare: one binary feature. With x = 0: 30 positives of 100; x = 1: 80 of 100. The unpenalized maximum-
        // likelihood fit reproduces both rates exactly: intercept = logit(0.3) = ln(3/7), slope = logit(0.8) − logit(0.3).
        var rows = new List<double[]>();
        var labels = new List<bool>();
        void Add(double x, int positives, int total)
        {
            for (int i = 0; i < total; i++) { rows.Add([x]); labels.Add(i < positives); }
        }
        Add(0, 30, 100);
        Add(1, 80, 100);

        // Execute
        var model = LogisticRegression.Fit(rows, labels, l2: 0);

        // Assert
        Assert.Equal(Math.Log(3.0 / 7), model.Intercept, 10);
        Assert.Equal(Math.Log(4) - Math.Log(3.0 / 7), model.Coefficients[0], 10);
        Assert.Equal(Math.Log(4), model.LogOdds([1.0]), 10);
        Assert.InRange(model.Iterations, 2, 20);
    }

    [Fact]
    public void Logistic_regression_row_weights_act_like_repeated_rows()
    {
        var rng = AttackTestKit.Rng(51);
        var rows = Enumerable.Range(0, 40).Select(_ => new[] { rng.NextGaussian(), rng.NextGaussian() }).ToList();
        var labels = rows.Select(r => r[0] + 0.5 * r[1] + 0.5 * rng.NextGaussian() > 0).ToList();

        var weighted = LogisticRegression.Fit(rows, labels, rows.Select((_, i) => i < 10 ? 3.0 : 1.0).ToList(), l2: 0);
        var repeated = LogisticRegression.Fit(rows.Concat(rows.Take(10)).Concat(rows.Take(10)).ToList(),
                                              labels.Concat(labels.Take(10)).Concat(labels.Take(10)).ToList(), l2: 0);

        Assert.Equal(repeated.Intercept, weighted.Intercept, 8);
        Assert.Equal(repeated.Coefficients[0], weighted.Coefficients[0], 8);
        Assert.Equal(repeated.Coefficients[1], weighted.Coefficients[1], 8);
    }

    [Fact]
    public void Logistic_regression_stays_finite_on_separable_data_with_a_penalty()
    {
        var model = LogisticRegression.Fit([[0.0], [1.0], [2.0], [3.0]], [false, false, true, true]);

        Assert.True(double.IsFinite(model.Coefficients[0]) && model.Coefficients[0] > 0);
        Assert.True(model.LogOdds([3.0]) > model.LogOdds([0.0]));
    }

    /// <summary>
    /// Ten-class outputs whose true-label logit is a margin m over nine zero logits; shadow and target models
    /// overfit alike: members m ~ N(4, 1), non-members N(3, 1). The sorted probability vector is a monotone
    /// function of m, so the best attack ranks by m: AUC Φ(1/√2).
    /// </summary>
    private static ShadowModelOutputs Model(DeterministicRandom rng, int perSide, double memberMargin = 4, double nonMemberMargin = 3)
    {
        var margins = AttackTestKit.Normal(rng, perSide, memberMargin, 1).Concat(AttackTestKit.Normal(rng, perSide, nonMemberMargin, 1)).ToArray();
        var labels = Enumerable.Range(0, 2 * perSide).Select(i => i % 10).ToArray();
        var logits = new float[2 * perSide * 10];
        for (int i = 0; i < margins.Length; i++) logits[i * 10 + labels[i]] = (float)margins[i];
        return new ShadowModelOutputs(new ModelOutputs(logits, 10, labels), Enumerable.Range(0, 2 * perSide).Select(i => i < perSide).ToArray());
    }

    [Fact]
    public void Shadow_attack_learns_what_separates_members_and_transfers_to_the_target()
    {
        // Prepare: 4 shadow models of 500 + 500 outputs each, one target of 2000 + 2000.
        var rng = AttackTestKit.Rng(52);
        var shadows = Enumerable.Range(0, 4).Select(_ => Model(rng, 500)).ToList();
        var target = Model(rng, 2000);

        // Execute
        var attack = ShadowModelAttack.Train(shadows);
        var metrics = MembershipMetrics.Of(new AuditScores(attack.Scores(target.Outputs), target.IsMember));

        // Assert
        AttackTestKit.AssertAucNear(AttackTestKit.GaussianAuc(1, 1), metrics);
        Assert.Equal(10, attack.ClassesWithOwnClassifier.Count);
    }

    [Fact]
    public void Shadow_attack_on_identical_distributions_is_at_chance()
    {
        var rng = AttackTestKit.Rng(53);
        var shadows = Enumerable.Range(0, 2).Select(_ => Model(rng, 500, 3, 3)).ToList();
        var target = Model(rng, 2000, 3, 3);

        var attack = ShadowModelAttack.Train(shadows, new ShadowAttackOptions(TopK: 3, PerClass: false));

        AttackTestKit.AssertChance(MembershipMetrics.Of(new AuditScores(attack.Scores(target.Outputs), target.IsMember)));
    }

    [Fact]
    public void Shadow_attack_training_is_deterministic()
    {
        var shadows = Enumerable.Range(0, 2).Select(_ => Model(AttackTestKit.Rng(54), 300)).ToList();
        var target = Model(AttackTestKit.Rng(55), 300);

        var first = ShadowModelAttack.Train(shadows).Scores(target.Outputs);
        var second = ShadowModelAttack.Train(shadows).Scores(target.Outputs);

        Assert.Equal(first, second);
    }

    [Fact]
    public void Classes_without_enough_shadow_outputs_fall_back_to_the_pooled_classifier()
    {
        // 40 + 40 outputs over 10 classes: 4 per class and side, below the default minimum of 10.
        var shadows = new[] { Model(AttackTestKit.Rng(56), 40) };

        var attack = ShadowModelAttack.Train(shadows);
        var scores = attack.Scores(Model(AttackTestKit.Rng(57), 20).Outputs);

        Assert.Empty(attack.ClassesWithOwnClassifier);
        Assert.All(scores, s => Assert.True(double.IsFinite(s)));
    }

    [Fact]
    public void Shadow_attack_refuses_shadows_without_both_sides_and_mismatched_targets()
    {
        var onlyMembers = new ShadowModelOutputs(AttackTestKit.BinaryOutputs([1, 2, 3]), [true, true, true]);
        var shadow = new ShadowModelOutputs(AttackTestKit.BinaryOutputs([1, 2, 3, 4]), [true, false, true, false]);

        Assert.Contains("need both", Assert.Throws<ArgumentException>(() => ShadowModelAttack.Train([onlyMembers])).Message);
        var attack = ShadowModelAttack.Train([shadow], new ShadowAttackOptions(PerClass: false));
        Assert.Throws<ArgumentException>(() => attack.Scores(new ModelOutputs([0f, 0f, 0f], 3, [0])));
    }
}
