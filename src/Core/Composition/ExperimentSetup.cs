using FedSim.Determinism;
using FedSim.Attacks.Auditing;
using FedSim.Attacks.Poisoning;
using FedSim.Scenario;
using FedSim.Data;
using FedSim.Privacy;
using FedSim.Rounds;
using FedSim.Strategies;
using FedSim.Training;
using FedSim.Models;
using FedSim.Strategies.Algorithms;

namespace FedSim.Composition;

/// <summary>What per-device and personalized evaluation need from the compute pool and the devices (the coordinator supplies it).</summary>
/// <param name="Correct">For weights and rows of a dataset: whether the model classifies each row right.</param>
/// <param name="FineTune">For the global weights, the round and the devices: each device's copy fine-tuned on its own training records.</param>
/// <param name="KeptModels">For the global weights, the round and the devices: the personal model each device keeps after
/// that round (the global weights for a device that has none yet).</param>
public sealed record DeviceEvaluationCompute(Func<float[], Dataset, int[], Task<bool[]>> Correct, Func<float[], int, IReadOnlyList<long>, Task<float[][]>> FineTune,
    Func<float[], int, IReadOnlyList<long>, Task<float[][]>> KeptModels);

/// <summary>
/// What the coordinator builds once from a scenario: the algorithm's parts, who is malicious, device profiles,
/// the base training plan and the stage pipeline. Pure apart from the evaluation and root-training delegates
/// the grain supplies.
/// </summary>
internal sealed class ExperimentSetup
{
    public required ScenarioSpec Scenario { get; init; }
    public required ExperimentData Data { get; init; }
    public required FederatedAlgorithm Algorithm { get; init; }
    public required ByzantineRoster Roster { get; init; }
    public required DeviceProfileSource Profiles { get; init; }
    public required TrainingPlan Plan { get; init; }
    public required RoundPipeline Pipeline { get; init; }
    public required int AssumedByzantine { get; init; }
    public required int Parameters { get; init; }

    /// <summary>The rounds sum their updates on the compute pools (<see cref="ScenarioComposition.SumsOnPool"/>).</summary>
    public bool SumsOnPool { get; init; }
    /// <summary>Devices a malicious-client attacker stands in for, and that attacker's index in the scenario's attacks.</summary>
    public IReadOnlyDictionary<long, int> ClientAttackers { get; init; } = new Dictionary<long, int>();

    /// <summary>What DP-FedAvg's accountant assumes each round (null without central DP).</summary>
    public CentralDpAccounting? CentralAccounting { get; init; }

    /// <summary>
    /// Per-device evaluation, then personalized evaluation when the scenario personalizes: of the personal models the
    /// devices keep (Ditto), else of copies fine-tuned for the test.
    /// </summary>
    private static IEnumerable<IRoundStage> DeviceEvaluationStages(ScenarioSpec scenario, DeviceTests tests, DeviceEvaluationCompute compute)
    {
        // Round 0 of the purpose's stream: apart from the holdout coin (Seeds.None), the same sample every round.
        var evaluated = DeviceTestSplit.Evaluated(scenario.Devices, scenario.Evaluation.MaxDevices, Seeds.Derive(scenario.Seed, 0, Seeds.None, SeedPurpose.DeviceEvaluation));
        yield return new DeviceEvaluationStage((weights, rows) => compute.Correct(weights, tests.Source, rows), tests, evaluated,
            scenario.Evaluation.Every, scenario.Training.Rounds);
        var personalization = scenario.Personalization;
        if (personalization.IsOn)
            yield return new PersonalizationStage(
                personalization.KeptModelTraining(ScenarioComposition.Training(scenario)) is null ? compute.FineTune : compute.KeptModels, async (weights, device) =>
            {
                var rows = tests.Rows[device];
                var right = await compute.Correct(weights, tests.Source, rows);
                return (double)right.Count(r => r) / rows.Length;
            });
    }

