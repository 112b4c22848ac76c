using System.Runtime.InteropServices;
using FedSim.Contracts;
using FedSim.Training;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace FedSim.Compute;

/// <summary>
/// Trains one device the ordinary way: torch modules (nn.Linear, nn.Conv2d) and torch.optim, one minibatch
/// tensor per step. It is what a plain simulator does, the one-by-one baseline for benchmarks, and the
/// independent check that <see cref="BatchedTrainer"/> computes the same update.
/// </summary>
public static class ReferenceTrainer
{
    static ReferenceTrainer() => TorchRuntime.EnsureInitialized();

    public static TrainingResult Train(TrainingJob job, torch.Device device)
    {
        ArgumentNullException.ThrowIfNull(job);
        ArgumentNullException.ThrowIfNull(device);
        var layout = ModelLayout.For(job.Model);
        BatchedTrainer.ValidatePlan(job.Plan, job.DeviceId);
        layout.Validate(job.GlobalWeights, $"Global weights of device {job.DeviceId}");
        BatchedTrainer.ValidateShard(job, layout);

        var plan = job.Plan;
        var hooks = TrainingHook.For(plan, layout, job.Shard.Source);
        var dp = hooks.OfType<TrainingHook.DpSgdHook>().FirstOrDefault();
        var schedule = new MinibatchSchedule(job.Shard.Indices, job.Seed, plan.BatchSize, plan.LocalEpochs, job.MaxSteps, poisson: dp is not null);
        var inputHooks = hooks.Where(h => h.TransformsInputs).ToArray();
        var gradientHooks = hooks.Where(h => h.AdjustsGradients).ToArray();
        if (schedule.Steps == 0) return new TrainingResult(new float[layout.Count], job.Shard.Count, 0, 0f);

        using var scope = torch.NewDisposeScope();
        using var grad = torch.enable_grad();
        var model = Build(layout);
        model.to(device);
        var parameters = model.parameters().ToArray();
        Load(layout, parameters, job.GlobalWeights, device);
        // The one-device twin of the batched trainer's hook inputs, in module orientation.
        Tensor[]? starts = gradientHooks.Any(h => h.NeedsStartWeights) ? Oriented(layout, job.GlobalWeights, device) : null;
        var deviceVectors = gradientHooks.Select(h => h.DeviceVector).OfType<string>().Distinct()
            .ToDictionary(name => name, name => Oriented(layout, job.Vector(name), device));

        optim.Optimizer optimizer = plan.Optimizer switch
        {
            OptimizerKinds.Sgd => optim.SGD(parameters, plan.LearningRate),
            OptimizerKinds.Momentum => optim.SGD(parameters, plan.LearningRate, momentum: plan.Momentum),
            _ => optim.Adam(parameters, plan.LearningRate, beta1: plan.Momentum, beta2: 0.999, eps: 1e-8),
        };

        var data = job.Shard.Source;
        int features = data.FeatureCount;
        var rows = new int[Math.Max(1, schedule.MaxBatch)];
        using var noise = dp is null ? null : new DpNoise(job.Seed, device);
        double lossSum = 0;
        for (int t = 0; t < schedule.Steps; t++)
        {
            using var stepScope = torch.NewDisposeScope();
            int count = schedule.Batch(t, rows);
            var xs = new float[count * features];
            var ys = new long[count];
            for (int i = 0; i < count; i++)
            {
                Array.Copy(data.Features, rows[i] * features, xs, i * features, features);
                ys[i] = data.Labels[rows[i]];
                foreach (var hook in inputHooks) hook.TransformSample(xs.AsSpan(i * features, features), ref ys[i], job.Seed, rows[i]);
            }
            var x = torch.tensor(xs, InputShape(layout, count), device: device);
            var y = torch.tensor(ys, [count], device: device);
            optimizer.zero_grad();
            if (dp is not null)
            {
                lossSum += PrivateStep(dp, model, parameters, layout, x, y, count, noise!.Next(layout.Count), plan.BatchSize);
            }
            else
            {
                var loss = F.cross_entropy(model.forward(x), y);
                loss.backward();
                lossSum += loss.item<float>();
            }
            if (gradientHooks.Length > 0)
            {
                using var noGrad = torch.no_grad();
                for (int i = 0; i < parameters.Length; i++)
                    foreach (var hook in gradientHooks)
                        hook.AdjustGradient(parameters[i].grad!, parameters[i], starts?[i],
                            hook.DeviceVector is { } name ? deviceVectors[name][i] : null);
            }
            optimizer.step();
        }

        var trained = Save(layout, parameters);
        var delta = new float[layout.Count];
        for (int i = 0; i < delta.Length; i++) delta[i] = trained[i] - job.GlobalWeights[i];
        return new TrainingResult(delta, job.Shard.Count, schedule.Steps, (float)(lossSum / schedule.Steps));
    }

