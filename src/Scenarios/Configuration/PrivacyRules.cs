using FedSim.Scenario;
using FedSim.Privacy;
using FedSim.Rounds;
using static FedSim.Scenarios.Configuration.ScenarioRules;
using FedSim.Composition;
using FedSim.Privacy.Accounting;

namespace FedSim.Scenarios.Configuration;

/// <summary>
/// The rules that keep a privacy claim true: a combination whose accounting or protocol would not hold is refused
/// with the reason, never run and mis-reported. Part of <see cref="ScenarioRules.CrossField"/>.
/// </summary>
internal static class PrivacyRules
{
    public static IEnumerable<Finding> Check(ScenarioSpec spec, string baseDirectory, Func<string, bool> isValid)
    {
        var privacy = spec.Privacy;
        var h = spec.Heterogeneity;
        bool poisson = spec.Training.Sampling is PoissonSamplingOptions;

        if (poisson && isValid("heterogeneity.over_selection") && h.OverSelection > 0)
            yield return new("heterogeneity.over_selection",
                "heterogeneity.over_selection keeps the first devices_per_round devices to finish, a fixed target that Poisson sampling " +
                "(training.sampling.kind: poisson) does not have; set over_selection to 0, or use sampling kind fixed");

        if (!isValid("privacy") || !isValid("training.sampling") || !isValid("strategy")) yield break;

        if (privacy.Central is { } central)
            foreach (var f in Central(spec, central, baseDirectory, isValid)) yield return f;
        if (privacy.SecureAggregation is { } secure)
            foreach (var f in SecureAggregation(spec, secure, isValid)) yield return f;
        if (privacy.EpsilonBudget > 0 && privacy.Central is null && privacy.Local is null && isValid("privacy.epsilon_budget"))
            yield return new("privacy.epsilon_budget",
                "privacy.epsilon_budget is set, but no mechanism spends ε: add privacy.central (DP-FedAvg) or privacy.local (DP-SGD), or remove the budget");
        if (privacy.SecureNoise && privacy.Central is null && privacy.Local is null && isValid("privacy.secure_noise"))
            yield return new("privacy.secure_noise",
                "privacy.secure_noise draws DP noise from the operating system's cryptographic generator, but no mechanism adds noise: " +
                "add privacy.central (DP-FedAvg) or privacy.local (DP-SGD), or remove secure_noise");
    }

    private static IEnumerable<Finding> Central(ScenarioSpec spec, CentralDpSpec central, string baseDirectory, Func<string, bool> isValid)
    {
        var h = spec.Heterogeneity;
        if (spec.Training.Sampling is not PoissonSamplingOptions)
        {
            yield return new("privacy.central",
                "privacy.central (DP-FedAvg) is accounted as the Poisson-subsampled Gaussian mechanism, which assumes every device joins a round " +
                "independently with probability q; training.sampling.kind is 'fixed' (exactly devices_per_round devices), for which that bound " +
                "does not hold. Set training.sampling: {kind: poisson, rate: Q} (e.g. Q = devices_per_round / devices)");
            yield break;
        }
        if (isValid("heterogeneity.trace") && h.Trace is { } trace && TraceHasWindows(trace, baseDirectory))
            yield return new("heterogeneity.trace",
                "heterogeneity.trace has availability windows: whether a device can be drawn then depends on the time of day, not on an independent " +
                "draw, so the Poisson accountant of privacy.central would not hold; remove the availability column (speeds alone are fine) or privacy.central");

        var aggregator = spec.Strategy.Aggregator;
        if (aggregator.NeedsIndividualUpdates)
            yield return new("strategy.aggregator.kind",
                $"privacy.central (DP-FedAvg) adds noise calibrated to a sum of clipped updates; aggregator '{aggregator.Kind}' combines updates " +
                "in another way whose sensitivity that noise does not cover; use strategy.aggregator.kind: mean");
        if (spec.Strategy.CreateObjective(ScenarioComposition.Training(spec)).ServerReadsIndividualResults)
            yield return new("strategy.kind",
                $"strategy '{spec.Strategy.Kind}' has the server read each client's result on its own (unclipped and without noise), which " +
                "DP-FedAvg's guarantee does not cover; use fedavg, fedavgm, fedprox, fedadagrad, fedadam or fedyogi with privacy.central");

        if (!isValid("privacy.central") || !isValid("training.sampling.rate") || !isValid("heterogeneity.availability") || !isValid("heterogeneity.dropout"))
            yield break;
        var accounting = ScenarioComposition.CentralDpAccounting(spec)!;
        if (central.Clipping is AdaptiveClippingOptions adaptive && isValid("privacy.central.clipping"))
        {
            string? problem = null;
            try { adaptive.UpdateNoiseMultiplier(central.NoiseMultiplier, accounting.ExpectedParticipants); }
            catch (PrivacyParameterException e) { problem = e.Message; }
            if (problem is not null) yield return new("privacy.central.clipping.count_noise_std", $"privacy.central.clipping: {problem}");
        }
        double budget = spec.Privacy.EpsilonBudget;
        if (budget > 0 && isValid("privacy.epsilon_budget") && isValid("privacy.delta"))
        {
            double first = accounting.EpsilonAfter(1);
            if (first > budget)
                yield return new("privacy.epsilon_budget",
                    $"privacy.epsilon_budget {FieldRule.Format(budget)} is spent before the first round ends: one round at q = {FieldRule.Format(accounting.SamplingRate)} " +
                    $"and z = {FieldRule.Format(central.NoiseMultiplier)} already costs ε = {first:0.###} at δ = {FieldRule.Format(spec.Privacy.Delta)}; raise the budget or the noise multiplier");
        }
    }

