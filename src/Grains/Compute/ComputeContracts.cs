using FedSim.GrainInterfaces;
using FedSim.Data;
using FedSim.Training;
using FedSim.Models;

namespace FedSim.Compute;

/// <summary>One device's local-training request to the compute pool.</summary>
/// <param name="DeviceId">For ordering, metrics and error messages.</param>
/// <param name="Model">Architecture.</param>
/// <param name="Plan">Optimizer and step plan.</param>
/// <param name="GlobalWeights">Starting weights (flat, canonical layout of <see cref="Model"/>); not modified.</param>
/// <param name="Shard">The device's private data.</param>
/// <param name="Seed">Derived seed(experiment, round, device, LocalTraining): drives minibatch order.</param>
/// <param name="MaxSteps">Cap on local steps (a straggler's partial work); null trains the whole plan.</param>
/// <param name="DeviceVectors">Per-device input vectors the plan's modifiers read (SCAFFOLD's correction), flat in the
/// canonical layout; stacked like the weights in a cohort.</param>
/// <param name="GlobalId">Names <see cref="GlobalWeights"/> when they are a round's global model: the pool uploads a named
/// model to its device once (<see cref="GlobalModelsOnDevice"/>), however many jobs and cohorts start from it. Jobs
/// without a name (an attacker's shadow models, the server's root update) upload their own weights.</param>
/// <param name="SumOnPool">Add the delta, weighted by the shard's example count, to the sum of the cohort's jobs of the same
/// round (<see cref="GlobalId"/>, required) on the pool's device, instead of returning it: the result carries no delta,
/// and one job of each such sum carries the sum (<see cref="TrainingResult.Carries"/>).</param>
public sealed record TrainingJob(long DeviceId, ModelSpec Model, TrainingPlan Plan, float[] GlobalWeights, ShardView Shard, ulong Seed,
    int? MaxSteps = null, IReadOnlyDictionary<string, float[]>? DeviceVectors = null, GlobalModelId? GlobalId = null, bool SumOnPool = false)
{
    /// <summary>The device's input vector <paramref name="name"/>; a clear error when the job lacks it.</summary>
    public float[] Vector(string name) => DeviceVectors?.GetValueOrDefault(name)
        ?? throw new ArgumentException($"device {DeviceId}: the plan needs the per-device vector '{name}', which the job does not carry");
}

/// <summary>What local training returns: the weight delta (trained minus global) and statistics.</summary>
/// <param name="Delta">Trained minus starting weights; empty for a job summed on the pool.</param>
public sealed record TrainingResult(float[] Delta, int Examples, int Steps, float MeanLoss)
{
    /// <summary>‖Δ‖₂, accumulated in double where the delta was formed; NaN where it was not measured (a trainer of its own).</summary>
    public double UpdateNorm { get; init; } = double.NaN;

    /// <summary>A summed job: the cohort's sum of its round, carried by the sum's first device (null for the others).</summary>
    public PooledSum? Carries { get; init; }

    /// <summary>A summed job: why its delta was left out of the sum (not finite, or beyond <see cref="Strategies.ExactSum.Bound"/>); else null.</summary>
    public string? LeftOut { get; init; }
}

/// <summary>Evaluate one set of weights on a dataset (or part of it).</summary>
public sealed record EvaluationJob(ModelSpec Model, float[] Weights, Dataset Data, int[]? Indices = null);

public sealed record EvaluationResult(double Accuracy, double Loss, int Examples);

/// <summary>Per-example outputs of several weight sets of one model on the same records (rows of <paramref name="Data"/>).</summary>
public sealed record ExampleOutputsJob(ModelSpec Model, IReadOnlyList<float[]> WeightSets, Dataset Data, int[] Indices);

/// <summary>
/// Per weight set: logits row-major per example (<see cref="Classes"/> per row) and the cross-entropy loss of each
/// example, in the job's record order.
/// </summary>
public sealed record ExampleOutputs(float[][] Logits, float[][] Losses, int Classes);

/// <summary>
/// The silo's shared compute pool. Grains await it; it runs TorchSharp work on its own threads,
/// never on the Orleans scheduler, and may train many queued jobs together as one batched program.
/// </summary>
public interface IComputePool
{
    Task<TrainingResult> TrainAsync(TrainingJob job, CancellationToken cancellationToken = default);

    Task<EvaluationResult> EvaluateAsync(EvaluationJob job, CancellationToken cancellationToken = default);

    /// <summary>Per-example logits and losses of several weight sets (membership-inference audits), on the pool's workers.</summary>
    Task<ExampleOutputs> EvaluateExamplesAsync(ExampleOutputsJob job, CancellationToken cancellationToken = default);

    /// <summary>The torch device actually used ("cpu" or "cuda").</summary>
    string DeviceName { get; }

    PoolMetrics Snapshot();
}