    /// <summary>
    /// DP-SGD's step gradient the plain way, one example at a time (the independent check of the batched per-example
    /// gradients): each example's own autograd gradient, its norm over all parameters, the clipped sum, then noise
    /// (the canonical draw, oriented like the module's parameters) and the division by the expected batch. Leaves the
    /// result in the parameters' .grad and returns the step's summed loss over the expected batch.
    /// </summary>
    private static double PrivateStep(TrainingHook.DpSgdHook dp, Sequential model, Parameter[] parameters, ModelLayout layout,
        Tensor x, Tensor y, int count, Tensor noise, int expectedBatch)
    {
        var sums = parameters.Select(p => torch.zeros_like(p)).ToArray();
        double loss = 0;
        for (int b = 0; b < count; b++)
        {
            foreach (var p in parameters) p.grad?.zero_();
            var example = F.cross_entropy(model.forward(x.narrow(0, b, 1)), y.narrow(0, b, 1));
            example.backward();
            loss += example.item<float>();
            using var noGrad = torch.no_grad();
            double squared = parameters.Sum(p => p.grad!.pow(2).sum().item<float>() * 1.0);
            double factor = dp.ClipFactor(Math.Sqrt(squared));
            for (int i = 0; i < parameters.Length; i++) sums[i].add_(parameters[i].grad!, alpha: factor);
        }
        using (torch.no_grad())
        {
            var oriented = Oriented(layout, noise);
            for (int i = 0; i < parameters.Length; i++) parameters[i].grad = dp.Finish(sums[i], oriented[i], expectedBatch);
        }
        return loss / expectedBatch;
    }

    /// <summary>A flat canonical tensor as one tensor per parameter, shaped and oriented like the module's parameters.</summary>
    private static Tensor[] Oriented(ModelLayout layout, Tensor flat)
        => layout.Parameters.Select(info =>
        {
            var part = flat.narrow(0, info.Offset, info.Count).reshape(info.Shape.Select(s => (long)s).ToArray());
            return info.Role == ParameterRole.LinearWeight ? part.t().contiguous() : part;
        }).ToArray();

    private static long[] InputShape(ModelLayout layout, int count)
        => layout.Spec.Image is { } img && layout.Spec.Kind == ModelKinds.Cnn
            ? [count, img.Channels, img.Height, img.Width]
            : [count, layout.Spec.InputFeatures];

    /// <summary>The layout as a torch module whose parameters() come in canonical order.</summary>
    internal static Sequential Build(ModelLayout layout)
    {
        var modules = new List<(string, nn.Module<Tensor, Tensor>)>();
        if (layout.Spec.Kind == ModelKinds.Cnn)
        {
            var img = layout.Spec.Image!.Value;
            int c1 = layout.Spec.Channels[0], c2 = layout.Spec.Channels[1];
            modules.Add(("conv1", nn.Conv2d(img.Channels, c1, ModelLayout.ConvKernel, padding: ModelLayout.ConvPadding)));
            modules.Add(("relu1", nn.ReLU()));
            modules.Add(("pool1", nn.MaxPool2d(2, 2)));
            modules.Add(("conv2", nn.Conv2d(c1, c2, ModelLayout.ConvKernel, padding: ModelLayout.ConvPadding)));
            modules.Add(("relu2", nn.ReLU()));
            modules.Add(("pool2", nn.MaxPool2d(2, 2)));
            modules.Add(("flatten", nn.Flatten()));
        }
        var dense = layout.DenseLayers;
        for (int l = 0; l < dense.Count; l++)
        {
            modules.Add(($"fc{l + 1}", nn.Linear(dense[l].In, dense[l].Out)));
            if (l < dense.Count - 1) modules.Add(($"act{l + 1}", nn.ReLU()));
        }
        return nn.Sequential(modules);
    }

    /// <summary>Copies canonical weights into module parameters (nn.Linear keeps weight as [out, in]).</summary>
    internal static void Load(ModelLayout layout, Parameter[] parameters, float[] weights, torch.Device device)
    {
        using var noGrad = torch.no_grad();
        for (int i = 0; i < layout.Parameters.Count; i++)
        {
            var info = layout.Parameters[i];
            using var source = torch.tensor(weights.AsSpan(info.Offset, info.Count).ToArray(), info.Shape.Select(s => (long)s).ToArray(), device: device);
            using var oriented = info.Role == ParameterRole.LinearWeight ? source.t() : source.alias();
            parameters[i].copy_(oriented);
        }
    }

    /// <summary>A flat canonical vector as one tensor per parameter, shaped and oriented like the module's parameters.</summary>
    internal static Tensor[] Oriented(ModelLayout layout, float[] flat, torch.Device device)
    {
        layout.Validate(flat, "Per-parameter vector");
        var result = new Tensor[layout.Parameters.Count];
        for (int i = 0; i < result.Length; i++)
        {
            var info = layout.Parameters[i];
            var source = torch.tensor(flat.AsSpan(info.Offset, info.Count).ToArray(), info.Shape.Select(s => (long)s).ToArray(), device: device);
            result[i] = info.Role == ParameterRole.LinearWeight ? source.t().contiguous() : source;
        }
        return result;
    }

    /// <summary>Reads module parameters back into the canonical flat layout.</summary>
    internal static float[] Save(ModelLayout layout, Parameter[] parameters)
    {
        var flat = new float[layout.Count];
        for (int i = 0; i < layout.Parameters.Count; i++)
        {
            var info = layout.Parameters[i];
            using var value = parameters[i].detach();
            using var oriented = info.Role == ParameterRole.LinearWeight ? value.t().contiguous() : value.contiguous();
            using var host = oriented.cpu();
            MemoryMarshal.Cast<byte, float>(host.bytes).CopyTo(flat.AsSpan(info.Offset, info.Count));
        }
        return flat;
    }
}
