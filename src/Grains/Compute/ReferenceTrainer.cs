using System.Runtime.InteropServices;
using FedSim.Scenario;
using FedSim.Training;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;
using FedSim.Models;

namespace FedSim.Compute;

/// <summary>
/// Trains one device the ordinary way: torch modules (nn.Linear, nn.Conv2d), one minibatch tensor per step, and
/// the optimizer update PyTorch's torch.optim applies (SGD, SGD with momentum, Adam). It is what a plain simulator
/// does, the one-by-one baseline for benchmarks, and the independent check that <see cref="BatchedTrainer"/>
/// computes the same update (a test checks it against TorchSharp's torch.optim itself).
/// </summary>
/// <remarks>
/// The update is written out rather than delegated to TorchSharp's torch.optim, whose step passes each learning
/// rate as a temporary <see cref="Scalar"/>: TorchSharp 0.107's Scalar has only a finalizer, so a garbage collection
/// during the native call can free it while libtorch reads it (a `toFloat` failure at Scalar.h:140, or a silently
/// wrong step). Every Scalar here is held in a local for the whole call. Per step, nothing is allocated on the
/// managed heap: the batch is written into one reused host tensor, and the loss is summed on the device and read
/// once at the end (no per-step item() synchronisation).
/// </remarks>
public static class ReferenceTrainer
{
    static ReferenceTrainer() => TorchRuntime.EnsureInitialized();

    private const double AdamBeta2 = 0.999;
    private const double AdamEpsilon = 1e-8;

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

        var model = CachedModule(layout, device);
        using var scope = torch.NewDisposeScope();
        using var grad = torch.enable_grad();
        var parameters = model.parameters().ToArray();
        Load(layout, parameters, job.GlobalWeights, device);
        // The one-device twin of the batched trainer's hook inputs, in module orientation.
        Tensor[]? starts = gradientHooks.Any(h => h.NeedsStartWeights) ? Oriented(layout, job.GlobalWeights, device) : null;
        var deviceVectors = gradientHooks.Select(h => h.DeviceVector).OfType<string>().Distinct()
            .ToDictionary(name => name, name => Oriented(layout, job.Vector(name), device));

        foreach (var p in parameters) p.grad?.zero_(); // a call that failed mid-way may have left gradients behind
        var state1 = plan.Optimizer == OptimizerKinds.Sgd ? null : parameters.Select(p => torch.zeros_like(p)).ToArray();
        var state2 = plan.Optimizer == OptimizerKinds.Adam ? parameters.Select(p => torch.zeros_like(p)).ToArray() : null;
        // Held for the whole call (see the remarks): never a temporary Scalar in a native call.
        using var negativeLearningRate = (-plan.LearningRate).ToScalar();
        using var momentum = plan.Momentum.ToScalar();
        using var beta1 = ((double)plan.Momentum).ToScalar();
        using var oneMinusBeta1 = (1 - (double)plan.Momentum).ToScalar();
        using var beta2 = AdamBeta2.ToScalar();
        using var oneMinusBeta2 = (1 - AdamBeta2).ToScalar();
        using var epsilon = AdamEpsilon.ToScalar();
        var one = HeldScalars.One;

