using System.ComponentModel;

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
    public Strategies.StrategyOptions Strategy { get; set; } = new Strategies.Algorithms.FedAvgOptions();

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

    [Id(13), Description("Differential privacy and secure aggregation: privacy.central (DP-FedAvg), privacy.local (DP-SGD), privacy.secure_aggregation; all off by default.")]
    public Privacy.PrivacySpec Privacy { get; set; } = new();

    // Ids 20+ leave room for other sections added meanwhile (privacy).
    [Id(20), Description("Membership-inference audit settings: cadence, audit size, held-out fraction (used when attacks lists an attacker).")]
    public Attacks.Auditing.AuditSpec Audit { get; set; } = new();

    [Id(21), Description("Membership-inference attackers, each with its threat model (kind: outsider, server, client) and its attacks; run by `fedsim attack`.")]
    public Attacks.Auditing.AttackerOptions[] Attacks { get; set; } = [];
}

public static class DatasetKinds
{
    public const string Synthetic = "synthetic";
    public const string Mnist = "mnist";
    public const string FashionMnist = "fashion-mnist";
    public const string Femnist = "femnist";
    public const string SklearnDigits = "sklearn-digits";
    public const string SklearnBreastCancer = "sklearn-breast-cancer";
    public const string Adult = "adult";
    /// <summary>Location (Bangkok check-ins, Shokri et al. 2017): 30 classes, 446 binary features; a membership-inference target.</summary>
    public const string Location = "location";
    /// <summary>A researcher's own CSV file: a header row, a named label column, optionally an owner column.</summary>
    public const string Csv = "csv";
    public static readonly string[] All = [Synthetic, Mnist, FashionMnist, Femnist, SklearnDigits, SklearnBreastCancer, Adult, Location, Csv];
}

public static class PartitionKinds
{
    public const string Iid = "iid";
    public const string Dirichlet = "dirichlet";
    public const string Shards = "shards";
    public const string QuantitySkew = "quantity-skew";
    public const string Natural = "natural";
    public static readonly string[] All = [Iid, Dirichlet, Shards, QuantitySkew, Natural];
}

[GenerateSerializer]
public sealed class DatasetSpec
{
    [Id(0), Description("Dataset kind: synthetic | mnist | fashion-mnist | femnist | sklearn-digits | sklearn-breast-cancer | adult | location | csv (your own file: a header row, label_column, optional owner_column).")]
    public string Kind { get; set; } = DatasetKinds.Synthetic;

    [Id(1), Description("File or folder holding the dataset (relative paths resolve against the scenario file). Not used by synthetic.")]
    public string? Path { get; set; }

    [Id(2), Description("Synthetic only: number of samples generated (train + test).")]
    public int Samples { get; set; } = 12000;

    [Id(3), Description("Fraction held out for server-side testing, for datasets without their own test split.")]
    public double TestFraction { get; set; } = 0.2;

    [Id(4), Description("How training samples are split over devices.")]
    public PartitionSpec Partition { get; set; } = new();

    [Id(5), Description("csv only: the header name of the column holding each row's class (integers or names).")]
    public string LabelColumn { get; set; } = "label";

    [Id(6), Description("csv only: the header name of a column naming each row's owner (device, client, site); enables partition natural, one device per owner.")]
    public string? OwnerColumn { get; set; }
}

[GenerateSerializer]
public sealed class PartitionSpec
{
    [Id(0), Description("iid | dirichlet (label skew, alpha) | shards (McMahan's pathological non-IID) | quantity-skew (log-normal sizes) | natural (dataset's own owners, e.g. FEMNIST writers).")]
    public string Kind { get; set; } = PartitionKinds.Iid;

    [Id(1), Description("Dirichlet concentration; smaller is more skewed.")]
    public double Alpha { get; set; } = 0.5;

    [Id(2), Description("Shards: label-sorted shards given to each device.")]
    public int ShardsPerDevice { get; set; } = 2;

    [Id(3), Description("Quantity skew: sigma of the log-normal device sizes.")]
    public double Sigma { get; set; } = 1.0;

    [Id(4), Description("Minimum samples per device (dirichlet and quantity-skew redraw or top up to meet it).")]
    public int MinSamples { get; set; } = 1;
}

public static class ModelKinds
{
    public const string Logistic = "logistic";
    public const string Mlp = "mlp";
    public const string Cnn = "cnn";
    public static readonly string[] All = [Logistic, Mlp, Cnn];
}

