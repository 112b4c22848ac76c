using FedSim.Attacks.Inference;

namespace FedSim.Tests.Attacks.Inference;

public sealed class UpdateAttackTests
{
    private static float[] Basis(int dimension, int axis, float scale = 1f)
    {
        var v = new float[dimension];
        v[axis] = scale;
        return v;
    }

    [Fact]
    public void Gradient_alignment_of_orthogonal_gradients_is_exactly_one_over_root_batch()
    {
        // Prepare: one SGD step, η = 0.1, on a batch of the 4 members whose gradients are the unit axes 0..3:
        // Δ = −η·mean(g) = −0.025·(1, 1, 1, 1, 0, …). cos(−Δ, e_k) = 1/√4 for members, 0 for the axes 4..7.
        const int d = 16;
        var update = new float[d];
        for (int k = 0; k < 4; k++) update[k] = -0.025f;
        var candidates = Enumerable.Range(0, 8).Select(k => Basis(d, k, 3f)).ToList();

        // Execute
        var scores = UpdateAttack.GradientAlignment(update, candidates);

        // Assert
        for (int k = 0; k < 4; k++) Assert.Equal(0.5, scores[k], 6);
        for (int k = 4; k < 8; k++) Assert.Equal(0.0, scores[k]);
        Assert.Equal(1.0, MembershipMetrics.Of(new AuditScores(scores, Enumerable.Range(0, 8).Select(k => k < 4).ToArray())).Auc);
    }

    [Fact]
    public void Gradient_alignment_finds_the_batch_in_a_high_dimensional_update()
    {
        // Prepare: random Gaussian per-record gradients in d = 2000; the device takes one step on 20 members.
        // A member's gradient is one of 20 summands of −Δ (cosine ≈ 1/√20 ≈ 0.22); a non-member's cosine is
        // ≈ N(0, 1/d), sd 0.022: about 10 sd apart, so the audit is essentially perfect.
        var rng = AttackTestKit.Rng(61);
        const int d = 2000;
        float[] Gradient() => Enumerable.Range(0, d).Select(_ => (float)rng.NextGaussian()).ToArray();
        var members = Enumerable.Range(0, 20).Select(_ => Gradient()).ToList();
        var nonMembers = Enumerable.Range(0, 200).Select(_ => Gradient()).ToList();
        var update = new float[d];
        foreach (var g in members) for (int j = 0; j < d; j++) update[j] -= 0.01f * g[j] / members.Count;

        // Execute
        var memberScores = UpdateAttack.GradientAlignment(update, members);
        var nonMemberScores = UpdateAttack.GradientAlignment(update, nonMembers);

        // Assert
        Assert.Equal(1.0, MembershipMetrics.Of(AuditScores.FromGroups(memberScores, nonMemberScores)).Auc);
        Assert.InRange(memberScores.Average(), 0.19, 0.26);
    }

    [Fact]
    public void Gradient_alignment_with_an_update_from_other_records_is_at_chance()
    {
        // The update comes from 20 records that are not candidates: "members" and non-members are alike.
        var rng = AttackTestKit.Rng(62);
        const int d = 200;
        float[] Gradient() => Enumerable.Range(0, d).Select(_ => (float)rng.NextGaussian()).ToArray();
        var update = new float[d];
        for (int b = 0; b < 20; b++) { var g = Gradient(); for (int j = 0; j < d; j++) update[j] -= g[j]; }
        var a = Enumerable.Range(0, 1000).Select(_ => Gradient()).ToList();
        var c = Enumerable.Range(0, 1000).Select(_ => Gradient()).ToList();

        var metrics = MembershipMetrics.Of(AuditScores.FromGroups(UpdateAttack.GradientAlignment(update, a), UpdateAttack.GradientAlignment(update, c)));

        AttackTestKit.AssertChance(metrics);
    }

    [Fact]
    public void A_zero_gradient_gives_no_evidence_and_an_empty_update_is_refused()
    {
        var scores = UpdateAttack.GradientAlignment([1f, 0f], [[0f, 0f], [-2f, 0f]]);

        Assert.Equal([0.0, 1.0], scores);
        Assert.Contains("norm", Assert.Throws<ArgumentException>(() => UpdateAttack.GradientAlignment([0f, 0f], [[1f, 0f]])).Message);
        Assert.Throws<ArgumentException>(() => UpdateAttack.GradientAlignment([1f, 0f], [[1f, 0f, 0f]]));
    }

    [Fact]
    public void Loss_reduction_is_before_minus_after()
    {
        var scores = UpdateAttack.LossReduction([2.0, 1.0, 0.5], [0.5, 1.25, 0.5]);

        Assert.Equal([1.5, -0.25, 0.0], scores);
        Assert.Throws<ArgumentException>(() => UpdateAttack.LossReduction([1.0], [1.0, 2.0]));
    }
}
