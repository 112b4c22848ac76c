using System.Globalization;
using System.Reflection;
using System.Text.Json.Serialization;
using FedSim.Scenario;
using FedSim.GrainInterfaces;
using FedSim.Composition;

namespace FedSim.Scenarios.Reports;

/// <summary>What was trained on: written to summary.json under "dataset".</summary>
/// <param name="Kind">Dataset kind (see <see cref="DatasetKinds"/>).</param>
/// <param name="TrainSamples">Samples spread over the devices.</param>
/// <param name="TestSamples">Held-out samples the server evaluates on.</param>
/// <param name="Classes">Label classes.</param>
/// <param name="Features">Features per sample.</param>
/// <param name="Partition">Partition kind with its parameter, e.g. "dirichlet(alpha=0.5)".</param>
/// <param name="PartitionStatistics">One line describing the split (<see cref="Data.PartitionStatistics.Describe"/>).</param>
/// <param name="Text">For text datasets, the vocabulary (every token, by id) and the context; null otherwise.</param>
/// <param name="LeftOut">Owners the reader left out for too few samples, and their samples; null when it leaves none out by design.</param>
public sealed record DatasetInfo(
    string Kind, int TrainSamples, int TestSamples, int Classes, int Features, string Partition, string PartitionStatistics,
    FedSim.Data.TextShape? Text = null, FedSim.Data.OwnersLeftOut? LeftOut = null);

/// <summary>The model trained: written to summary.json under "model".</summary>
/// <param name="Kind">logistic | mlp | cnn.</param>
/// <param name="Parameters">Trainable parameter count (the length of the flat weight vector).</param>
/// <param name="Architecture">Optional human-readable layout, e.g. "784-200-200-10".</param>
public sealed record ModelInfo(string Kind, long Parameters, string? Architecture = null);

/// <summary>
/// summary.json's "privacy": the mechanisms and the final guarantee. <see cref="Epsilon"/> is the metrics.csv
/// epsilon of the last round (central DP's ε, or with local DP alone the largest device's ε); null when no
/// mechanism spends ε (secure aggregation alone).
/// </summary>
public sealed record PrivacySummary(string Mechanism, double? Epsilon, double Delta, double? LocalEpsilon, double? EpsilonBudget);

/// <summary>How a run ended: summary.json's "status".</summary>
public static class RunStatuses
{
    /// <summary>Every planned round ran, or the run finished early as planned ("finish_reason": a spent privacy budget).</summary>
    public const string Completed = "completed";
    /// <summary>Stopped by Ctrl+C or SIGTERM; "rounds" says how many finished (metrics.csv holds exactly those).</summary>
    public const string Interrupted = "interrupted";
    /// <summary>Stopped by an error; "error" says which.</summary>
    public const string Failed = "failed";
}

/// <summary>What the runner knows besides the round reports; <see cref="RunSummary.Build"/> combines both.</summary>
/// <param name="Dataset">Null when the run stopped before its data was loaded.</param>
/// <param name="Model">Null when the run stopped before its data was loaded.</param>
public sealed record RunSummaryInput(
    string Name,
    ulong Seed,
    int PlannedRounds,
    int Devices,
    int DevicesPerRound,
    DatasetInfo? Dataset,
    ModelInfo? Model,
    IReadOnlyDictionary<string, object?> Compute,
    double WallSeconds)
{
    /// <summary>How the run ended (<see cref="RunStatuses"/>).</summary>
    public string Status { get; init; } = RunStatuses.Completed;

    /// <summary>Why a failed run stopped (one line); null otherwise.</summary>
    public string? Error { get; init; }

    /// <summary>Aggregation strategy kind (e.g. "fedavg").</summary>
    public string? Strategy { get; init; }

    /// <summary>Accuracy levels for first_round_reaching / simulated_seconds_to_reach.</summary>
    public IReadOnlyList<double> AccuracyThresholds { get; init; } = RunSummary.DefaultThresholds;

    /// <summary>Defaults to this assembly's informational version.</summary>
    public string? FedSimVersion { get; init; }

    /// <summary>The privacy mechanisms in one line (null: none) and the δ their ε is reported at.</summary>
    public string? PrivacyMechanism { get; init; }
    public double PrivacyDelta { get; init; }
    public double? EpsilonBudget { get; init; }

    /// <summary>Why the run ended before its planned rounds without an error (a spent privacy budget).</summary>
    public string? FinishReason { get; init; }

    /// <summary>The training data's quality summary, when the runner computed one.</summary>
    public FedSim.Data.DataQuality? DataQuality { get; init; }

    /// <summary>What produced the run: builds, machine, command and the files read (<see cref="Reports.Provenance.Collect"/>).</summary>
    public Provenance? Provenance { get; init; }

    /// <summary>Fills the fields the scenario already knows; the runner supplies the measured rest.</summary>
    public static RunSummaryInput FromScenario(
        ScenarioSpec scenario, DatasetInfo? dataset, ModelInfo? model, IReadOnlyDictionary<string, object?> compute, double wallSeconds) =>
        new(scenario.Name, scenario.Seed, scenario.Training.Rounds, scenario.Devices, scenario.Training.DevicesPerRound,
            dataset, model, compute, wallSeconds)
        {
            Strategy = scenario.Strategy.Kind,
            PrivacyMechanism = ScenarioComposition.DescribePrivacy(scenario),
            PrivacyDelta = scenario.Privacy.Delta,
            EpsilonBudget = scenario.Privacy.EpsilonBudget > 0 ? scenario.Privacy.EpsilonBudget : null,
        };
}

