using FedSim.Attacks.Auditing;
using FedSim.Privacy;
using FedSim.Privacy.SecureAggregation;
using FedSim.Rounds;
using FedSim.Scenario;
using FedSim.Strategies.Algorithms;
using FedSim.Training;

namespace FedSim.Composition;

/// <summary>
/// The one place that reads the scenario model to build components: each method turns the sections it needs into the
/// narrow facts or built parts a component takes. Components never see <see cref="ScenarioSpec"/> itself, so the
/// scenario can grow sections without touching them (the layering test keeps it so).
/// </summary>
public static class ScenarioComposition
{
    /// <summary>The training section as facts for client objectives.</summary>
    public static TrainingFacts Training(ScenarioSpec scenario)
    {
        var t = scenario.Training;
        return new TrainingFacts(t.Optimizer, t.LearningRate, t.Momentum, t.BatchSize, t.LocalEpochs, scenario.Compute.Precision);
    }

    /// <summary>What an attacker's options may check: the population, the strategy's client objective and the DP mechanisms on.</summary>
    public static AttackerFacts Attackers(ScenarioSpec scenario)
        => new(scenario.Devices, scenario.Strategy.Kind, scenario.Strategy.CreateObjective(Training(scenario)),
            scenario.Privacy.Central is not null, scenario.Privacy.Local is not null);

    /// <summary>The scenario's one-run auditor and the unit its canaries are (auto resolved by the DP mechanisms on); null without one.</summary>
    public static (OneRunAuditOptions Options, string Unit)? OneRunAudit(ScenarioSpec scenario)
        => scenario.Attacks.OfType<OneRunAuditOptions>().FirstOrDefault() is { } options
            ? (options, options.UnitFor(scenario.Privacy.Central is not null, scenario.Privacy.Local is not null))
            : null;

    /// <summary>The scenario's algorithm; <paramref name="assumedByzantine"/> is the aggregators' default f.</summary>
    public static FederatedAlgorithm Algorithm(ScenarioSpec scenario, int assumedByzantine)
    {
        var strategy = scenario.Strategy;
        return new FederatedAlgorithm(strategy.CreateObjective(Training(scenario)), strategy.Aggregator.Create(assumedByzantine),
            strategy.CreateServerOptimizer());
    }

    /// <summary>Device profiles: generated from the seed and device classes, or taken from the trace file.</summary>
    public static DeviceProfileSource Profiles(ScenarioSpec scenario)
        => new(scenario.Seed, scenario.Heterogeneity.Classes,
            scenario.Heterogeneity.Trace is { } path ? DeviceTrace.Load(path) : DeviceTrace.Empty);

    /// <summary>The accounting of a scenario with central DP and Poisson sampling; null otherwise.</summary>
    public static CentralDpAccounting? CentralDpAccounting(ScenarioSpec scenario)
    {
        if (scenario.Privacy.Central is not { } central || scenario.Training.Sampling is not PoissonSamplingOptions poisson) return null;
        double q = poisson.Rate * scenario.Heterogeneity.Availability;
        return new CentralDpAccounting(q, central.NoiseMultiplier, q * (1 - scenario.Heterogeneity.Dropout) * scenario.Devices,
            scenario.Privacy.Delta);
    }

    /// <summary>
    /// The scenario's privacy mechanisms in one line, for summaries and consoles: "DP-FedAvg (user level, fixed clip
    /// norm 1, z = 1.1, Poisson q = 0.1) + secure aggregation (complete graph)"; null when none is on. Whatever makes a
    /// run's numbers depend on more than its seed (secure noise) or its secrets on less (deterministic secrets) is named.
    /// </summary>
    public static string? DescribePrivacy(ScenarioSpec scenario)
    {
        var p = scenario.Privacy;
        var parts = new List<string>();
        if (p.Central is { } c)
        {
            string sampling = scenario.Training.Sampling is PoissonSamplingOptions poisson ? $", Poisson q = {poisson.Rate:R}" : "";
            parts.Add($"DP-FedAvg (user level, {c.Clipping.Describe()}, z = {c.NoiseMultiplier:R}{sampling})");
        }
        if (p.Local is { } l)
            parts.Add($"DP-SGD (example level, clip norm {l.ClipNorm:R}, z = {l.NoiseMultiplier:R}, Poisson batches of expected size {scenario.Training.BatchSize})");
        if (p.SecureAggregation is { } s)
            parts.Add($"secure aggregation ({(s.Graph == SecureAggregationGraphs.Sparse ? "SecAgg+ sparse graph" : "complete graph")}" +
                      $"{(s.DeterministicSecrets ? ", deterministic secrets from the experiment seed" : "")})");
        if (parts.Count == 0) return null;
        string line = string.Join(" + ", parts);
        return p.SecureNoise && (p.Central is not null || p.Local is not null)
            ? line + "; DP noise from the operating system's cryptographic generator (secure_noise): this run cannot be replayed"
            : line;
    }

