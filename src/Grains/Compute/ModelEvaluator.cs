using FedSim.Data;
using TorchSharp;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

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

    private static EvaluationResult[] EvaluateGroup(EvaluationJob[] jobs, torch.Device device)
    {
        var layout = ModelLayout.For(jobs[0].Model);
        var data = jobs[0].Data;
        var indices = jobs[0].Indices;
        for (int j = 0; j < jobs.Length; j++) layout.Validate(jobs[j].Weights, $"Evaluation weights #{j}");
        if (data.FeatureCount != layout.Spec.InputFeatures)
            throw new ArgumentException($"Evaluation: dataset '{data.Name}' has {data.FeatureCount} features per sample but the model expects {layout.Spec.InputFeatures}.");
        int n = indices?.Length ?? data.Count, k = jobs.Length, features = data.FeatureCount;
        for (int i = 0; i < n; i++)
        {
            int row = indices?[i] ?? i;
            if ((uint)row >= (uint)data.Count)
                throw new ArgumentException($"Evaluation: index {row} is outside dataset '{data.Name}' (0..{data.Count - 1}).");
            if ((uint)data.Labels[row] >= (uint)layout.Spec.Classes)
                throw new ArgumentException($"Evaluation: sample {row} of dataset '{data.Name}' has label {data.Labels[row]}, outside the model's {layout.Spec.Classes} classes.");
        }
        if (n == 0) return jobs.Select(_ => new EvaluationResult(0, 0, 0)).ToArray();

        using var scope = torch.NewDisposeScope();
        using var noGrad = torch.no_grad();
        var parameters = new Tensor[layout.Parameters.Count];
        for (int p = 0; p < parameters.Length; p++)
        {
            var info = layout.Parameters[p];
            var host = new float[k * info.Count];
            for (int j = 0; j < k; j++) Array.Copy(jobs[j].Weights, info.Offset, host, j * info.Count, info.Count);
            parameters[p] = torch.tensor(host, [k, .. info.Shape.Select(s => (long)s)], device: device);
        }

        int chunk = Math.Min(ChunkSize, n);
        var xBuffer = new HostBuffer([chunk, features], ScalarType.Float32);
        var labels = new long[chunk];
        var correct = torch.zeros(k, ScalarType.Int64, device);
        var lossSum = torch.zeros(k, ScalarType.Float64, device);
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
            var logits = StackedModel.Logits(layout, parameters, x.unsqueeze(0).expand(k, count, features), k);
            var yk = y.unsqueeze(0).expand(k, count);
            var nll = F.cross_entropy(logits.reshape(k * count, layout.Spec.Classes), yk.reshape(k * count), reduction: nn.Reduction.None);
            // The held alpha: a temporary Scalar could be freed mid-call (see HeldScalars).
            lossSum.add_(nll.view(k, count).to(ScalarType.Float64).sum(1), HeldScalars.One);
            correct.add_(logits.argmax(2).eq(yk).sum(1), HeldScalars.One);
        }
        var losses = lossSum.cpu().data<double>().ToArray();
        var hits = correct.cpu().data<long>().ToArray();
        xBuffer.Tensor.Dispose();
        return Enumerable.Range(0, k).Select(j => new EvaluationResult((double)hits[j] / n, losses[j] / n, n)).ToArray();
    }
}
