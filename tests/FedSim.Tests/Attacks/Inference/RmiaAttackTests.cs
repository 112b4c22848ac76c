using FedSim.Attacks.Inference;
using FedSim.Determinism;

namespace FedSim.Tests.Attacks.Inference;

public sealed class RmiaAttackTests
{
    [Fact]
    public void Rmia_scores_count_the_population_samples_x_dominates()
    {
        // Prepare, by hand: ratios Pr(x|θ)/Pr(x) = (0.75/0.5, 0.5/0.5) = (1.5, 1.0);
        // population ratios Pr(z|θ)/Pr(z) = (0.25/0.25, 0.75/0.5, 0.125/0.25) = (1.0, 1.5, 0.5).
        double[] px = [0.75, 0.5], mx = [0.5, 0.5], pz = [0.25, 0.75, 0.125], mz = [0.25, 0.5, 0.25];

        // Execute
        var gamma1 = RmiaAttack.Scores(px, mx, pz, mz, gamma: 1);
        var gamma2 = RmiaAttack.Scores(px, mx, pz, mz, gamma: 2);

        // Assert: γ = 1: x₁ (1.5) dominates all three (ratio 1.5/1.5 = 1 ≥ 1 counts), x₂ (1.0) dominates z₁ (tie) and z₃.
        // γ = 2: x₁ needs ratio_z ≤ 0.75 → only z₃; x₂ needs ≤ 0.5 → z₃.
        Assert.Equal([1.0, 2.0 / 3], gamma1);
        Assert.Equal([1.0 / 3, 1.0 / 3], gamma2);
    }

    [Fact]
    public void Rmia_marginals_follow_the_online_mean_and_the_offline_approximation()
    {
        // Online: mean over IN and OUT alike. Offline: ½((1 + a)·mean_OUT + (1 − a)), mean_OUT = 0.3 here.
        var online = RmiaAttack.MarginalOnline(new ReferenceSignals([[0.9, 0.7]], [[0.2, 0.4]]));
        double[][] outs = [[0.2, 0.4]];

        Assert.Equal(0.55, online[0], 15);
        Assert.Equal(0.3, RmiaAttack.MarginalOffline(outs, a: 1)[0], 15);   // a = 1: the OUT mean itself
        Assert.Equal(0.475, RmiaAttack.MarginalOffline(outs, a: 0.5)[0], 15); // ½(1.5·0.3 + 0.5)
        Assert.Equal(0.65, RmiaAttack.MarginalOffline(outs, a: 0)[0], 15);    // ½(0.3 + 1)
    }

    /// <summary>
    /// Examples with very different difficulty: Pr(x|θ) = σ(dᵢ + Δ·[trained on x] + noise), dᵢ ~ N(0, 2²).
    /// A global threshold on Pr(x|θ) mostly sorts easy from hard examples; RMIA divides by Pr(x) and compares
    /// with population samples, which cancels the difficulty.
    /// </summary>
    private sealed record Simulation(double[] TargetX, bool[] IsMember, ReferenceSignals ReferencesX, double[] TargetZ, double[][] OutZ);

    private static double Sigmoid(double t) => 1 / (1 + Math.Exp(-t));

    private static Simulation Simulate(DeterministicRandom rng, int examples, int populationSize, int referenceModels, double effect, bool offline)
    {
        double Signal(double difficulty, bool trained) => Sigmoid(difficulty + (trained ? effect : 0) + 0.5 * rng.NextGaussian());
        var dx = AttackTestKit.Normal(rng, examples, 0, 2);
        var isMember = Enumerable.Range(0, examples).Select(i => i % 2 == 0).ToArray();
        var targetX = Enumerable.Range(0, examples).Select(i => Signal(dx[i], isMember[i])).ToArray();
        var signals = new double[referenceModels][];
        var trainedOn = new bool[referenceModels][];
        for (int m = 0; m < referenceModels; m++)
        {
            // Online: each reference model trains on a random half of the audited examples; offline: on none.
            trainedOn[m] = Enumerable.Range(0, examples).Select(_ => !offline && rng.NextDouble() < 0.5).ToArray();
            signals[m] = Enumerable.Range(0, examples).Select(i => Signal(dx[i], trainedOn[m][i])).ToArray();
        }
        var dz = AttackTestKit.Normal(rng, populationSize, 0, 2);
        var targetZ = dz.Select(d => Signal(d, false)).ToArray();
        var outZ = dz.Select(d => Enumerable.Range(0, referenceModels).Select(_ => Signal(d, false)).ToArray()).ToArray();
        return new Simulation(targetX, isMember, ReferenceSignals.FromModels(signals, trainedOn), targetZ, outZ);
    }