    public static ExperimentSetup Build(ScenarioSpec scenario, ExperimentData data,
        Func<float[], int[]?, Task<ModelScore>> evaluate,
        Func<float[], Dataset, Task<ModelScore>> evaluateOn,
        Func<float[], int[], Task<float[]>> trainRoot,
        IAttackerChannel? attackers = null,
        DeviceEvaluationCompute? deviceEvaluation = null,
        string poolDevice = ComputeDevices.Cpu)
    {
        int cohort = scenario.Training.ExpectedCohort(scenario.Devices);
        int assumed = scenario.Byzantine?.ExpectedPerCohort(cohort) ?? 0;
        var algorithm = ScenarioComposition.Algorithm(scenario, assumed);
        var roster = scenario.Byzantine is { } b ? new ByzantineRoster(scenario.Seed, scenario.Devices, b.Fraction) : ByzantineRoster.None;
        int rootSamples = scenario.Strategy.Aggregator.ServerRootSamples;
        var rootIndices = data.RootIndices(rootSamples, scenario.Seed);
        var evaluationIndices = data.EvaluationIndices(scenario.Evaluation.MaxSamples, rootSamples, scenario.Seed);
        int every = scenario.Evaluation.Every, last = scenario.Training.Rounds;

        var stages = new List<IRoundStage>();
        if (rootIndices.Length > 0) stages.Add(new ServerRootUpdateStage(weights => trainRoot(weights, rootIndices)));
        int parameters = ModelLayout.For(data.Model).Count;
        var privacy = scenario.Privacy;
        var centralAccounting = ScenarioComposition.CentralDpAccounting(scenario);
        // DP-FedAvg and secure aggregation replace the aggregator's step (validation allowed only the mean with them).
        if (privacy.Central is { } central) stages.Add(new CentralDpAggregationStage(central, centralAccounting!, parameters, privacy.SecureAggregation is not null, privacy.SecureNoise));
        else if (privacy.SecureAggregation is not null) stages.Add(new SecureMeanStage());
        else if (ScenarioComposition.SumsOnPool(scenario, poolDevice)) stages.Add(new PooledMeanStage());
        else stages.Add(new AggregationStage(algorithm));
        stages.Add(new ServerStepStage(algorithm));
        if (privacy.Central is not null || privacy.Local is not null) stages.Add(new PrivacyAccountingStage(privacy, centralAccounting, last));
        if (roster.Count > 0) stages.Add(new ByzantineMetricsStage(roster));
        stages.Add(new EvaluationStage(weights => evaluate(weights, evaluationIndices), every, last, perplexity: data.Model.IsLanguageModel));
        if (data.DeviceTests is { } tests && deviceEvaluation is not null) stages.AddRange(DeviceEvaluationStages(scenario, tests, deviceEvaluation));
        if (scenario.Byzantine?.EvaluationTrigger(data.Facts) is { } trigger)
        {
            var triggered = data.TriggeredTest(trigger);
            stages.Add(new BackdoorStage(weights => evaluateOn(weights, triggered), every, last));
        }
        // The tap reads the round's final metrics (epsilon), so it stays after every stage that adds one.
        if (scenario.Attacks.Length > 0 && attackers is not null)
            stages.Add(new AttackerTapStage(scenario.Attacks, attackers, scenario.Audit.Every, last, ScenarioComposition.SecureAggregationHidesUpdates(scenario),
                ScenarioComposition.PrivacyCoverage(scenario)));
        stages.Add(new ProgressGuardStage(scenario.Training.MaxRoundsWithoutUpdates));

        return new ExperimentSetup
        {
            Scenario = scenario,
            Data = data,
            Algorithm = algorithm,
            Roster = roster,
            Profiles = ScenarioComposition.Profiles(scenario),
            Plan = ScenarioComposition.Training(scenario).BasePlan().With(algorithm.Objective.Modifiers)
                .With(privacy.Local is { } local ? [new DpSgd(local.ClipNorm, local.NoiseMultiplier, privacy.SecureNoise)] : []),
            Pipeline = new RoundPipeline(stages),
            AssumedByzantine = assumed,
            Parameters = parameters,
            SumsOnPool = ScenarioComposition.SumsOnPool(scenario, poolDevice),
            CentralAccounting = centralAccounting,
            ClientAttackers = scenario.Attacks.Select((a, i) => (a, i)).Where(p => p.a is ClientAttackerOptions)
                .ToDictionary(p => ((ClientAttackerOptions)p.a).DeviceFor(scenario.Seed, scenario.Devices, p.i), p => p.i),
        };
    }
}
