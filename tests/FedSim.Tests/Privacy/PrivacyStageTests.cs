using FedSim.Privacy;
using FedSim.Privacy.SecureAggregation;
using FedSim.Rounds;
using FedSim.Strategies;
using static FedSim.Tests.Privacy.PublishedVectors;

namespace FedSim.Tests.Privacy;

/// <summary>DP-FedAvg's aggregation, the secure mean and the accounting stage, on hand-built rounds.</summary>
public sealed class PrivacyStageTests
{
    private static RoundResults Round(int round, IReadOnlyList<DeviceResult> results, ServerState? state = null, ulong seed = 3)
        => new(new RoundContext(round, seed, 100, results.Count, round - 1, state ?? new ServerState()), new float[results.FirstOrDefault()?.Delta.Length ?? 4],
            results, []);

    private static CentralDpSpec Central(double z, double clip) => new() { NoiseMultiplier = z, Clipping = new FixedClippingOptions { ClipNorm = clip } };

    [Fact]
    public async Task Dp_fedavg_clips_every_update_sums_with_equal_weight_and_divides_by_the_expected_participants()
    {
        // Prepare: a long update (norm 5) and a short one (norm 0.5), very different example counts; a vanishing z.
        var results = new[] { new DeviceResult(1, [3f, 4f, 0f], 1000), new DeviceResult(2, [0f, 0f, 0.5f], 1) };
        var stage = new CentralDpAggregationStage(Central(1e-9, 1.0), new CentralDpAccounting(0.1, 1e-9, 4.0, 1e-5), 3);
        var round = Round(1, results);

        // Execute
        await stage.RunAsync(round, CancellationToken.None);

        // Assert: (clip(3,4,0) + (0,0,0.5)) / m = ((0.6, 0.8, 0) + (0, 0, 0.5)) / 4, example counts ignored.
        Assert.Equal([0.15, 0.2, 0.125], round.Update!.Select(v => Math.Round(v, 6)));
        Assert.Equal([1L, 2L], round.Used);
        Assert.Equal(1.0, round.Metrics.Single(m => m.Name == "clip_norm").Value);
    }

    [Fact]
    public async Task Dp_fedavg_noise_on_the_mean_has_standard_deviation_z_s_over_m()
    {
        // Prepare: zero updates, so the result is the noise alone: σ = z·S / m = 2 · 0.5 / 10 = 0.1.
        const int n = 20_000;
        var results = Enumerable.Range(0, 5).Select(d => new DeviceResult(d, new float[n], 1)).ToList();
        var stage = new CentralDpAggregationStage(Central(2.0, 0.5), new CentralDpAccounting(0.1, 2.0, 10.0, 1e-5), n);
        var round = Round(1, results);
        var again = Round(1, results);

        // Execute
        await stage.RunAsync(round, CancellationToken.None);
        await stage.RunAsync(again, CancellationToken.None);

        // Assert: sample sd within 3 % (its standard error is 0.5 %); the seeded noise repeats exactly.
        double mean = round.Update!.Average(), sd = Math.Sqrt(round.Update!.Sum(v => (v - mean) * (v - mean)) / (n - 1));
        Assert.InRange(sd, 0.097, 0.103);
        Assert.InRange(mean, -0.003, 0.003);
        Assert.Equal(round.Update, again.Update);
    }

    [Fact]
    public async Task Adaptive_clipping_moves_the_clip_norm_toward_the_target_quantile_and_keeps_it_in_server_state()
    {
        // Prepare: every update (norm 1) is longer than the initial S = 0.1, target quantile 0.5, no count noise worth the name.
        var clipping = new AdaptiveClippingOptions { InitialNorm = 0.1, TargetQuantile = 0.5, LearningRate = 0.2, CountNoiseStd = 1e-9 };
        var central = new CentralDpSpec { NoiseMultiplier = 1e-9, Clipping = clipping };
        var results = Enumerable.Range(0, 4).Select(d => new DeviceResult(d, [1f, 0f], 1)).ToList();
        var state = new ServerState();
        var stage = new CentralDpAggregationStage(central, new CentralDpAccounting(0.1, 1e-9, 4.0, 1e-5), 2);

        // Execute
        await stage.RunAsync(Round(1, results, state), CancellationToken.None);

        // Assert: b̃ = 0 → C ← 0.1·exp(−0.2·(0 − 0.5)) = 0.1·e^0.1 (Andrew et al. 2021, Algorithm 1).
        Assert.Equal(0.1 * Math.Exp(0.1), state.Scalars[PrivacyState.ClipNorm], 6);
    }

