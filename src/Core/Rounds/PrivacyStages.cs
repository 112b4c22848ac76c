using System.Globalization;
using FedSim.Determinism;
using FedSim.Privacy;
using FedSim.Privacy.Accounting;
using FedSim.Privacy.Mechanisms;

namespace FedSim.Rounds;

/// <summary>Server-state entries the privacy stages own (checkpointed with the rest of the server state).</summary>
public static class PrivacyState
{
    /// <summary>DP-FedAvg's clip norm S for the next round (changes only under adaptive clipping).</summary>
    public const string ClipNorm = "privacy.clip_norm";

    /// <summary>Rounds composed by the central accountant so far.</summary>
    public const string CentralRounds = "privacy.central_rounds";

    /// <summary>The largest ε any device has reported for itself under local DP.</summary>
    public const string LocalEpsilon = "privacy.local_epsilon";

    /// <summary>The clip norm of the round about to run.</summary>
    public static double ClipNormOf(Strategies.ServerState state, ClippingOptions clipping) => state.Scalar(ClipNorm, clipping.InitialClipNorm);
}

/// <summary>
/// DP-FedAvg's aggregation (McMahan, Ramage, Talwar and Zhang 2018, Algorithm 1 with the fixed denominator
/// estimator): every update clipped to L2 norm S, summed with equal weight (user-level privacy: one device, one vote),
/// Gaussian noise N(0, σ²) with σ = z_Δ·S added to every coordinate of the sum, divided by the expected participants m
/// (a data-independent denominator, so one device changes the result by at most S/m). Under secure aggregation the
/// devices clipped before masking and the coordinator noises the revealed sum. Adaptive clipping (Andrew et al. 2021)
/// then moves S toward the target quantile with the noised count of unclipped updates. Both noises come from the round's
/// seed, or with <paramref name="secureNoise"/> (<c>privacy.secure_noise</c>) from the OS's cryptographic generator.
/// </summary>
public sealed class CentralDpAggregationStage(CentralDpSpec central, CentralDpAccounting accounting, int parameters, bool secureAggregation = false,
    bool secureNoise = false)
    : IRoundStage
{
    public async Task RunAsync(RoundResults round, CancellationToken cancellationToken)
    {
        if (secureAggregation && round.SecureSum is null)
        {
            // The protocol failed (or had nobody to aggregate): nothing is released and the model stays.
            round.Metrics.Add(new RoundMetric("used", 0));
            round.Metrics.Add(new RoundMetric("clip_norm", PrivacyState.ClipNormOf(round.Context.State, central.Clipping)));
            if (central.Clipping.TracksUnclippedFraction) round.Metrics.Add(new RoundMetric("unclipped_fraction", null));
            return;
        }
        var state = round.Context.State;
        var clipping = central.Clipping;
        double clipNorm = PrivacyState.ClipNormOf(state, clipping);
        double m = accounting.ExpectedParticipants;
        double noiseMultiplier = clipping.UpdateNoiseMultiplier(central.NoiseMultiplier, m);

        var (update, beforeNoise, used, unclipped) = await Task.Run(() =>
        {
            var sum = new double[parameters];
            IReadOnlyList<long> contributors;
            int fitted = 0;
            if (round.SecureSum is { } secure)
            {
                // The devices clipped (and, under adaptive clipping, counted themselves) before masking.
                var summed = secure.Encoding.UpdateOf(secure.Sum);
                Array.Copy(summed, sum, parameters);
                fitted = (int)Math.Round(secure.Encoding.ExtraOf(secure.Sum));
                contributors = secure.Contributors;
            }
            else
            {
                foreach (var result in round.Results)
                {
                    var clipped = L2Clipping.Clip(result.Delta, clipNorm);
                    if (!clipped.WasClipped) fitted++;
                    for (int i = 0; i < parameters; i++) sum[i] += clipped.Values[i];
                }
                contributors = round.Results.Select(r => r.DeviceId).ToList();
            }
            var beforeNoise = sum.Select(v => v / m).ToArray();
            var noise = GaussianSource.For(secureNoise, Seeds.Derive(round.Context.ExperimentSeed, round.Context.Round, Seeds.None, SeedPurpose.Noise));
            GaussianNoise.AddTo(sum, GaussianNoise.StandardDeviation(noiseMultiplier, clipNorm), noise);
            for (int i = 0; i < parameters; i++) sum[i] /= m;
            return (sum, beforeNoise, contributors, fitted);
        }, cancellationToken);

        // Even an empty cohort releases noise: the mechanism runs every round, whoever was drawn.
        round.Update = update;
        round.UpdateBeforeNoise = beforeNoise;
        round.Used = used;
        round.Metrics.Add(new RoundMetric("used", used.Count));
        round.Metrics.Add(new RoundMetric("clip_norm", clipNorm));
        var countNoise = GaussianSource.For(secureNoise, Seeds.ClippingCountNoise(round.Context.ExperimentSeed, round.Context.Round));
        if (clipping.Adapt(clipNorm, m, unclipped, used.Count, countNoise) is { } next)
        {
            state.Scalars[PrivacyState.ClipNorm] = next.NextClipNorm;
            round.Metrics.Add(new RoundMetric("unclipped_fraction", next.NoisedUnclippedFraction));
        }
    }
}

