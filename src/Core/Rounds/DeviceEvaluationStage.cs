using FedSim.Data;

namespace FedSim.Rounds;

/// <summary>One device's accuracy of the global model on its own test records, and of its personalized model (fine-tuned copy or Ditto's kept model) when personalized.</summary>
[GenerateSerializer, Immutable]
public sealed record DeviceAccuracy([property: Id(0)] long Device, [property: Id(1)] int Examples, [property: Id(2)] double Accuracy,
    [property: Id(3)] double? Personalized = null);

/// <summary>
/// Per-device evaluation (<c>evaluation.per_device</c>): on evaluation rounds, the next global model is scored on every
/// evaluated device's own test records, all devices' records in one pass through the compute pool, and the round
/// reports the distribution over devices as federated papers do (LEAF, FedScale): mean, 10th percentile and worst.
/// A device without test records is left out and counted in neither.
/// </summary>
/// <param name="correct">For weights and rows of <see cref="DeviceTests.Source"/>: whether the model classifies each row right.</param>
public sealed class DeviceEvaluationStage(Func<float[], int[], Task<bool[]>> correct, DeviceTests tests, IReadOnlyList<long> evaluated, int every, int lastRound)
    : IRoundStage
{
    /// <summary>The metrics' stem: <see cref="AddDistribution"/> reports NAME_mean, NAME_p10 and NAME_min.</summary>
    public const string Name = "device_accuracy";
    public const string MeanMetric = Name + "_mean", P10Metric = Name + "_p10", MinMetric = Name + "_min";

    public async Task RunAsync(RoundResults round, CancellationToken cancellationToken)
    {
        if (!EvaluationStage.IsDue(round, every, lastRound))
        {
            AddDistribution(round, Name, []);
            return;
        }
        var devices = evaluated.Where(d => tests.Rows[d].Length > 0).ToArray();
        var rows = devices.SelectMany(d => tests.Rows[d]).ToArray();
        var right = await correct(round.NextWeights!, rows);
        var accuracies = new List<DeviceAccuracy>(devices.Length);
        int at = 0;
        foreach (long device in devices)
        {
            int n = tests.Rows[device].Length, hits = 0;
            for (int i = 0; i < n; i++) if (right[at + i]) hits++;
            at += n;
            accuracies.Add(new DeviceAccuracy(device, n, (double)hits / n));
        }
        round.DeviceAccuracies = accuracies;
        AddDistribution(round, Name, accuracies.Select(a => a.Accuracy));
    }

    /// <summary>NAME_mean, NAME_p10 and NAME_min of <paramref name="values"/> (empty cells when there are none).</summary>
    internal static void AddDistribution(RoundResults round, string name, IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        round.Metrics.Add(new RoundMetric($"{name}_mean", sorted.Length == 0 ? null : sorted.Average()));
        round.Metrics.Add(new RoundMetric($"{name}_p10", sorted.Length == 0 ? null : Percentile(sorted, 0.10)));
        round.Metrics.Add(new RoundMetric($"{name}_min", sorted.Length == 0 ? null : sorted[0]));
    }

    /// <summary>
    /// The <paramref name="q"/> quantile of sorted values, linear between the two nearest order statistics at position
    /// q·(n − 1) (NumPy's default, <c>numpy.percentile(..., method="linear")</c>).
    /// </summary>
    public static double Percentile(IReadOnlyList<double> sorted, double q)
    {
        double position = q * (sorted.Count - 1);
        int below = (int)Math.Floor(position);
        int above = Math.Min(below + 1, sorted.Count - 1);
        return sorted[below] + (position - below) * (sorted[above] - sorted[below]);
    }
}