    /// <summary>
    /// Whether secure aggregation hides individual updates from the server, so the server attacker sees only the
    /// aggregate (the coordinator then holds no individual update at all, only masked vectors and their sum).
    /// </summary>
    public static bool SecureAggregationHidesUpdates(ScenarioSpec scenario) => scenario.Privacy.SecureAggregation is not null;

    /// <summary>
    /// Why the rounds cannot sum their updates on the compute pools, or null: something reads updates one by one (a
    /// robust aggregator, FedNova's or SCAFFOLD's server side, DP-FedAvg's per-update clipping, malicious clients, a server
    /// or client attacker) or sums them itself (secure aggregation).
    /// </summary>
    public static string? PooledSumObstacle(ScenarioSpec scenario)
    {
        var strategy = scenario.Strategy;
        if (strategy.Aggregator.NeedsIndividualUpdates)
            return $"strategy.aggregator '{strategy.Aggregator.Kind}' reads every update on its own";
        var objective = strategy.CreateObjective(Training(scenario));
        if (objective.ServerReadsIndividualResults || objective.UsesDeviceState)
            return $"strategy '{strategy.Kind}' reads every device's result on its own";
        if (scenario.Privacy.Central is not null) return "privacy.central (DP-FedAvg) clips every update on the server";
        if (scenario.Privacy.SecureAggregation is not null) return "privacy.secure_aggregation sums the masked updates itself";
        if (scenario.Byzantine is not null) return "byzantine clients craft their updates from the honest ones";
        if (scenario.Attacks.Any(a => a is not OutsiderAttackerOptions))
            return "a server or client attacker reads individual updates";
        return null;
    }

    /// <summary>
    /// Whether the rounds sum their updates on the compute pools (<c>compute.sum_updates</c>): on, or auto where the
    /// coordinator's pool trains on cuda (on a CPU the updates are in host memory already), and nothing stands in the way.
    /// </summary>
    public static bool SumsOnPool(ScenarioSpec scenario, string poolDevice) => scenario.Compute.SumUpdates switch
    {
        SumUpdateModes.On => PooledSumObstacle(scenario) is null,
        SumUpdateModes.Auto => poolDevice == ComputeDevices.Cuda && PooledSumObstacle(scenario) is null,
        _ => false,
    };

    /// <summary>
    /// The mean training loss a device puts in its update: its own, or NaN where devices keep it to themselves. Under
    /// local DP it comes from un-noised per-example losses (outside ε) and under secure aggregation it would travel
    /// outside the mask, so in both modes a device sends none (metrics.csv's and clients.csv's train_loss stay empty).
    /// Examples and steps still travel in the clear: the server schedules by them, as a deployment's would (README,
    /// "What a device sends").
    /// </summary>
    public static float TrainLossAsSent(ScenarioSpec scenario, float meanLoss)
        => scenario.Privacy.Local is not null || scenario.Privacy.SecureAggregation is not null ? float.NaN : meanLoss;

    /// <summary>Which views the scenario's DP mechanisms protect (what each threat model's audit is checked against).</summary>
    public static PrivacyCoverage PrivacyCoverage(ScenarioSpec scenario) => new(scenario.Privacy.Central is not null, scenario.Privacy.Local is not null,
        SecureAggregationHidesUpdates(scenario), scenario.Privacy.Delta);
}
