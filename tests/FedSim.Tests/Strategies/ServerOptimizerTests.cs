using FedSim.Strategies;
using FedSim.Strategies.ServerOptimizers;

namespace FedSim.Tests.Strategies;

/// <summary>
/// The server optimizers, one or two steps by hand. Adaptive ones follow Reddi et al. 2021 ("Adaptive Federated
/// Optimization", Algorithm 2) with its conventions: m₋₁ = 0, v₋₁ = τ² (the paper only asks v₋₁ ≥ τ²), and no
/// bias correction; x ← x + η·m/(√v + τ) with the mean client delta Δ as the pseudo-gradient.
/// </summary>
public sealed class ServerOptimizerTests
{
    private const double Tolerance = 1e-6; // moments are kept as float server state

    [Fact]
    public void Server_sgd_adds_eta_times_the_update()
    {
        var next = new ServerSgd(0.5).Step([1f, -1f], [2.0, 4.0], new ServerState());

        Assert.Equal([2f, 1f], next); // 1 + 0.5·2, −1 + 0.5·4
    }

    [Fact]
    public void Server_sgd_rejects_a_learning_rate_that_is_not_positive()
        => Assert.Throws<ArgumentOutOfRangeException>(() => new ServerSgd(0));

    [Fact]
    public void Server_momentum_accumulates_velocity_across_rounds()
    {
        // Prepare: Hsu et al. 2019: v ← β·v + Δ, x ← x + η·v with β = 0.9, η = 1, Δ = 1 twice.
        var optimizer = new ServerMomentum(learningRate: 1, momentum: 0.9);
        var state = new ServerState();

        // Execute
        var x1 = optimizer.Step([0f], [1.0], state);
        var x2 = optimizer.Step(x1, [1.0], state);

        // Assert: round 1 v = 1, x = 1; round 2 v = 0.9·1 + 1 = 1.9, x = 1 + 1.9 = 2.9.
        Assert.Equal(1f, x1[0]);
        Assert.Equal(2.9, x2[0], Tolerance);
        Assert.Equal(1.9f, state.Vectors[ServerMomentum.Velocity][0], 6);
    }

    [Fact]
    public void FedAdagrad_follows_Reddi_algorithm_2()
    {
        // Prepare: η = 0.1, β₁ = 0.9, τ = 0.1 (v₋₁ = τ² = 0.01), x = 1, Δ = 0.5 then −0.2.
        var optimizer = new ServerAdagrad(learningRate: 0.1, beta1: 0.9, tau: 0.1);
        var state = new ServerState();

        // Execute
        var x1 = optimizer.Step([1f], [0.5], state);
        var x2 = optimizer.Step(x1, [-0.2], state);

        // Assert
        // step 1: m = 0.1·0.5 = 0.05;               v = 0.01 + 0.25 = 0.26;  x = 1 + 0.1·0.05/(√0.26 + 0.1)
        // step 2: m = 0.9·0.05 + 0.1·(−0.2) = 0.025; v = 0.26 + 0.04 = 0.30;  x += 0.1·0.025/(√0.30 + 0.1)
        double expected1 = 1 + 0.1 * 0.05 / (Math.Sqrt(0.26) + 0.1);
        Assert.Equal(expected1, x1[0], Tolerance);
        Assert.Equal(expected1 + 0.1 * 0.025 / (Math.Sqrt(0.30) + 0.1), x2[0], Tolerance);
        Assert.Equal(0.025, state.Vectors[AdaptiveServerOptimizer.FirstMoment][0], Tolerance);
        Assert.Equal(0.30, state.Vectors[AdaptiveServerOptimizer.SecondMoment][0], Tolerance);
    }