    [Fact]
    public async Task Under_secure_aggregation_dp_fedavg_noises_the_revealed_sum_and_reads_the_unclipped_count()
    {
        // Prepare: the protocol revealed the sum of 3 clipped updates and 2 unclipped bits (sent as bit·c).
        var clipping = new AdaptiveClippingOptions { InitialNorm = 2, CountNoiseStd = 1e-9 };
        var encoding = new SecAggEncoding(2, SecAggExtraCoordinate.UnclippedBit, 2);
        var round = Round(1, []);
        round.SecureSum = new SecureSum([3, 6, 2 * 2], [4, 5, 6], encoding);
        var stage = new CentralDpAggregationStage(new CentralDpSpec { NoiseMultiplier = 1e-9, Clipping = clipping }, new CentralDpAccounting(0.1, 1e-9, 3.0, 1e-5), 2);

        // Execute
        await stage.RunAsync(round, CancellationToken.None);

        // Assert
        Assert.Equal([1.0, 2.0], round.Update!.Select(v => Math.Round(v, 6)));
        Assert.Equal([4L, 5L, 6L], round.Used);
        Assert.Equal(0.5 + (2 - 1.5) / 3.0, round.Metrics.Single(m => m.Name == "unclipped_fraction").Value!.Value, 6);
    }

    [Fact]
    public async Task The_secure_mean_is_the_example_weighted_mean_read_from_the_weight_coordinate()
    {
        // Prepare: devices with weights 1 and 0.25 sent w·Δ and w·c (c = 4): Δ₁ = (1, 1), Δ₂ = (2, −2).
        var encoding = new SecAggEncoding(2, SecAggExtraCoordinate.Weight, 4);
        var one = encoding.Encode([1f, 1f], weight: 1);
        var two = encoding.Encode([2f, -2f], weight: 0.25);
        var round = Round(1, []);
        round.SecureSum = new SecureSum(one.Zip(two, (a, b) => (double)a + b).ToArray(), [1, 2], encoding);

        // Execute
        await new SecureMeanStage().RunAsync(round, CancellationToken.None);

        // Assert: (1·(1, 1) + 0.25·(2, −2)) / 1.25 = (1.2, 0.4), FedAvg's Σ nΔ / Σ n.
        Assert.Equal([1.2, 0.4], round.Update!.Select(v => Math.Round(v, 6)));
    }

    [Fact]
    public async Task Epsilon_column_composes_one_poisson_gaussian_step_per_round_as_opacus_does()
    {
        // Prepare: pytorch/opacus, opacus/tests/accountants_test.py (test_rdp_accountant): q = 0.04, z = 1.5,
        // 2250 steps, δ = 1e-5 → ε = 7.32911117143. Round 2250 of a run with that accounting.
        var accounting = new CentralDpAccounting(0.04, 1.5, 40, 1e-5);
        var state = new ServerState();
        state.Scalars[PrivacyState.CentralRounds] = 2249;
        var round = Round(2250, [], state);
        var privacy = new PrivacySpec { Delta = 1e-5, Central = Central(1.5, 1) };

        // Execute
        await new PrivacyAccountingStage(privacy, accounting, plannedRounds: 3000).RunAsync(round, CancellationToken.None);

        // Assert
        AssertRelative(7.32911117143, round.Metrics.Single(m => m.Name == PrivacyAccountingStage.Epsilon).Value!.Value);
        Assert.Equal(2250, state.Scalars[PrivacyState.CentralRounds]);
        Assert.Null(round.FinishReason);
    }

    [Fact]
    public async Task The_run_finishes_cleanly_after_the_last_round_the_budget_affords()
    {
        // Prepare: a budget between ε after 2249 and after 2250 steps of the Opacus vector above.
        var accounting = new CentralDpAccounting(0.04, 1.5, 40, 1e-5);
        double after2249 = accounting.EpsilonAfter(2249);
        var privacy = new PrivacySpec { Delta = 1e-5, EpsilonBudget = (after2249 + 7.32911117143) / 2, Central = Central(1.5, 1) };
        var state = new ServerState();
        state.Scalars[PrivacyState.CentralRounds] = 2248;
        var round = Round(2249, [], state);

        // Execute
        await new PrivacyAccountingStage(privacy, accounting, plannedRounds: 3000).RunAsync(round, CancellationToken.None);

        // Assert: round 2249 fits; round 2250 would not, so the run ends here, as a finish, not an error.
        Assert.True(after2249 <= privacy.EpsilonBudget);
        Assert.StartsWith(PrivacyAccountingStage.BudgetDeclined, round.FinishReason);
        Assert.Contains("round 2250 would reach ε = 7.3291", round.FinishReason);
        Assert.Null(round.StopReason);
    }

    [Fact]
    public async Task With_local_dp_alone_epsilon_is_the_largest_device_epsilon_so_far()
    {
        var state = new ServerState();
        var privacy = new PrivacySpec { Local = new LocalDpSpec() };
        var stage = new PrivacyAccountingStage(privacy, null, 10);
        var first = Round(1, [], state);
        first.LocalEpsilons = [0.5, 1.5];
        var second = Round(2, [], state);
        second.LocalEpsilons = [0.7];

        await stage.RunAsync(first, CancellationToken.None);
        await stage.RunAsync(second, CancellationToken.None);

        Assert.Equal(1.5, first.Metrics.Single(m => m.Name == "epsilon").Value);
        Assert.Equal(1.5, second.Metrics.Single(m => m.Name == "epsilon").Value);
    }
}