[GenerateSerializer]
public sealed class ModelSpecOptions
{
    [Id(0), Description("logistic | mlp | cnn (two 5x5 conv layers with max-pooling, then a dense layer; image datasets only).")]
    public string Kind { get; set; } = ModelKinds.Mlp;

    [Id(1), Description("MLP hidden layer widths.")]
    public int[] Hidden { get; set; } = [64];

    [Id(2), Description("CNN: channels of the two conv layers.")]
    public int[] Channels { get; set; } = [32, 64];

    [Id(3), Description("CNN: width of the dense layer after the convolutions.")]
    public int Dense { get; set; } = 512;
}

public static class OptimizerKinds
{
    public const string Sgd = "sgd";
    public const string Momentum = "momentum";
    public const string Adam = "adam";
    public static readonly string[] All = [Sgd, Momentum, Adam];
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
}

[GenerateSerializer]
public sealed class HeterogeneitySpec
{
    [Id(0), Description("Simulated seconds a round waits for updates (0 = no deadline): later devices are stragglers, dropped or cut short (keep_partial_work).")]
    public double DeadlineSeconds { get; set; }

    [Id(1), Description("Keep a straggler's partial work: it trains only the local steps that fit before the deadline (FedProx and FedNova use such updates).")]
    public bool KeepPartialWork { get; set; }

    [Id(2), Description("Over-selection x: sample ceil(k·(1+x)) devices and keep the first k to finish in simulated time (Bonawitz et al. 2019).")]
    public double OverSelection { get; set; }

    [Id(3), Description("Probability that a sampled device drops out during the round (never answers), drawn per device and round.")]
    public double Dropout { get; set; }

    [Id(4), Description("Probability that a device is available to be sampled in a round (1 = always), drawn per device and round; a trace's windows also apply.")]
    public double Availability { get; set; } = 1.0;

    [Id(5), Description("Per-device trace CSV (device, samples_per_second, uplink_bytes_per_second, downlink_bytes_per_second[, availability]) replacing generated profiles for the devices it lists; availability is ';'-separated start-end windows in seconds of a simulated day. Relative paths resolve against the scenario file.")]
    public string? Trace { get; set; }

    [Id(6), Description("Device classes profiles are drawn from (share, and log-uniform ranges of speed and bandwidth). Default: five phone/tablet/laptop classes.")]
    public DeviceClassSpec[] Classes { get; set; } = DeviceClassSpec.Defaults();
}

[GenerateSerializer]
[Description("One class of devices: its share of the population and its speed and bandwidth ranges.")]
public sealed class DeviceClassSpec
{
    [Id(0), Description("Class name (written to devices.csv).")]
    public string Name { get; set; } = "device";

    [Id(1), Description("Share of devices in this class (shares are normalised to sum to 1).")]
    public double Share { get; set; } = 1;

    [Id(2), Description("Training speed range [low, high] in samples per second (drawn log-uniformly).")]
    public double[] SamplesPerSecond { get; set; } = [200, 800];

    [Id(3), Description("Upload bandwidth range [low, high] in megabits per second (drawn log-uniformly).")]
    public double[] UplinkMbps { get; set; } = [2, 20];

    [Id(4), Description("Download bandwidth range [low, high] in megabits per second (drawn log-uniformly).")]
    public double[] DownlinkMbps { get; set; } = [10, 80];

    /// <summary>
    /// Rough, plausible orders of magnitude for on-device training of small models (not measurements): the
    /// classes FedSim has generated since its first release, so default profiles are unchanged.
    /// </summary>
    public static DeviceClassSpec[] Defaults() =>
    [
        new() { Name = "low-end phone", Share = 0.30, SamplesPerSecond = [50, 200], UplinkMbps = [0.5, 5], DownlinkMbps = [2, 20] },
        new() { Name = "mid-range phone", Share = 0.35, SamplesPerSecond = [200, 800], UplinkMbps = [2, 20], DownlinkMbps = [10, 80] },
        new() { Name = "flagship phone", Share = 0.20, SamplesPerSecond = [800, 3000], UplinkMbps = [10, 60], DownlinkMbps = [40, 300] },
        new() { Name = "tablet", Share = 0.10, SamplesPerSecond = [400, 1500], UplinkMbps = [5, 40], DownlinkMbps = [20, 200] },
        new() { Name = "laptop", Share = 0.05, SamplesPerSecond = [2000, 10000], UplinkMbps = [20, 200], DownlinkMbps = [50, 500] },
    ];
}