/// <summary>summary.json: the headline figures of one run (snake_case keys; see <see cref="SummaryJson"/>).</summary>
public sealed record RunSummary
{
    /// <summary>Accuracy levels reported by default (FedAvg paper targets: 97% MNIST 2NN, 99% CNN).</summary>
    public static readonly IReadOnlyList<double> DefaultThresholds = [0.5, 0.8, 0.9, 0.95, 0.97, 0.99];

    public required string Name { get; init; }
    public required ulong Seed { get; init; }
    /// <summary>
    /// "completed", "interrupted" or "failed" (<see cref="RunStatuses"/>). A results folder without summary.json
    /// holds a run that is still going or was killed outright. Summaries from before this field read as completed.
    /// </summary>
    public string Status { get; init; } = RunStatuses.Completed;
    /// <summary>Why a failed run stopped; null unless <see cref="Status"/> is "failed".</summary>
    public string? Error { get; init; }
    /// <summary>Rounds completed (reports received).</summary>
    public required int Rounds { get; init; }
    public required int RoundsPlanned { get; init; }
    /// <summary>Why the run ended before <see cref="RoundsPlanned"/> without an error (a spent privacy budget); null otherwise.</summary>
    public string? FinishReason { get; init; }
    public string? Strategy { get; init; }
    /// <summary>Accuracy at the last evaluated round; null when no round was evaluated.</summary>
    public double? FinalAccuracy { get; init; }
    public double? FinalLoss { get; init; }
    public int? FinalEvaluatedRound { get; init; }
    /// <summary>Highest test accuracy and the first round that reached it.</summary>
    public double? BestAccuracy { get; init; }
    public int? BestAccuracyRound { get; init; }
    /// <summary>Threshold ("0.90") to the first evaluated round whose accuracy reached it, or null.</summary>
    public required IReadOnlyDictionary<string, int?> FirstRoundReaching { get; init; }
    /// <summary>Threshold to the simulated time (seconds since start) at that round: time-to-accuracy.</summary>
    public required IReadOnlyDictionary<string, double?> SimulatedSecondsToReach { get; init; }
    public required double TotalSimulatedSeconds { get; init; }
    public required double WallSeconds { get; init; }
    public required int Devices { get; init; }
    public required int DevicesPerRound { get; init; }
    /// <summary>Client updates received, summed over rounds.</summary>
    public required long Participants { get; init; }
    /// <summary>Selected devices that dropped out or missed the deadline, summed over rounds.</summary>
    public required long Failed { get; init; }
    /// <summary>Sampled devices without a usable update, counted by reason (dropped out, late, a rejected update, ...).</summary>
    public IReadOnlyDictionary<string, int> FailureReasons { get; init; } = new Dictionary<string, int>();
    public required long TrainExamples { get; init; }
    public required long BytesSent { get; init; }
    public required long BytesReceived { get; init; }
    /// <summary>Null when the run stopped before its data was loaded.</summary>
    public required DatasetInfo? Dataset { get; init; }
    /// <summary>Missing values, constant features, class balance, duplicates, per-device label skew ("data_quality").</summary>
    public FedSim.Data.DataQuality? DataQuality { get; init; }
    /// <summary>Null when the run stopped before its data was loaded.</summary>
    public required ModelInfo? Model { get; init; }
    /// <summary>Free-form: device, workers, cohort size, ... as the runner reports them.</summary>
    public required IReadOnlyDictionary<string, object?> Compute { get; init; }
    /// <summary>The privacy mechanisms and the final (ε, δ); null when the run had none.</summary>
    public PrivacySummary? Privacy { get; init; }
    [JsonPropertyName("fedsim_version")]
    public required string FedSimVersion { get; init; }
    /// <summary>The commit, runtime, libtorch, BLAS, machine, command line and every file read with its SHA-256; null in summaries from before it existed.</summary>
    public Provenance? Provenance { get; init; }