    private static IEnumerable<Finding> SecureAggregation(ScenarioSpec spec, SecureAggregationSpec secure, Func<string, bool> isValid)
    {
        var aggregator = spec.Strategy.Aggregator;
        if (aggregator.NeedsIndividualUpdates)
            yield return new("strategy.aggregator.kind",
                $"privacy.secure_aggregation hides individual updates from the coordinator, which then learns only their sum; aggregator " +
                $"'{aggregator.Kind}' needs the individual updates; use strategy.aggregator.kind: mean");
        if (spec.Strategy.CreateObjective(ScenarioComposition.Training(spec)).ServerReadsIndividualResults)
            yield return new("strategy.kind",
                $"strategy '{spec.Strategy.Kind}' has the server read each client's result on its own, which secure aggregation hides; " +
                "use fedavg, fedavgm, fedprox, fedadagrad, fedadam or fedyogi");
        if (spec.Byzantine is { Colludes: true } byzantine && isValid("byzantine"))
            yield return new("byzantine.kind",
                $"byzantine.kind '{byzantine.Kind}' colludes: the coalition grain crafts the members' updates together and submits them to the " +
                "coordinator in the clear, which secure aggregation forbids; use an attack each device runs alone (sign-flip, gaussian, " +
                "scaling, label-flip, backdoor) or remove privacy.secure_aggregation");

        if (!isValid("training.devices_per_round") || !isValid("devices") || !isValid("privacy.secure_aggregation")) yield break;
        int cohort = spec.Training.ExpectedCohort(spec.Devices);
        if (cohort < 3)
            yield return new(spec.Training.Sampling is PoissonSamplingOptions ? "training.sampling.rate" : "training.devices_per_round",
                $"secure aggregation over an expected cohort of {cohort} device(s) hides nothing (each learns the others' sum); " +
                "sample at least 3 devices per round");
        if (secure.Graph == SecureAggregationGraphs.Sparse && secure.Neighbours % 2 != 0)
            yield return new("privacy.secure_aggregation.neighbours",
                $"privacy.secure_aggregation.neighbours is {secure.Neighbours}; the SecAgg+ graph needs an even k (or 0 for 2·ceil(log2 cohort))");
        if (secure.Graph == SecureAggregationGraphs.Complete && secure.Neighbours != 0)
            yield return new("privacy.secure_aggregation.neighbours",
                "privacy.secure_aggregation.neighbours is for graph: sparse; with the complete graph every device is every other's neighbour. Set graph: sparse or remove neighbours");
        if (secure.Threshold == 1)
            yield return new("privacy.secure_aggregation.threshold",
                "privacy.secure_aggregation.threshold 1 would let any single share rebuild a secret; use at least 2 (or 0 for a majority)");
        else if (secure.Threshold > cohort && spec.Training.Sampling is FixedSizeSamplingOptions)
            yield return new("privacy.secure_aggregation.threshold",
                $"privacy.secure_aggregation.threshold {secure.Threshold} exceeds the {cohort} devices of a round: no secret could ever be rebuilt; use at most {cohort} (or 0 for a majority)");
    }

    private static bool TraceHasWindows(string trace, string baseDirectory)
    {
        string resolved = Path.IsPathRooted(trace) ? trace : Path.GetFullPath(Path.Combine(baseDirectory, trace));
        try { return File.Exists(resolved) && DeviceTrace.Load(resolved).HasWindows; }
        catch (TraceException) { return false; } // its own error is reported when the run reads it
    }
}
