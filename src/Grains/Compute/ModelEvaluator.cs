using FedSim.Data;
using TorchSharp;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;
using FedSim.Models;

namespace FedSim.Compute;

/// <summary>Evaluates weights on a dataset in fixed-size chunks.</summary>
public static class ModelEvaluator
{
    static ModelEvaluator() => TorchRuntime.EnsureInitialized();

    /// <summary>Samples per forward pass: bounds memory whatever the test-set size.</summary>
    public const int ChunkSize = 1024;

    /// <summary>Accuracy and mean cross-entropy of one weight set over <see cref="EvaluationJob.Data"/> (or its <see cref="EvaluationJob.Indices"/>).</summary>
    public static EvaluationResult Evaluate(EvaluationJob job, torch.Device device)
    {
        ArgumentNullException.ThrowIfNull(job);
        return EvaluateMany([job], device)[0];
    }

    /// <summary>
    /// Evaluates several weight sets of one model, batched like training: jobs reading the same samples share
    /// each input chunk and run as one stacked forward pass.
    /// </summary>
    public static EvaluationResult[] EvaluateMany(IReadOnlyList<EvaluationJob> jobs, torch.Device device)
    {
        ArgumentNullException.ThrowIfNull(jobs);
        ArgumentNullException.ThrowIfNull(device);
        var results = new EvaluationResult[jobs.Count];
        // Group by (model, data, sample selection): each group shares its inputs.
        var groups = Enumerable.Range(0, jobs.Count)
            .GroupBy(i => (jobs[i].Model.Key, jobs[i].Data, jobs[i].Indices));
        foreach (var group in groups)
        {
            var members = group.ToArray();
            var part = EvaluateGroup(members.Select(i => jobs[i]).ToArray(), device);
            for (int i = 0; i < members.Length; i++) results[members[i]] = part[i];
        }
        return results;
    }

    /// <summary>
    /// Per-example logits and cross-entropy losses of several weight sets of one model on the same records, batched
    /// like <see cref="EvaluateMany"/> (one stacked forward pass per input chunk). Membership-inference attacks read
    /// these: the target's outputs on audited records and every reference model's, in one call.
    /// </summary>
    public static ExampleOutputs EvaluateExamples(ExampleOutputsJob job, torch.Device device)
    {
        ArgumentNullException.ThrowIfNull(job);
        ArgumentNullException.ThrowIfNull(device);
        var layout = ModelLayout.For(job.Model);
        if (layout.Spec.IsLanguageModel)
            throw new ArgumentException($"Membership attacks read one row of class scores per example; a {layout.Spec.Kind} predicts at every position, which they do not read yet.");
        int k = job.WeightSets.Count, n = job.Indices.Length, classes = layout.Spec.Classes;
        var logits = Enumerable.Range(0, k).Select(_ => new float[(long)n * classes]).ToArray();
        var losses = Enumerable.Range(0, k).Select(_ => new float[n]).ToArray();
        if (k == 0) return new ExampleOutputs(logits, losses, classes);
        ForEachChunk(layout, job.WeightSets, job.Data, job.Indices, device, (start, count, chunkLogits, nll, _) =>
        {
            var hostLogits = chunkLogits.contiguous().cpu().data<float>().ToArray(); // [k, count, classes]
            var hostLosses = nll.contiguous().cpu().data<float>().ToArray();         // [k, count]
            for (int j = 0; j < k; j++)
            {
                Array.Copy(hostLogits, (long)j * count * classes, logits[j], (long)start * classes, (long)count * classes);
                Array.Copy(hostLosses, (long)j * count, losses[j], start, count);
            }
        });
        return new ExampleOutputs(logits, losses, classes);
    }