        var data = job.Shard.Source;
        int features = data.FeatureCount, batch = Math.Max(1, schedule.MaxBatch); // Poisson batches vary in size
        var x = new HostBuffer([batch, features], ScalarType.Float32);
        var y = new HostBuffer([batch], ScalarType.Int64);
        var rows = new int[batch];
        var labels = new long[batch];
        var sample = new float[features]; // one sample's features while input hooks transform them
        var inputShape = InputShape(layout, batch);
        var lossSum = torch.zeros(1, device: device);
        using var noise = dp is null ? null : new DpNoise(job.Seed, device);
        double privateLossSum = 0;
        for (int t = 0; t < schedule.Steps; t++)
        {
            using var stepScope = torch.NewDisposeScope();
            int count = schedule.Batch(t, rows);
            for (int i = 0; i < count; i++)
            {
                int row = rows[i];
                labels[i] = data.Labels[row];
                if (inputHooks.Length == 0)
                {
                    x.Write(data.Features, row * features, (long)i * features, features);
                    continue;
                }
                Array.Copy(data.Features, row * features, sample, 0, features);
                foreach (var hook in inputHooks) hook.TransformSample(sample, ref labels[i], job.Seed, row);
                x.Write(sample, 0, (long)i * features, features);
            }
            y.Write(labels, 0, 0, count);
            inputShape[0] = count;
            var xs = x.Tensor.narrow(0, 0, count).view(inputShape);
            var ys = y.Tensor.narrow(0, 0, count);
            if (device.type != DeviceType.CPU) (xs, ys) = (xs.to(device), ys.to(device));

            if (dp is not null)
                privateLossSum += PrivateStep(dp, model, parameters, layout, xs, ys, count, noise!.Next(layout.Count), plan.BatchSize);
            else
            {
                var loss = F.cross_entropy(model.forward(xs), ys);
                loss.backward();
                using var lossNoGrad = torch.no_grad();
                lossSum.add_(loss.detach(), one);
            }

            using var noGrad = torch.no_grad();
            for (int i = 0; i < parameters.Length; i++)
                foreach (var hook in gradientHooks)
                    hook.AdjustGradient(parameters[i].grad!, parameters[i], starts?[i],
                        hook.DeviceVector is { } name ? deviceVectors[name][i] : null);
            int step = t + 1;
            for (int i = 0; i < parameters.Length; i++)
            {
                var p = parameters[i];
                var g = p.grad!;
                switch (plan.Optimizer)
                {
                    case OptimizerKinds.Sgd:
                        p.add_(g, negativeLearningRate);
                        break;
                    case OptimizerKinds.Momentum:
                        // torch.optim.SGD with momentum (dampening 0, no Nesterov): buf = g at the first step, then mu*buf + g.
                        if (t == 0) state1![i].copy_(g); else state1![i].mul_(momentum).add_(g, one);
                        p.add_(state1[i], negativeLearningRate);
                        break;
                    default:
                    {
                        // torch.optim.Adam (amsgrad off, no weight decay), bias-corrected by the step count.
                        state1![i].mul_(beta1).add_(g, oneMinusBeta1);
                        state2![i].mul_(beta2).addcmul_(g, g, oneMinusBeta2);
                        double bc1 = 1 - Math.Pow(plan.Momentum, step), bc2 = 1 - Math.Pow(AdamBeta2, step);
                        using var sqrtBc2 = Math.Sqrt(bc2).ToScalar();
                        using var stepSize = (-plan.LearningRate / bc1).ToScalar();
                        var denom = state2[i].sqrt().div_(sqrtBc2).add_(epsilon);
                        p.addcdiv_(state1[i], denom, stepSize);
                        break;
                    }
                }
                g.zero_();
            }
        }

        float meanLoss = (float)((lossSum.cpu().item<float>() + privateLossSum) / schedule.Steps);
        x.Tensor.Dispose();
        y.Tensor.Dispose();
        var trained = Save(layout, parameters);
        var delta = new float[layout.Count];
        for (int i = 0; i < delta.Length; i++) delta[i] = trained[i] - job.GlobalWeights[i];
        return new TrainingResult(delta, job.Shard.Count, schedule.Steps, meanLoss);
    }

    /// <summary>This thread's module for the layout on the device: built once and reused, as a training loop reuses
    /// its model for every client (building a module initialises every weight randomly, only to be overwritten).</summary>
    private static Sequential CachedModule(ModelLayout layout, torch.Device device)
    {
        var cache = t_modules ??= new Dictionary<(string, string), Sequential>();
        var key = (layout.Spec.Key, device.ToString());
        if (!cache.TryGetValue(key, out var module))
        {
            module = Build(layout);
            module.to(device);
            cache[key] = module;
        }
        return module;
    }

    [ThreadStatic] private static Dictionary<(string, string), Sequential>? t_modules;

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
            double squared = parameters.Sum(p => p.grad!.square().sum().item<float>() * 1.0);
            using var factor = dp.ClipFactor(Math.Sqrt(squared)).ToScalar(); // held: see the remarks
            for (int i = 0; i < parameters.Length; i++) sums[i].add_(parameters[i].grad!, factor);
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
