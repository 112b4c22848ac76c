using FedSim.Models;
using FedSim.Scenario;

namespace FedSim.Compute;

/// <summary>
/// Estimated resident bytes of a job once the pool admits it into a cohort. Deliberately rough and on the
/// high side: the pool uses it only to bound how much work is resident at once, not to size allocations.
/// </summary>
public static class ComputePoolMemory
{
    /// <summary>Tensor headers, result arrays and other per-job bookkeeping.</summary>
    public const long PerJobOverheadBytes = 16 << 10;

    /// <summary>Chunk size assumed for evaluation (the evaluator walks the data in fixed-size chunks).</summary>
    public const int EvaluationChunkSamples = 1024;

    /// <summary>
    /// Weights + delta + gradient + optimizer state (all P floats, P = <c>GlobalWeights.Length</c>), plus the job's
    /// share of the cohort's gathered tensors: its shard (features + int64 labels), one minibatch of inputs and
    /// the activations of that minibatch with their gradients.
    /// </summary>
    public static long EstimateBytes(TrainingJob job)
    {
        ArgumentNullException.ThrowIfNull(job);
        long parameters = job.GlobalWeights.Length;
        // Per-device input vectors (SCAFFOLD's correction) are stacked like the weights.
        long paramCopies = 3 + ModelBudget.OptimizerStateCopies(job.Plan.Optimizer) + (job.DeviceVectors?.Count ?? 0);
        long features = Math.Max(1, job.Model.InputFeatures);
        long samples = job.Shard.Count;
        long batch = Math.Clamp(job.Plan.BatchSize, 1, (int)Math.Max(1, samples));
        long shardBytes = samples * (features * sizeof(float) + sizeof(long));
        long batchBytes = batch * (features * sizeof(float) + sizeof(long) + 2 * ActivationFloats(job.Model) * sizeof(float));
        return Saturate(parameters * sizeof(float) * paramCopies + shardBytes + batchBytes + PerJobOverheadBytes);
    }

    /// <summary>The weights, one chunk of inputs and its activations (no gradients: evaluation runs without autograd).</summary>
    public static long EstimateBytes(EvaluationJob job)
    {
        ArgumentNullException.ThrowIfNull(job);
        long samples = job.Indices?.Length ?? job.Data.Count;
        long chunk = Math.Clamp(samples, 1, EvaluationChunkSamples);
        long features = Math.Max(1, job.Model.InputFeatures);
        long chunkBytes = chunk * (features * sizeof(float) + sizeof(long) + ActivationFloats(job.Model) * sizeof(float));
        return Saturate((long)job.Weights.Length * sizeof(float) + chunkBytes + PerJobOverheadBytes);
    }

    /// <summary>Floats of activation per sample in a forward pass (the backward pass keeps as many gradients).</summary>
    internal static long ActivationFloats(ModelSpec model)
    {
        long classes = Math.Max(1, model.Classes);
        switch (model.Kind?.ToLowerInvariant())
        {
            case ModelKinds.Logistic:
                return classes;
            case ModelKinds.Mlp:
                return model.Hidden.Sum(h => (long)h) + classes;
            case ModelKinds.Cnn when model.Image is { } image && model.Channels.Length >= 2:
                // Two conv layers, each followed by 2x2 max-pooling (assume 'same' padding: the upper bound).
                long plane = (long)image.Height * image.Width;
                long c1 = model.Channels[0], c2 = model.Channels[1];
                return c1 * plane + c1 * plane / 4 + c2 * plane / 4 + c2 * plane / 16 + model.Dense + classes;
            case ModelKinds.Lstm:
            {
                // Per position: the embedding, each layer's gates (4H) and their activations, cell and hidden state
                // (about 12H in all), the logits and their softmax.
                long perLayer = model.Hidden.Sum(h => 12L * h);
                return model.InputFeatures * (model.Embedding + perLayer + 2 * classes);
            }
            case ModelKinds.Transformer:
            {
                // Per position and block: norms, q/k/v, attention output and projections, residuals (about 10D), the
                // MLP's two activations (2M), and a row of scores and their softmax per head (2·heads·T).
                long d = model.Embedding, perBlock = 10 * d + 2L * model.Dense + 2L * model.Heads * model.InputFeatures;
                return model.InputFeatures * (3 * d + model.Layers * perBlock + 2 * classes);
            }
            default:
                return Math.Max(1, model.InputFeatures) + classes;
        }
    }

    private static long Saturate(long bytes) => bytes < 0 ? long.MaxValue : bytes;
}
