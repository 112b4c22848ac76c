using FedSim.Attacks.Poisoning;
using FedSim.Strategies;
using FedSim.Strategies.Algorithms;

namespace FedSim.Rounds;

/// <summary>
/// The server's own update on its root dataset, for aggregators that compare client updates against it
/// (FLTrust). <paramref name="train"/> trains the global weights on the root data the way a client would.
/// </summary>
public sealed class ServerRootUpdateStage(Func<float[], Task<float[]>> train) : IRoundStage
{
    public async Task RunAsync(RoundResults round, CancellationToken cancellationToken)
        => round.ServerUpdate = await train(round.GlobalWeights);
}

/// <summary>
/// Normalisation by the client objective (FedNova), then the aggregator, off the grain's scheduler: a Krum or
/// Bulyan round over large models takes seconds and must not hold up status queries.
/// </summary>
public sealed class AggregationStage(FederatedAlgorithm algorithm) : IRoundStage
{
    public async Task RunAsync(RoundResults round, CancellationToken cancellationToken)
    {
        var (results, outcome) = await Task.Run(() =>
        {
            var (normalized, scale) = algorithm.Objective.Normalize(round.Results);
            var aggregated = algorithm.Aggregator.Aggregate(new AggregationInput(round.Context, normalized, round.Failures, round.ServerUpdate));
            if (aggregated.Update is { } u && scale != 1.0)
                for (int i = 0; i < u.Length; i++) u[i] *= scale;
            return (normalized, aggregated);
        }, cancellationToken);
        round.Update = outcome.Update;
        round.Used = outcome.Used;
        foreach (var (name, value) in outcome.Metrics) round.Metrics.Add(new RoundMetric(name, value));
        round.Metrics.Add(new RoundMetric("used", outcome.Used.Count));
    }
}

/// <summary>
/// FedAvg's mean when the compute pools summed the round's updates (the coordinator's <c>PooledRound</c>): Σ wₖΔₖ ÷ Σ wₖ, the same
/// number <see cref="Strategies.Aggregators.MeanAggregator"/> computes from the individual updates up to the rounding of
/// its running double sum (README, "Sums on the compute pool").
/// </summary>
public sealed class PooledMeanStage : IRoundStage
{
    public Task RunAsync(RoundResults round, CancellationToken cancellationToken)
    {
        if (round.PooledTotal is { Weight: > 0 } total)
        {
            var update = total.Sum;
            for (int i = 0; i < update.Length; i++) update[i] /= total.Weight;
            round.Update = update;
            round.Used = total.Contributors;
        }
        round.Metrics.Add(new RoundMetric("used", round.Used.Count));
        return Task.CompletedTask;
    }
}

/// <summary>The server optimizer applies the update; then the objective updates its server state (SCAFFOLD's c).</summary>
public sealed class ServerStepStage(FederatedAlgorithm algorithm) : IRoundStage
{
    public async Task RunAsync(RoundResults round, CancellationToken cancellationToken)
    {
        round.NextWeights = await Task.Run(() =>
        {
            if (round.Update is null) return round.GlobalWeights; // nothing usable arrived: the model stays
            var next = algorithm.ServerOptimizer.Step(round.GlobalWeights, round.Update, round.Context.State);
            var used = round.Used.ToHashSet();
            algorithm.Objective.UpdateServerState(round.Context.State, round.Results.Where(r => used.Contains(r.DeviceId)).ToList(), round.Context);
            return next;
        }, cancellationToken);
    }
}

/// <summary>How many malicious updates reached the aggregator and how many it used (only with byzantine clients).</summary>
public sealed class ByzantineMetricsStage(ByzantineRoster roster) : IRoundStage
{
    public Task RunAsync(RoundResults round, CancellationToken cancellationToken)
    {
        var delivered = round.SecureSum?.Contributors ?? round.Results.Select(r => r.DeviceId).ToList();
        round.Metrics.Add(new RoundMetric("byzantine_participants", delivered.Count(roster.IsMalicious)));
        round.Metrics.Add(new RoundMetric("byzantine_used", round.Used.Count(roster.IsMalicious)));
        return Task.CompletedTask;
    }
}

/// <summary>
/// Evaluates the next global model on the held-out test data every <paramref name="every"/> rounds and at the last (planned,
/// or ended early). For a language model (<paramref name="perplexity"/>) it adds test_perplexity = exp(per-token test loss).
/// </summary>
public sealed class EvaluationStage(Func<float[], Task<ModelScore>> evaluate, int every, int lastRound, bool perplexity = false) : IRoundStage
{
    public const string PerplexityMetric = "test_perplexity";

    public async Task RunAsync(RoundResults round, CancellationToken cancellationToken)
    {
        if (IsDue(round, every, lastRound)) round.Evaluation = await evaluate(round.NextWeights!);
        if (perplexity) round.Metrics.Add(new RoundMetric(PerplexityMetric, round.Evaluation is { } score ? Math.Exp(score.Loss) : null));
    }

    /// <summary>Whether <paramref name="round"/> is an evaluation round: every <paramref name="every"/>th, the last planned, and one that ends the run early.</summary>
    public static bool IsDue(RoundResults round, int every, int lastRound)
        => round.Context.Round % every == 0 || round.Context.Round == lastRound || round.FinishReason is not null;
}

/// <summary>
/// Backdoor accuracy (attack success): the share of triggered test inputs whose true label is not the target that
/// the next model classifies as the target. Measured on evaluation rounds; an empty cell otherwise.
/// </summary>
public sealed class BackdoorStage(Func<float[], Task<ModelScore>> evaluateTriggered, int every, int lastRound) : IRoundStage
{
    public const string Metric = "backdoor_accuracy";

    public async Task RunAsync(RoundResults round, CancellationToken cancellationToken)
    {
        bool due = EvaluationStage.IsDue(round, every, lastRound);
        round.Metrics.Add(new RoundMetric(Metric, due ? (await evaluateTriggered(round.NextWeights!)).Accuracy : null));
    }
}

/// <summary>
/// Stops a run that has learned nothing: when no update was used for <paramref name="limit"/> rounds in a row
/// (every device failed, every update was rejected), the run ends with an error saying why instead of reporting a
/// model that never moved. The count is server state, so it survives a resume.
/// </summary>
public sealed class ProgressGuardStage(int limit) : IRoundStage
{
    public const string Counter = "guard.rounds_without_updates";

    public Task RunAsync(RoundResults round, CancellationToken cancellationToken)
    {
        var state = round.Context.State;
        double streak = round.Used.Count == 0 ? state.Scalar(Counter) + 1 : 0;
        state.Scalars[Counter] = streak;
        if (limit > 0 && streak >= limit)
        {
            var reasons = round.Failures.GroupBy(f => Simplify(f.Reason)).OrderByDescending(g => g.Count())
                .Select(g => $"{g.Count()} x {g.Key}").Take(3);
            string why = round.Failures.Count == 0 ? "no device delivered an update" : string.Join("; ", reasons);
            round.StopReason = $"no update was accepted for {limit} rounds in a row (round {round.Context.Round}: {why}); " +
                               "the model cannot learn: check the data (see failures.csv) and training.learning_rate";
        }
        return Task.CompletedTask;
    }

    // "update has a non-finite value at index 12" and "... at index 40" are the same reason.
    private static string Simplify(string reason)
    {
        int at = reason.IndexOf(" at index ", StringComparison.Ordinal);
        return at < 0 ? reason : reason[..at] + reason[(reason.IndexOf(';', at) is var semi and >= 0 ? semi : reason.Length)..];
    }
}
