using FedSim.Composition;
using FedSim.Scenario;
using FedSim.Strategies;
using FedSim.Strategies.Aggregators;
using FedSim.Strategies.Algorithms;
using FedSim.Strategies.ClientObjectives;
using FedSim.Training;

namespace FedSim.Tests.Strategies;

/// <summary>SCAFFOLD's control variates, FedNova's normalisation and FedProx's modifier, by hand.</summary>
public sealed class ClientObjectiveTests
{
    [Fact]
    public void Scaffold_corrects_each_gradient_by_c_minus_c_i()
    {
        // Prepare: server c = (0.5, −1); device c_i = (0.25, 0).
        var objective = new ScaffoldObjective();
        var broadcast = new Dictionary<string, float[]> { [ScaffoldObjective.ServerControl] = [0.5f, -1f] };
        var state = DeviceWith([0.25f, 0f]);

        // Execute
        var withState = objective.DeviceInputs(broadcast, state, 2);
        var firstTime = objective.DeviceInputs(broadcast, null, 2);

        // Assert: c − c_i = (0.25, −1); a device that never trained has c_i = 0, so its correction is c.
        Assert.Equal([0.25f, -1f], withState[ControlVariateCorrection.DeviceVector]);
        Assert.Equal([0.5f, -1f], firstTime[ControlVariateCorrection.DeviceVector]);
    }

    [Fact]
    public void Scaffold_device_control_variate_follows_option_II()
    {
        // Prepare: Karimireddy et al. 2020, Algorithm 1, option II: c_i⁺ = c_i − c + (x − y_i)/(K·η_l).
        // c = (0.5, −1), c_i = (0.25, 0), Δ = y_i − x = (−0.4, 0.2), K = 4 steps, η_l = 0.1 → K·η_l = 0.4:
        //   (x − y_i)/(K·η_l) = (0.4, −0.2)/0.4 = (1, −0.5)
        //   c_i⁺ = (0.25 − 0.5 + 1, 0 + 1 − 0.5) = (0.75, 0.5);  Δc_i = c_i⁺ − c_i = (0.5, 0.5)
        var objective = new ScaffoldObjective();
        var broadcast = new Dictionary<string, float[]> { [ScaffoldObjective.ServerControl] = [0.5f, -1f] };

        // Execute
        var outputs = objective.AfterTraining(broadcast, DeviceWith([0.25f, 0f]), new LocalTrainingOutcome([-0.4f, 0.2f], 4, 0.1f), round: 7);

        // Assert
        Assert.Equal(0.75f, outputs.NextState!.Vectors[ScaffoldObjective.DeviceControl][0], 6);
        Assert.Equal(0.5f, outputs.NextState.Vectors[ScaffoldObjective.DeviceControl][1], 6);
        Assert.Equal(7, outputs.NextState.Round);
        Assert.Equal(0.5f, outputs.Extras[ScaffoldObjective.ControlDelta][0], 6);
        Assert.Equal(0.5f, outputs.Extras[ScaffoldObjective.ControlDelta][1], 6);
    }

    [Fact]
    public void Scaffold_device_without_local_steps_keeps_its_state()
    {
        var broadcast = new Dictionary<string, float[]> { [ScaffoldObjective.ServerControl] = [0.5f] };

        var outputs = new ScaffoldObjective().AfterTraining(broadcast, DeviceWith([0.25f]), new LocalTrainingOutcome([0f], 0, 0.1f), round: 3);

        Assert.Null(outputs.NextState);
        Assert.Empty(outputs.Extras);
    }

    [Fact]
    public void Scaffold_server_control_moves_by_the_sum_of_used_deltas_over_all_devices()
    {
        // Prepare: c ← c + (|S|/N)·(1/|S|)·Σ Δc_i = c + (1/N)·Σ Δc_i (Algorithm 1, line 17) with N = 4 registered
        // devices and two used updates: Δc = (0.5, 0.5) and (1.5, −0.5) → Σ = (2, 0) → c = (1, 1) + (0.5, 0).
        var state = new ServerState();
        state.Vectors[ScaffoldObjective.ServerControl] = [1f, 1f];
        DeviceResult[] used =
        [
            new(0, [0f, 0f], 1, 4, new Dictionary<string, float[]> { [ScaffoldObjective.ControlDelta] = [0.5f, 0.5f] }),
            new(1, [0f, 0f], 1, 4, new Dictionary<string, float[]> { [ScaffoldObjective.ControlDelta] = [1.5f, -0.5f] }),
        ];

        // Execute
        new ScaffoldObjective().UpdateServerState(state, used, FedAvgTests.Context(population: 4));

        // Assert
        Assert.Equal([1.5f, 1f], state.Vectors[ScaffoldObjective.ServerControl]);
    }

