using FedSim.Attacks.Inference;

namespace FedSim.Tests.Attacks.Inference;

public sealed class ScoreAttackTests
{
    [Fact]
    public void Model_outputs_give_loss_probability_and_logit_scaled_confidence()
    {
        // Prepare: logits (2, 1, 0), true label 0. By hand: p₀ = e²/(e² + e + 1) = 0.665240955774822,
        // loss = −ln p₀ = 0.407605964444380, φ = ln(p₀ / (1 − p₀)) = 2 − ln(e + 1) = 0.686738312...
        var outputs = new ModelOutputs([2f, 1f, 0f], 3, [0]);

        // Execute / Assert
        Assert.Equal(0.407605964444380, outputs.Loss(0), 13);
        Assert.Equal(0.665240955774822, outputs.TrueLabelProbability(0), 13);
        Assert.Equal(2 - Math.Log(Math.E + 1), outputs.LogitScaledConfidence(0), 13);
        Assert.Equal(1.0, outputs.Probabilities(0).Sum(), 14);
    }

    [Fact]
    public void A_confident_model_keeps_its_resolution_in_log_space()
    {
        // Prepare: logits (100, 0): p = 1 − e^−100 rounds to 1 in double, but loss = ln(1 + e^−100) ≈ e^−100 and
        // φ = 100 exactly; a naive log(p / (1 − p)) would be +∞ and log(sum exp) − z_y would be 0.
        var outputs = new ModelOutputs([100f, 0f, 90f, 0f], 2, [0, 0]);

        // Execute / Assert
        Assert.Equal(Math.Exp(-100), outputs.Loss(0), 1e-55);
        Assert.True(outputs.Loss(0) < outputs.Loss(1));
        Assert.Equal(100.0, outputs.LogitScaledConfidence(0));
        Assert.Equal(90.0, outputs.LogitScaledConfidence(1));
    }

    [Fact]
    public void Saturated_probabilities_give_a_finite_logit_scaled_confidence()
    {
        // Prepare: an API that returns float probabilities (1, 0): p = 1 exactly.
        var outputs = ModelOutputs.FromProbabilities([1f, 0f, 0.75f, 0.25f], 2, [0, 0]);

        // Execute
        double saturated = outputs.LogitScaledConfidence(0);

        // Assert: 0 is read as the smallest float 1.4e-45, so φ = −ln(1.4e-45) ≈ 103.28 (to float precision of the
        // stored logit), finite; and a normal row gives ln(0.75 / 0.25).
        Assert.Equal(-Math.Log(1.401298464324817e-45), saturated, 5);
        Assert.Equal(Math.Log(3), outputs.LogitScaledConfidence(1), 6);
    }

    [Fact]
    public void Model_outputs_refuse_bad_shapes_labels_and_values()
    {
        Assert.Throws<ArgumentException>(() => new ModelOutputs([1f, 2f, 3f], 2, [0]));
        Assert.Contains("label 2", Assert.Throws<ArgumentException>(() => new ModelOutputs([1f, 2f], 2, [2])).Message);
        Assert.Throws<ArgumentException>(() => new ModelOutputs([float.NaN, 2f], 2, [0]));
        Assert.Throws<ArgumentException>(() => ModelOutputs.FromProbabilities([1.5f, 0f], 2, [0]));
    }

    [Fact]
    public void Loss_attack_auc_matches_the_gaussian_answer()
    {
        // Prepare: member losses N(1, 1), non-member losses N(2, 1): AUC of −loss = Φ(1/√2) = 0.7602.
        var rng = AttackTestKit.Rng(21);
        var memberLoss = AttackTestKit.Normal(rng, 3000, 1, 1);
        var nonMemberLoss = AttackTestKit.Normal(rng, 3000, 2, 1);
        var audit = AuditScores.FromGroups(LossAttack.Scores(memberLoss), LossAttack.Scores(nonMemberLoss));

        // Execute
        var metrics = MembershipMetrics.Of(audit);

        // Assert
        AttackTestKit.AssertAucNear(AttackTestKit.GaussianAuc(1, 1), metrics);
        Assert.InRange(metrics.TprAt1PctFpr, 0.01, AttackTestKit.GaussianTprAtFpr(1, 1, 0.01) + 0.05);
    }

    [Fact]
    public void Loss_attack_on_identical_distributions_is_at_chance()
    {
        var rng = AttackTestKit.Rng(22);
        var audit = AuditScores.FromGroups(LossAttack.Scores(AttackTestKit.Normal(rng, 2000, 1, 1)),
                                           LossAttack.Scores(AttackTestKit.Normal(rng, 2000, 1, 1)));

        AttackTestKit.AssertChance(MembershipMetrics.Of(audit));
    }