/// <summary>
/// The weighted mean under secure aggregation without DP: the devices sent w·Δ and w (w = n / n_max), so the mean is
/// the revealed update sum divided by the revealed weight sum, which is FedAvg's Σ nΔ / Σ n.
/// </summary>
public sealed class SecureMeanStage : IRoundStage
{
    public Task RunAsync(RoundResults round, CancellationToken cancellationToken)
    {
        if (round.SecureSum is not { } secure || secure.Contributors.Count == 0)
        {
            round.Metrics.Add(new RoundMetric("used", 0));
            return Task.CompletedTask; // the protocol failed or nobody contributed: the model stays
        }
        double weights = secure.Encoding.ExtraOf(secure.Sum);
        var update = secure.Encoding.UpdateOf(secure.Sum);
        if (weights > 0)
            for (int i = 0; i < update.Length; i++) update[i] /= weights;
        round.Update = weights > 0 ? update : null;
        round.Used = weights > 0 ? secure.Contributors : [];
        round.Metrics.Add(new RoundMetric("used", round.Used.Count));
        return Task.CompletedTask;
    }
}

/// <summary>
/// The privacy spent so far, as the <c>epsilon</c> column of metrics.csv (at the scenario's δ), and the budget:
/// after a round, if the next one would take ε above the budget (<see cref="RdpAccountant.PeekEpsilon"/>), the run
/// finishes cleanly here. Central DP: one Poisson-subsampled Gaussian step per round at (q·a, z). Local DP: the
/// largest ε any device has reported for itself (<c>local_epsilon</c> as well when both run); with local DP alone the
/// run finishes when no device of a round could afford it (each device declines rounds beyond its own budget).
/// </summary>
public sealed class PrivacyAccountingStage(PrivacySpec privacy, CentralDpAccounting? central, int plannedRounds) : IRoundStage
{
    public const string Epsilon = "epsilon";
    public const string LocalEpsilon = "local_epsilon";

    /// <summary>How a device that cannot afford a round says so (its failure reason starts with this).</summary>
    public const string BudgetDeclined = "privacy budget spent";

    /// <summary>
    /// This round's ε of each mechanism, read from the metrics this stage added: central DP's is <c>epsilon</c> (local
    /// DP's then beside it as <c>local_epsilon</c>); local DP's alone is <c>epsilon</c>. Null for a mechanism that is off.
    /// </summary>
    public static (double? Central, double? Local) Epsilons(RoundResults round, bool central, bool local)
    {
        double? Metric(string name) => round.Metrics.LastOrDefault(m => m.Name == name)?.Value;
        return (central ? Metric(Epsilon) : null, !local ? null : Metric(central ? LocalEpsilon : Epsilon));
    }

    public Task RunAsync(RoundResults round, CancellationToken cancellationToken)
    {
        var state = round.Context.State;
        double budget = privacy.EpsilonBudget;
        double local = state.Scalar(PrivacyState.LocalEpsilon);
        if (privacy.Local is not null)
        {
            if (round.LocalEpsilons.Count > 0) local = Math.Max(local, round.LocalEpsilons.Max());
            state.Scalars[PrivacyState.LocalEpsilon] = local;
        }

        if (central is not null)
        {
            long rounds = (long)state.Scalar(PrivacyState.CentralRounds) + 1;
            state.Scalars[PrivacyState.CentralRounds] = rounds;
            var accountant = new RdpAccountant();
            accountant.AddSteps(central.SamplingRate, central.NoiseMultiplier, rounds);
            double spent = accountant.GetEpsilon(central.Delta).Epsilon;
            round.Metrics.Add(new RoundMetric(Epsilon, spent));
            if (privacy.Local is not null) round.Metrics.Add(new RoundMetric(LocalEpsilon, local));
            if (budget > 0 && round.Context.Round < plannedRounds)
            {
                double next = accountant.PeekEpsilon(central.SamplingRate, central.NoiseMultiplier, central.Delta).Epsilon;
                if (next > budget)
                    round.FinishReason = string.Create(CultureInfo.InvariantCulture,
                        $"{BudgetDeclined}: ε = {spent:0.####} at δ = {central.Delta:G4} after round {round.Context.Round}; round {round.Context.Round + 1} would reach ε = {next:0.####}, above the budget {budget:G6}");
            }
            return Task.CompletedTask;
        }

        if (privacy.Local is not null)
        {
            round.Metrics.Add(new RoundMetric(Epsilon, local));
            bool everyoneDeclined = round.Results.Count == 0 && round.SecureSum is not { Contributors.Count: > 0 } && round.PooledTotal is null
                && round.Failures.Any(f => f.Reason.StartsWith(BudgetDeclined, StringComparison.Ordinal));
            if (budget > 0 && everyoneDeclined && round.Context.Round < plannedRounds)
                round.FinishReason = string.Create(CultureInfo.InvariantCulture,
                    $"{BudgetDeclined}: no device drawn in round {round.Context.Round} could train within its budget ε = {budget:G6} at δ = {privacy.Delta:G4} (largest device ε so far {local:0.####})");
        }
        return Task.CompletedTask;
    }
}