    private static EvaluationResult[] EvaluateGroup(EvaluationJob[] jobs, torch.Device device)
    {
        var layout = ModelLayout.For(jobs[0].Model);
        int k = jobs.Length;
        int n = jobs[0].Indices?.Length ?? jobs[0].Data.Count;
        if (n == 0)
        {
            Validate(layout, jobs.Select(j => j.Weights).ToArray(), jobs[0].Data, jobs[0].Indices);
            return jobs.Select(_ => new EvaluationResult(0, 0, 0)).ToArray();
        }
        var correct = new long[k];
        var lossSum = new double[k];
        ForEachChunk(layout, jobs.Select(j => j.Weights).ToArray(), jobs[0].Data, jobs[0].Indices, device, (_, count, _, nll, exampleHits) =>
        {
            var sums = nll.to(ScalarType.Float64).sum(1).cpu().data<double>().ToArray();
            var hits = exampleHits.sum(1).cpu().data<long>().ToArray();
            for (int j = 0; j < k; j++)
            {
                lossSum[j] += sums[j];
                correct[j] += hits[j];
            }
        });
        // A language model predicts at every position, so its accuracy is per predicted token.
        double predictions = (double)n * layout.Spec.PredictionsPerSample;
        return Enumerable.Range(0, k).Select(j => new EvaluationResult(correct[j] / predictions, lossSum[j] / n, n)).ToArray();
    }

    private static void Validate(ModelLayout layout, IReadOnlyList<float[]> weightSets, Dataset data, int[]? indices)
    {
        for (int j = 0; j < weightSets.Count; j++) layout.Validate(weightSets[j], $"Evaluation weights #{j}");
        if (data.FeatureCount != layout.Spec.InputFeatures)
            throw new ArgumentException($"Evaluation: dataset '{data.Name}' has {data.FeatureCount} features per sample but the model expects {layout.Spec.InputFeatures}.");
        int n = indices?.Length ?? data.Count;
        for (int i = 0; i < n; i++)
        {
            int row = indices?[i] ?? i;
            if ((uint)row >= (uint)data.Count)
                throw new ArgumentException($"Evaluation: index {row} is outside dataset '{data.Name}' (0..{data.Count - 1}).");
            if ((uint)data.Labels[row] >= (uint)layout.Spec.Classes)
                throw new ArgumentException($"Evaluation: sample {row} of dataset '{data.Name}' has label {data.Labels[row]}, outside the model's {layout.Spec.Classes} classes.");
        }
    }

    /// <summary>
    /// The forward pass every evaluation shares: validates, stacks the weight sets, and calls <paramref name="onChunk"/>
    /// with (first example, examples in chunk, logits [k, count, classes] (language models: [k, count, T, V]), per-example
    /// loss [k, count], per-example correct predictions [k, count]) per chunk.
    /// </summary>
    private static void ForEachChunk(ModelLayout layout, IReadOnlyList<float[]> weightSets, Dataset data, int[]? indices, torch.Device device,
        Action<int, int, Tensor, Tensor, Tensor> onChunk)
    {
        Validate(layout, weightSets, data, indices);
        int n = indices?.Length ?? data.Count, k = weightSets.Count, features = data.FeatureCount;
        if (n == 0) return;

        using var scope = torch.NewDisposeScope();
        using var noGrad = torch.no_grad();
        var parameters = new Tensor[layout.Parameters.Count];
        for (int p = 0; p < parameters.Length; p++)
        {
            var info = layout.Parameters[p];
            var host = new float[k * info.Count];
            for (int j = 0; j < k; j++) Array.Copy(weightSets[j], info.Offset, host, j * info.Count, info.Count);
            parameters[p] = torch.tensor(host, [k, .. info.Shape.Select(s => (long)s)], device: device);
        }

        int chunk = Math.Min(ChunkSize, n);
        var xBuffer = new HostBuffer([chunk, features], ScalarType.Float32);
        var labels = new long[chunk];
        try
        {
            for (int start = 0; start < n; start += chunk)
            {
                using var chunkScope = torch.NewDisposeScope();
                int count = Math.Min(chunk, n - start);
                if (indices is null)
                    xBuffer.Write(data.Features, start * features, 0, count * features);
                else
                    for (int i = 0; i < count; i++) xBuffer.Write(data.Features, indices[start + i] * features, (long)i * features, features);
                for (int i = 0; i < count; i++) labels[i] = data.Labels[indices?[start + i] ?? start + i];

                var x = xBuffer.Tensor.narrow(0, 0, count).to(device);
                var y = torch.tensor(labels.AsSpan(0, count).ToArray(), [count], device: device);
                var xk = x.unsqueeze(0).expand(k, count, features);
                var yk = y.unsqueeze(0).expand(k, count);
                var (nll, logits) = StackedModel.ExampleLosses(layout, parameters, xk, yk, k);
                onChunk(start, count, logits, nll, StackedModel.Hits(layout, logits, xk, yk));
            }
        }
        finally
        {
            xBuffer.Tensor.Dispose();
        }
    }
}