    [Fact]
    public void Scaffold_server_update_without_a_control_delta_is_an_error()
    {
        DeviceResult[] used = [new(5, [0f], 1, 4)];

        var error = Assert.Throws<InvalidOperationException>(
            () => new ScaffoldObjective().UpdateServerState(new ServerState(), used, FedAvgTests.Context()));

        Assert.Contains("device 5", error.Message);
    }

    [Fact]
    public void FedNova_local_work_is_the_step_count_for_sgd()
        => Assert.Equal(7.0, NormalizedObjective.LocalWork(7, 0));

    [Fact]
    public void FedNova_local_work_with_momentum_sums_the_weight_of_every_gradient()
    {
        // Heavy-ball momentum u ← ρ·u + g, x ← x − η·u over τ steps applies gradient g_s with total weight
        // (1 − ρ^(τ−s))/(1 − ρ). For τ = 3, ρ = 0.5: (1 − 0.125)/0.5 + (1 − 0.25)/0.5 + (1 − 0.5)/0.5
        // = 1.75 + 1.5 + 1 = 4.25, which Wang et al. 2020 (Section 4) write as [τ − ρ(1 − ρ^τ)/(1 − ρ)]/(1 − ρ).
        Assert.Equal(4.25, NormalizedObjective.LocalWork(3, 0.5), 12);
    }

    [Fact]
    public void FedNova_divides_each_update_by_its_local_work_and_scales_by_tau_effective()
    {
        // Prepare: client A took τ = 2 steps on 1 example's weight, Δ = (2, 4); client B took τ = 4 on 3, Δ = (8, 0).
        //   normalised: A (2, 4)/2 = (1, 2);  B (8, 0)/4 = (2, 0)
        //   p = (1/4, 3/4);  τ_eff = 1/4·2 + 3/4·4 = 3.5
        //   weighted mean of normalised: (1·(1, 2) + 3·(2, 0))/4 = (1.75, 0.5);  × τ_eff = (6.125, 1.75)
        // (FedAvg would give (1·(2, 4) + 3·(8, 0))/4 = (6.5, 1): B's longer local run pulls harder.)
        DeviceResult[] results = [new(0, [2f, 4f], 1, Steps: 2), new(1, [8f, 0f], 3, Steps: 4)];

        // Execute
        var (normalized, scale) = new NormalizedObjective(localMomentum: 0).Normalize(results);
        var mean = new MeanAggregator().Aggregate(FedAvgTests.Input([.. normalized])).Update!;

        // Assert
        Assert.Equal(3.5, scale, 12);
        Assert.Equal([1f, 2f], normalized[0].Delta);
        Assert.Equal([2f, 0f], normalized[1].Delta);
        Assert.Equal(6.125, mean[0] * scale, 12);
        Assert.Equal(1.75, mean[1] * scale, 12);
        Assert.Equal([2f, 4f], results[0].Delta); // inputs untouched
    }

    [Fact]
    public void FedNova_drops_results_without_local_steps()
    {
        DeviceResult[] results = [new(0, [2f], 1, Steps: 0), new(1, [4f], 1, Steps: 2)];

        var (normalized, scale) = new NormalizedObjective(0).Normalize(results);

        Assert.Equal(1L, Assert.Single(normalized).DeviceId);
        Assert.Equal(2.0, scale);
    }

    [Fact]
    public void FedProx_trains_with_its_proximal_term()
    {
        // Prepare / Execute
        var objective = new FedProxOptions { Mu = 0.1 }.CreateObjective(ScenarioComposition.Training(new ScenarioSpec()));

        // Assert: one modifier carrying μ, and plans with different μ never share a batched cohort.
        var term = Assert.IsType<ProximalTerm>(Assert.Single(objective.Modifiers));
        Assert.Equal(0.1f, term.Mu);
        var plan = new TrainingPlan("sgd", 0.1f, 0f, 10, 1);
        Assert.Equal(plan.With(new ProximalObjective(0.1).Modifiers), plan.With(objective.Modifiers));
        Assert.NotEqual(plan.With(new ProximalObjective(0.2).Modifiers), plan.With(objective.Modifiers));
        Assert.False(objective.UsesDeviceState);
    }

    private static DeviceState DeviceWith(float[] ci)
    {
        var state = new DeviceState { Round = 1 };
        state.Vectors[ScaffoldObjective.DeviceControl] = ci;
        return state;
    }
}