    [Fact]
    public void FedAdam_follows_Reddi_algorithm_2_without_bias_correction()
    {
        // Prepare: as above with β₂ = 0.99.
        var optimizer = new ServerAdam(learningRate: 0.1, beta1: 0.9, beta2: 0.99, tau: 0.1);
        var state = new ServerState();

        // Execute
        var x1 = optimizer.Step([1f], [0.5], state);
        var x2 = optimizer.Step(x1, [-0.2], state);

        // Assert
        // step 1: v = 0.99·0.01 + 0.01·0.25 = 0.0124;      x = 1 + 0.1·0.05/(√0.0124 + 0.1) ≈ 1.0236568
        // step 2: v = 0.99·0.0124 + 0.01·0.04 = 0.012676;  x += 0.1·0.025/(√0.012676 + 0.1) ≈ 1.0354167
        // (With Adam's bias correction, m̂ = 0.05/0.1 = 0.5 and v̂ = 0.0124/0.01 = 1.24, step 1 would move x by
        //  0.1·0.5/(√1.24 + 0.1) ≈ 0.041 instead of ≈ 0.024.)
        double expected1 = 1 + 0.1 * 0.05 / (Math.Sqrt(0.0124) + 0.1);
        Assert.Equal(expected1, x1[0], Tolerance);
        Assert.Equal(expected1 + 0.1 * 0.025 / (Math.Sqrt(0.012676) + 0.1), x2[0], Tolerance);
        Assert.Equal(0.012676, state.Vectors[AdaptiveServerOptimizer.SecondMoment][0], Tolerance);
    }

    [Fact]
    public void FedYogi_moves_v_by_an_additive_step_whose_sign_follows_v_minus_delta_squared()
    {
        // Prepare: β₂ = 0.99; Δ = 0.5 (Δ² = 0.25 > v) then Δ = 0.05 (Δ² = 0.0025 < v).
        var optimizer = new ServerYogi(learningRate: 0.1, beta1: 0.9, beta2: 0.99, tau: 0.1);
        var state = new ServerState();

        // Execute
        var x1 = optimizer.Step([1f], [0.5], state);
        var v1 = state.Vectors[AdaptiveServerOptimizer.SecondMoment][0];
        var x2 = optimizer.Step(x1, [0.05], state);
        var v2 = state.Vectors[AdaptiveServerOptimizer.SecondMoment][0];

        // Assert
        // step 1: v = 0.01 − 0.01·0.25·sign(0.01 − 0.25) = 0.0125;     m = 0.05;  x = 1 + 0.1·0.05/(√0.0125 + 0.1)
        // step 2: v = 0.0125 − 0.01·0.0025·sign(0.0125 − 0.0025) = 0.012475 (Adam would give 0.012301)
        //         m = 0.9·0.05 + 0.1·0.05 = 0.05;  x += 0.1·0.05/(√0.012475 + 0.1)
        double expected1 = 1 + 0.1 * 0.05 / (Math.Sqrt(0.0125) + 0.1);
        Assert.Equal(0.0125, v1, Tolerance);
        Assert.Equal(0.012475, v2, Tolerance);
        Assert.Equal(expected1, x1[0], Tolerance);
        Assert.Equal(expected1 + 0.1 * 0.05 / (Math.Sqrt(0.012475) + 0.1), x2[0], Tolerance);
    }

    [Fact]
    public void Adaptive_second_moment_starts_at_tau_squared()
    {
        // A zero update leaves v at its initial value: Adagrad adds Δ² = 0 to v₋₁ = τ² = 0.25.
        var state = new ServerState();

        new ServerAdagrad(learningRate: 1, beta1: 0.9, tau: 0.5).Step([0f, 0f], [0.0, 0.0], state);

        Assert.Equal([0.25f, 0.25f], state.Vectors[AdaptiveServerOptimizer.SecondMoment]);
    }

    [Fact]
    public void Server_optimizers_do_not_modify_the_global_weights_or_the_update()
    {
        IServerOptimizer[] optimizers =
        [
            new ServerSgd(1), new ServerMomentum(1, 0.9), new ServerAdagrad(0.1, 0.9, 0.1),
            new ServerAdam(0.1, 0.9, 0.99, 0.1), new ServerYogi(0.1, 0.9, 0.99, 0.1),
        ];
        foreach (var optimizer in optimizers)
        {
            float[] global = [1f, 2f];
            double[] update = [0.5, -0.5];

            optimizer.Step(global, update, new ServerState());

            Assert.Equal([1f, 2f], global);
            Assert.Equal([0.5, -0.5], update);
        }
    }
}
