using FedSim.Strategies;

namespace FedSim.Rounds;

/// <summary>A model's accuracy and mean loss on an evaluation set.</summary>
public sealed record ModelScore(double Accuracy, double Loss);

/// <summary>
/// One round's results on their way through the stages that run after the devices answered: aggregation,
/// the server step, evaluation, attack metrics. Stages read what earlier ones wrote and add their own
/// metrics; any stage may ask the run to stop.
/// </summary>
public sealed class RoundResults(RoundContext context, float[] globalWeights, IReadOnlyList<DeviceResult> results, IReadOnlyList<DeviceFailure> failures)
{
    public RoundContext Context { get; } = context;

    /// <summary>The global weights the round started from.</summary>
    public float[] GlobalWeights { get; } = globalWeights;

    /// <summary>Usable client results, sorted by device.</summary>
    public IReadOnlyList<DeviceResult> Results { get; } = results;

    public IReadOnlyList<DeviceFailure> Failures { get; } = failures;

    /// <summary>The server's own update on its root data (FLTrust), when the aggregator wants one.</summary>
    public float[]? ServerUpdate { get; set; }

    /// <summary>The combined update (null: nothing usable, the model stays).</summary>
    public double[]? Update { get; set; }

    /// <summary>
    /// The combined update as the server computed it before central DP added its noise (null without central DP):
    /// the server holds it, so the server's attacker is handed it instead of the noised <see cref="Update"/>.
    /// </summary>
    public double[]? UpdateBeforeNoise { get; set; }

    /// <summary>Devices whose updates the aggregator used.</summary>
    public IReadOnlyList<long> Used { get; set; } = [];

    /// <summary>The next global weights (set by the server step).</summary>
    public float[]? NextWeights { get; set; }

    /// <summary>Accuracy and loss of the next model on the held-out test data, when evaluated this round.</summary>
    public ModelScore? Evaluation { get; set; }

    /// <summary>Per-device evaluation: each evaluated device's accuracy (evaluation rounds only).</summary>
    public IReadOnlyList<DeviceAccuracy>? DeviceAccuracies { get; set; }

    public List<RoundMetric> Metrics { get; } = [];

    /// <summary>Set by a stage that ends the run; the reason is reported to the user.</summary>
    public string? StopReason { get; set; }

    /// <summary>
    /// Set by a stage that ends the run normally after this round (a spent privacy budget): the run is finished, not
    /// failed. Later stages still run (the last model is evaluated).
    /// </summary>
    public string? FinishReason { get; set; }

    /// <summary>Under secure aggregation: the sum the protocol revealed (the coordinator holds no individual update, so <see cref="Results"/> is empty).</summary>
    public SecureSum? SecureSum { get; set; }

    /// <summary>
    /// When the compute pools summed the round's updates: their total (the coordinator holds no individual update, so
    /// <see cref="Results"/> is empty).
    /// </summary>
    public PooledTotal? PooledTotal { get; set; }

    /// <summary>Under local DP: the ε each delivering device reported for itself (example level, after this round).</summary>
    public IReadOnlyList<double> LocalEpsilons { get; set; } = [];
}

/// <summary>
/// What secure aggregation revealed to the coordinator: the real-valued sum of the contributors' encoded vectors (the
/// model coordinates, then the extra coordinate of <paramref name="Encoding"/>), and who contributed.
/// </summary>
public sealed record SecureSum(double[] Sum, IReadOnlyList<long> Contributors, Privacy.SecureAggregation.SecAggEncoding Encoding);

/// <summary>One step after aggregation (pfl-research-style callbacks): may add metrics or stop the run.</summary>
public interface IRoundStage
{
    Task RunAsync(RoundResults round, CancellationToken cancellationToken);
}

/// <summary>The ordered stages of every round; the coordinator grain runs it and then checkpoints and publishes.</summary>
public sealed class RoundPipeline(IReadOnlyList<IRoundStage> stages)
{
    public IReadOnlyList<IRoundStage> Stages { get; } = stages;

    public async Task RunAsync(RoundResults round, CancellationToken cancellationToken)
    {
        foreach (var stage in Stages)
        {
            await stage.RunAsync(round, cancellationToken);
            if (round.StopReason is not null) return;
        }
    }
}
