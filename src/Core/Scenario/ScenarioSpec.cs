using System.ComponentModel;
using FedSim.Rounds;
using FedSim.Models;
using FedSim.Data;
using FedSim.Training;

namespace FedSim.Scenario;

// The scenario model: one experiment, as written in a scenario file (YAML, snake_case keys) and as
// handed to the ExperimentGrain. Defaults here are the documented defaults; [Description] texts feed
// both `fedsim schema` and the validator's messages, so this file is the single home of the format.

[GenerateSerializer]
[Description("One federated-learning experiment.")]
public sealed class ScenarioSpec
{
    [Id(0), Description("Experiment name; used in reports and as the default output folder name.")]
    public string Name { get; set; } = "experiment";

    [Id(1), Description("Master seed. Every random draw derives from (seed, round, device, purpose).")]
    public ulong Seed { get; set; } = 1;

    [Id(2), Description("Number of registered devices (clients). Only the sampled ones are ever activated.")]
    public int Devices { get; set; } = 100;

    [Id(3), Description("Where the data comes from and how it is split over devices.")]
    public DatasetSpec Dataset { get; set; } = new();

    [Id(4), Description("The model every device trains.")]
    public ModelSpecOptions Model { get; set; } = new();

    [Id(5), Description("Rounds, cohort size and local training plan.")]
    public TrainingSpec Training { get; set; } = new();

    [Id(6), Description("The federated algorithm: strategy.kind (fedavg, fedprox, scaffold, ...) and strategy.aggregator.kind (mean, median, krum, ...).")]
    public Strategies.Algorithms.StrategyOptions Strategy { get; set; } = new Strategies.Algorithms.FedAvgOptions();

    [Id(7), Description("Held-out evaluation of the global model.")]
    public EvaluationSpec Evaluation { get; set; } = new();

    [Id(8), Description("Where local training runs and how it is batched.")]
    public ComputeSpec Compute { get; set; } = new();

    [Id(9), Description("Output folder for metrics.csv, summary.json and plots. Default: results/<name>.")]
    public string? Output { get; set; }

    [Id(10), Description("Slow, vanishing and unavailable devices: deadlines, over-selection, dropouts, device classes or a trace file.")]
    public HeterogeneitySpec Heterogeneity { get; set; } = new();

    [Id(11), Description("Malicious clients (omit for an all-honest federation): byzantine.kind and byzantine.fraction.")]
    public Attacks.Poisoning.ByzantineOptions? Byzantine { get; set; }

    [Id(13), Description("Differential privacy and secure aggregation: privacy.central (DP-FedAvg), privacy.local (DP-SGD), privacy.secure_aggregation, privacy.secure_noise (DP noise from the OS's cryptographic generator); all off by default.")]
    public Privacy.PrivacySpec Privacy { get; set; } = new();

    // Ids 20+ leave room for other sections added meanwhile (privacy).
    [Id(20), Description("Membership-inference audit settings: cadence, audit size, held-out fraction (used when attacks lists an attacker).")]
    public Attacks.Auditing.AuditSpec Audit { get; set; } = new();

    [Id(21), Description("Membership-inference attackers, each with its threat model (kind: outsider, server, client) and its attacks; run by `fedsim attack`.")]
    public Attacks.Auditing.AttackerOptions[] Attacks { get; set; } = [];

    [Id(22), Description("Personalized evaluation (with evaluation.per_device): personalization.kind finetune (each evaluated device fine-tunes a copy of the global model before its test) or ditto (devices keep personal models they train whenever sampled), and personalization.local_steps.")]
    public Rounds.Personalization.PersonalizationOptions Personalization { get; set; } = new Rounds.Personalization.FineTuneOptions();
}

[GenerateSerializer]
public sealed class TrainingSpec
{
    [Id(0), Description("Number of federated rounds.")]
    public int Rounds { get; set; } = 20;

    [Id(1), Description("Devices sampled (without replacement) each round.")]
    public int DevicesPerRound { get; set; } = 10;

    [Id(2), Description("Local epochs over the device's shard per round (E).")]
    public int LocalEpochs { get; set; } = 1;