    [Fact]
    public void Online_rmia_beats_the_confidence_threshold_on_a_population_of_mixed_difficulty()
    {
        // Prepare
        var sim = Simulate(AttackTestKit.Rng(41), examples: 4000, populationSize: 2000, referenceModels: 8, effect: 1.5, offline: false);

        // Execute: online, Pr(z) from models that never trained on z (the same as every reference model here).
        var scores = RmiaAttack.Scores(sim.TargetX, RmiaAttack.MarginalOnline(sim.ReferencesX),
                                       sim.TargetZ, RmiaAttack.MarginalOffline(sim.OutZ, a: 1));
        var rmia = MembershipMetrics.Of(new AuditScores(scores, sim.IsMember));
        var confidence = MembershipMetrics.Of(new AuditScores(sim.TargetX, sim.IsMember));

        // Assert
        Assert.True(rmia.Auc > confidence.Auc + 0.1, $"RMIA {rmia.Auc:F3} vs confidence {confidence.Auc:F3}");
        Assert.True(rmia.TprAt1PctFpr > 2 * confidence.TprAt1PctFpr, $"RMIA {rmia.TprAt1PctFpr} vs confidence {confidence.TprAt1PctFpr}");
    }

    [Fact]
    public void Offline_rmia_works_from_out_models_alone()
    {
        var sim = Simulate(AttackTestKit.Rng(42), examples: 4000, populationSize: 2000, referenceModels: 4, effect: 1.5, offline: true);

        var scores = RmiaAttack.Scores(sim.TargetX, RmiaAttack.MarginalOffline(sim.ReferencesX.Out, a: 0.3),
                                       sim.TargetZ, RmiaAttack.MarginalOffline(sim.OutZ, a: 0.3));
        var rmia = MembershipMetrics.Of(new AuditScores(scores, sim.IsMember));
        var confidence = MembershipMetrics.Of(new AuditScores(sim.TargetX, sim.IsMember));

        Assert.True(rmia.Auc > confidence.Auc + 0.1, $"RMIA {rmia.Auc:F3} vs confidence {confidence.Auc:F3}");
    }

    [Fact]
    public void Rmia_on_identical_distributions_is_at_chance()
    {
        var sim = Simulate(AttackTestKit.Rng(43), examples: 4000, populationSize: 2000, referenceModels: 8, effect: 0, offline: false);

        var scores = RmiaAttack.Scores(sim.TargetX, RmiaAttack.MarginalOnline(sim.ReferencesX),
                                       sim.TargetZ, RmiaAttack.MarginalOffline(sim.OutZ, a: 1));

        AttackTestKit.AssertChance(MembershipMetrics.Of(new AuditScores(scores, sim.IsMember)));
    }

    [Fact]
    public void Rmia_refuses_bad_parameters_and_probabilities()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => RmiaAttack.MarginalOffline([[0.5]], a: 1.5));
        Assert.Throws<ArgumentOutOfRangeException>(() => RmiaAttack.Scores([0.5], [0.5], [0.5], [0.5], gamma: 0));
        Assert.Throws<ArgumentException>(() => RmiaAttack.Scores([1.5], [0.5], [0.5], [0.5]));
        Assert.Throws<ArgumentException>(() => RmiaAttack.Scores([0.5], [0.5], [], []));
        Assert.Throws<ArgumentException>(() => RmiaAttack.MarginalOffline([[]], a: 0.5));
    }

    [Fact]
    public void Underflowed_reference_probabilities_do_not_divide_by_zero()
    {
        // A float softmax underflows to 0 for a hopeless example; the marginal is floored at the smallest float.
        var marginal = RmiaAttack.MarginalOffline([[0.0, 0.0]], a: 1);

        var scores = RmiaAttack.Scores([0.0], marginal, [0.5], [0.5]);

        Assert.True(marginal[0] > 0);
        Assert.Equal([0.0], scores);
    }
}