    [Fact]
    public void Confidence_attack_ranks_by_the_true_label_probability()
    {
        // Prepare: binary outputs with margin m: p_y = σ(m), increasing in m. Members m ~ N(2, 1), non-members
        // N(1, 1): AUC = Φ(1/√2).
        var rng = AttackTestKit.Rng(23);
        var members = AttackTestKit.BinaryOutputs(AttackTestKit.Normal(rng, 3000, 2, 1));
        var nonMembers = AttackTestKit.BinaryOutputs(AttackTestKit.Normal(rng, 3000, 1, 1));

        // Execute
        var metrics = MembershipMetrics.Of(AuditScores.FromGroups(ConfidenceAttack.Scores(members), ConfidenceAttack.Scores(nonMembers)));

        // Assert
        AttackTestKit.AssertAucNear(AttackTestKit.GaussianAuc(1, 1), metrics);
        Assert.Equal(1 / (1 + Math.Exp(-2.5)), ConfidenceAttack.Scores(AttackTestKit.BinaryOutputs([2.5]))[0], 7);
    }

    [Theory]
    // Song and Mittal (2021), Mentr(F, y) = −(1 − F_y) ln F_y − Σ_{i≠y} F_i ln(1 − F_i), by hand:
    [InlineData(new[] { 0.8, 0.2 }, 0, 0.0892574205256839)]  // −0.2 ln 0.8 − 0.2 ln 0.8
    [InlineData(new[] { 0.8, 0.2 }, 1, 2.5751006598945607)]  // −0.8 ln 0.2 − 0.8 ln 0.2: confident and wrong
    [InlineData(new[] { 0.7, 0.2, 0.1 }, 0, 0.16216724501024432)] // −0.3 ln 0.7 − 0.2 ln 0.8 − 0.1 ln 0.9
    [InlineData(new[] { 0.7, 0.2, 0.1 }, 2, 2.959736256985638)] // −0.9 ln 0.1 − 0.7 ln 0.3 − 0.2 ln 0.8
    public void Modified_entropy_matches_the_hand_computed_formula(double[] probabilities, int label, double expected)
    {
        var logits = probabilities.Select(p => (float)Math.Log(p)).ToArray();

        double mentr = ModifiedEntropyAttack.ModifiedEntropy(logits, label);

        Assert.Equal(expected, mentr, 6); // float logits: about 7 significant digits
    }

    [Fact]
    public void Modified_entropy_tells_confidently_wrong_from_confidently_right()
    {
        // Prepare: plain entropy cannot tell these apart (both outputs are (0.99, 0.01)); Mentr uses the label.
        var outputs = new ModelOutputs([(float)Math.Log(0.99), (float)Math.Log(0.01), (float)Math.Log(0.99), (float)Math.Log(0.01)], 2, [0, 1]);

        // Execute
        var scores = ModifiedEntropyAttack.Scores(outputs);

        // Assert: right → near 0 (member-like), wrong → large Mentr (non-member-like).
        Assert.True(scores[0] > -0.05, $"{scores[0]}");
        Assert.True(scores[1] < -9, $"{scores[1]}");
    }

    [Fact]
    public void Modified_entropy_stays_finite_and_ordered_for_saturated_outputs()
    {
        // Logit gaps of 60 and 80: probabilities round to 1 in float, the log-space formula still orders them.
        var outputs = new ModelOutputs([60f, 0f, 0f, 80f, 0f, 0f], 3, [0, 0]);

        var scores = ModifiedEntropyAttack.Scores(outputs);

        Assert.All(scores, s => Assert.True(double.IsFinite(s)));
        Assert.True(scores[1] > scores[0]);
    }

    [Fact]
    public void Modified_entropy_attack_auc_matches_the_gaussian_answer()
    {
        // Prepare: binary outputs, label 0: Mentr = −2(1 − p) ln p decreases in p = σ(m), so −Mentr ranks by the
        // margin m: members N(2, 1) vs non-members N(1, 1) give AUC Φ(1/√2).
        var rng = AttackTestKit.Rng(24);
        var members = AttackTestKit.BinaryOutputs(AttackTestKit.Normal(rng, 3000, 2, 1));
        var nonMembers = AttackTestKit.BinaryOutputs(AttackTestKit.Normal(rng, 3000, 1, 1));

        var metrics = MembershipMetrics.Of(AuditScores.FromGroups(ModifiedEntropyAttack.Scores(members), ModifiedEntropyAttack.Scores(nonMembers)));

        AttackTestKit.AssertAucNear(AttackTestKit.GaussianAuc(1, 1), metrics);
    }
}