    [Id(3), Description("Local minibatch size (B).")]
    public int BatchSize { get; set; } = 10;

    [Id(4), Description("Local learning rate.")]
    public double LearningRate { get; set; } = 0.05;

    [Id(5), Description("Local optimizer: sgd | momentum | adam. Optimizer state starts fresh each round.")]
    public string Optimizer { get; set; } = OptimizerKinds.Sgd;

    [Id(6), Description("Momentum coefficient (momentum optimizer) or beta1 (adam).")]
    public double Momentum { get; set; } = 0.9;

    [Id(7), Description("Stop the run with an error when no update was accepted for this many rounds in a row (0 = never): a run that cannot learn should not report a model that never moved.")]
    public int MaxRoundsWithoutUpdates { get; set; } = 5;

    [Id(8), Description("How each round's cohort is drawn: sampling.kind fixed (devices_per_round devices) or poisson (each device independently with probability rate).")]
    public Rounds.SamplingOptions Sampling { get; set; } = new Rounds.FixedSizeSamplingOptions();

    /// <summary>The cohort size a round expects: devices_per_round, or q·N under Poisson sampling.</summary>
    public int ExpectedCohort(long population) => Sampling.ExpectedCohort(population, DevicesPerRound);
}

[GenerateSerializer]
public sealed class EvaluationSpec
{
    [Id(0), Description("Evaluate the global model every N rounds (the last round is always evaluated).")]
    public int Every { get; set; } = 1;

    [Id(1), Description("Cap on test samples used per evaluation (0 = the whole test set).")]
    public int MaxSamples { get; set; } = 0;

    [Id(2), Description("Also evaluate the global model on each device's own test records (metrics device_accuracy_mean/_p10/_min, device_accuracy.csv): a dataset's per-owner test split (femnist's writers, with natural partition), else a per-device holdout.")]
    public bool PerDevice { get; set; }

    [Id(3), Description("Per-device evaluation without natural test records: the share of each device's records held out of its training for its own test set.")]
    public double DeviceTestFraction { get; set; } = 0.2;

    [Id(4), Description("Per-device evaluation: at most this many devices are evaluated, the same seeded sample every time (0 = all).")]
    public int MaxDevices { get; set; } = 1000;
}

public static class ComputeDevices
{
    public const string Auto = "auto";
    public const string Cpu = "cpu";
    public const string Cuda = "cuda";
    public static readonly string[] All = [Auto, Cpu, Cuda];
}

[GenerateSerializer]
public sealed class ComputeSpec
{
    [Id(0), Description("auto | cpu | cuda. auto picks cuda when available.")]
    public string Device { get; set; } = ComputeDevices.Auto;

    [Id(1), Description("Most devices trained together as one batched program (0 = tuned per device kind).")]
    public int CohortSize { get; set; } = 0;

    [Id(2), Description("Training worker threads in the pool (0 = tuned per device kind).")]
    public int Workers { get; set; } = 0;

    [Id(3), Description("auto | on | off. on: when the round only needs the updates' example-weighted sum (the mean aggregator; no robust aggregator, FedNova, SCAFFOLD, DP-FedAvg, secure aggregation, Byzantine clients or server/client attacker), each cohort's updates are summed on the compute pool's device and only the sum crosses to the host. auto: on where the pool trains on cuda. off: every update crosses to the host.")]
    public string SumUpdates { get; set; } = SumUpdateModes.Auto;

    [Id(4), Description("fp32 | tf32 | bf16: the arithmetic of local training's matrix products and convolutions. fp32 (default): float32 throughout. tf32: CUDA's TF32 tensor-core products (float32 on a CPU; refused with compute.device: cpu). bf16: autocast, the products on bf16 copies with float32 master weights, losses, optimizer and aggregation (not with privacy.local). Evaluation is float32 in every mode.")]
    public string Precision { get; set; } = Training.Precisions.Fp32;
}

/// <summary>The values of <c>compute.sum_updates</c>.</summary>
public static class SumUpdateModes
{
    public const string Auto = "auto";
    public const string On = "on";
    public const string Off = "off";
    public static readonly string[] All = [Auto, On, Off];
}