    /// <summary>
    /// Failures grouped by reason, the device-specific details (an index, a time) cut off so that "update has a
    /// non-finite value at index 12" and "... at index 40" count as one reason; most frequent first.
    /// </summary>
    public static IReadOnlyDictionary<string, int> FailureReasonCounts(IEnumerable<RoundReport> reports)
        => reports.SelectMany(r => r.AllFailures).GroupBy(f => ReasonOf(f.Reason))
            .OrderByDescending(g => g.Count()).ThenBy(g => g.Key, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.Count());

    private static string ReasonOf(string reason)
    {
        string general = System.Text.RegularExpressions.Regex.Replace(reason, @"\d+(\.\d+)?", "N");
        int cut = general.IndexOfAny([';', ':']);
        return (cut > 0 ? general[..cut] : general).Trim();
    }

    /// <summary>Computes the summary from the round reports (in any order) and the runner's extra facts.</summary>
    public static RunSummary Build(RunSummaryInput input, IEnumerable<RoundReport> reports)
    {
        var ordered = reports.OrderBy(r => r.Round).ToList();
        var evaluated = ordered.Where(r => r.TestAccuracy is { } a && !double.IsNaN(a)).ToList();
        var last = evaluated.LastOrDefault();

        RoundReport? best = null;
        foreach (var r in evaluated)
            if (best is null || r.TestAccuracy > best.TestAccuracy) best = r; // strict: ties keep the earlier round

        var firstRound = new Dictionary<string, int?>();
        var firstSeconds = new Dictionary<string, double?>();
        foreach (double t in input.AccuracyThresholds.Order())
        {
            var hit = evaluated.FirstOrDefault(r => r.TestAccuracy >= t);
            string key = ThresholdKey(t);
            firstRound[key] = hit?.Round;
            firstSeconds[key] = hit?.SimulatedTotalSeconds;
        }

        return new RunSummary
        {
            Name = input.Name,
            Seed = input.Seed,
            Status = input.Status,
            Error = input.Error,
            Rounds = ordered.Count,
            RoundsPlanned = input.PlannedRounds,
            FinishReason = input.FinishReason,
            Strategy = input.Strategy,
            FinalAccuracy = last?.TestAccuracy,
            FinalLoss = last?.TestLoss,
            FinalEvaluatedRound = last?.Round,
            BestAccuracy = best?.TestAccuracy,
            BestAccuracyRound = best?.Round,
            FirstRoundReaching = firstRound,
            SimulatedSecondsToReach = firstSeconds,
            TotalSimulatedSeconds = ordered.Count == 0 ? 0 : ordered[^1].SimulatedTotalSeconds,
            WallSeconds = input.WallSeconds,
            Devices = input.Devices,
            DevicesPerRound = input.DevicesPerRound,
            Participants = ordered.Sum(r => (long)r.Participants),
            Failed = ordered.Sum(r => (long)r.Failed),
            FailureReasons = FailureReasonCounts(ordered),
            TrainExamples = ordered.Sum(r => r.TrainExamples),
            BytesSent = ordered.Sum(r => r.BytesSent),
            BytesReceived = ordered.Sum(r => r.BytesReceived),
            Dataset = input.Dataset,
            DataQuality = input.DataQuality,
            Model = input.Model,
            Compute = input.Compute,
            Privacy = input.PrivacyMechanism is { } mechanism
                ? new PrivacySummary(mechanism, ordered.LastOrDefault()?.Metric("epsilon"), input.PrivacyDelta,
                    ordered.LastOrDefault()?.Metric("local_epsilon"), input.EpsilonBudget)
                : null,
            FedSimVersion = input.FedSimVersion ?? CurrentVersion,
            Provenance = input.Provenance,
        };
    }

    /// <summary>"0.90", "0.975": two decimals at least so keys sort and read as accuracies.</summary>
    public static string ThresholdKey(double threshold) => threshold.ToString("0.00####", CultureInfo.InvariantCulture);

    /// <summary>This build's informational version (includes the commit when the SDK records it).</summary>
    public static string CurrentVersion { get; } =
        typeof(RunSummary).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion
        ?? typeof(RunSummary).Assembly.GetName().Version?.ToString()
        ?? "unknown";
}
