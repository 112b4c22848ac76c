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
/// wrong step). Every Scalar here is held for the whole call. Per step, nothing is allocated on the
/// managed heap: the batch is written into one reused host tensor, and the loss is summed on the device and read
/// once at the end (no per-step item() synchronisation).
/// </remarks>
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
        if (plan.Precision == Precisions.Bf16)
            throw new ArgumentException($"device {job.DeviceId}: the reference trainer (torch modules, one device at a time) trains in fp32 or tf32, not bf16.");
        var hooks = TrainingHook.For(plan, layout, job.Shard.Source);
        var dp = hooks.OfType<TrainingHook.DpSgdHook>().FirstOrDefault();
        var schedule = new MinibatchSchedule(job.Shard.Indices, job.Seed, plan.BatchSize, plan.LocalEpochs, job.MaxSteps, poisson: dp is not null);
        if (schedule.Steps == 0) return new TrainingResult(new float[layout.Count], job.Shard.Count, 0, 0f);

        var model = CachedModule(layout, device);
        using var precision = Autocast.Enter(plan.Precision, device);
        using var scope = torch.NewDisposeScope();
        using var grad = torch.enable_grad();
        var parameters = ModuleParameters(model, layout);
        Load(layout, parameters, job.GlobalWeights, device);
        var gradientHooks = new ModuleGradientHooks(hooks, layout, job, device);
        foreach (var p in parameters) p.grad?.zero_(); // a call that failed mid-way may have left gradients behind
        using var optimizer = ModuleOptimizer.For(plan, parameters);
        var batches = new HostBatches(job, layout, schedule, hooks, device);
        using var gradients = dp is null ? (StepGradients)new Autograd(layout, device) : new Private(dp, layout, job.Seed, schedule.ExpectedBatch, device);
        for (int t = 0; t < schedule.Steps; t++)
        {
            using var stepScope = torch.NewDisposeScope();
            var (xs, ys, count) = batches.Step(t);
            gradients.Backward(model, parameters, xs, ys, count);

            using var noGrad = torch.no_grad();
            gradientHooks.Adjust(parameters);
            optimizer.Step(parameters, t + 1);
        }

        float meanLoss = gradients.MeanLoss(schedule.Steps);
        batches.Dispose();
        var trained = Save(layout, parameters);
        var delta = new float[layout.Count];
        for (int i = 0; i < delta.Length; i++) delta[i] = trained[i] - job.GlobalWeights[i];
        return new TrainingResult(delta, job.Shard.Count, schedule.Steps, meanLoss);
    }

    /// <summary>
    /// One device's minibatches, written into reused host tensors (through the plan's input hooks, which rewrite a
    /// copy of each row) and moved to the device.
    /// </summary>
    private sealed class HostBatches : IDisposable
    {
        private readonly Data.Dataset _data;
        private readonly MinibatchSchedule _schedule;
        private readonly TrainingHook[] _inputHooks;
        private readonly ulong _seed;
        private readonly torch.Device _device;
        private readonly int _features;
        private readonly HostBuffer _x, _y;
        private readonly int[] _rows;
        private readonly long[] _labels;
        private readonly float[] _sample; // one sample's features while input hooks transform them
        private readonly long[] _inputShape;

        public HostBatches(TrainingJob job, ModelLayout layout, MinibatchSchedule schedule, TrainingHook[] hooks, torch.Device device)
        {
            (_data, _schedule, _seed, _device) = (job.Shard.Source, schedule, job.Seed, device);
            _inputHooks = hooks.Where(h => h.TransformsInputs).ToArray();
            int batch = Math.Max(1, schedule.MaxBatch); // Poisson batches vary in size
            _features = _data.FeatureCount;
            _x = new HostBuffer([batch, _features], ScalarType.Float32);
            _y = new HostBuffer([batch], ScalarType.Int64);
            _rows = new int[batch];
            _labels = new long[batch];
            _sample = new float[_features];
            _inputShape = InputShape(layout, batch);
        }

        /// <summary>Step <paramref name="t"/>'s inputs (shaped for the module) and labels on the device, and their count.</summary>
        public (Tensor X, Tensor Y, int Count) Step(int t)
        {
            int count = _schedule.Batch(t, _rows), features = _features;
            for (int i = 0; i < count; i++)
            {
                int row = _rows[i];
                _labels[i] = _data.Labels[row];
                if (_inputHooks.Length == 0)
                {
                    _x.Write(_data.Features, row * features, (long)i * features, features);
                    continue;
                }
                Array.Copy(_data.Features, row * features, _sample, 0, features);
                foreach (var hook in _inputHooks) hook.TransformSample(_sample, ref _labels[i], _seed, row);
                _x.Write(_sample, 0, (long)i * features, features);
            }
            _y.Write(_labels, 0, 0, count);
            _inputShape[0] = count;
            var xs = _x.Tensor.narrow(0, 0, count).view(_inputShape);
            var ys = _y.Tensor.narrow(0, 0, count);
            if (_device.type != DeviceType.CPU) (xs, ys) = (xs.to(_device), ys.to(_device));
            return (xs, ys, count);
        }

        public void Dispose()
        {
            _x.Tensor.Dispose();
            _y.Tensor.Dispose();
        }
    }

    /// <summary>
    /// How a step leaves its gradient in the parameters' .grad, chosen once per call: autograd of the batch's mean loss,
    /// or DP-SGD one example at a time (<see cref="PrivateStep"/>). Sums the steps' losses for the mean loss.
    /// </summary>
    private abstract class StepGradients(torch.Device device) : IDisposable
    {
        /// <summary>The plain steps' summed loss, kept on the device and read once at the end.</summary>
        protected readonly Tensor LossSum = torch.zeros(1, device: device);

        /// <summary>The DP-SGD steps' summed loss, read example by example.</summary>
        protected double PrivateLossSum;

        public abstract void Backward(nn.Module<Tensor, Tensor> model, Parameter[] parameters, Tensor xs, Tensor ys, int count);

        /// <summary>The mean step loss: both sums enter it (one stays zero), so it is one expression whichever way the steps trained.</summary>
        public float MeanLoss(int steps) => (float)((LossSum.cpu().item<float>() + PrivateLossSum) / steps);

        public virtual void Dispose() { }
    }

    private sealed class Autograd(ModelLayout layout, torch.Device device) : StepGradients(device)
    {
        public override void Backward(nn.Module<Tensor, Tensor> model, Parameter[] parameters, Tensor xs, Tensor ys, int count)
        {
            var loss = BatchLoss(layout, model, xs, ys);
            loss.backward();
            using var lossNoGrad = torch.no_grad();
            LossSum.add_(loss.detach(), HeldScalars.One);
        }
    }

    private sealed class Private(TrainingHook.DpSgdHook dp, ModelLayout layout, ulong seed, int expectedBatch, torch.Device device)
        : StepGradients(device)
    {
        private readonly DpNoise _noise = new(seed, device, dp.Settings.SecureNoise);

        public override void Backward(nn.Module<Tensor, Tensor> model, Parameter[] parameters, Tensor xs, Tensor ys, int count)
            => PrivateLossSum += PrivateStep(dp, model, parameters, layout, xs, ys, count, _noise.Next(layout.Count), expectedBatch);

        public override void Dispose() => _noise.Dispose();
    }

    /// <summary>The plan's gradient hooks with their inputs (start weights, device vectors) in module orientation.</summary>
    private sealed class ModuleGradientHooks
    {
        private readonly TrainingHook[] _hooks;
        private readonly Tensor[]? _starts;
        private readonly Dictionary<string, Tensor[]> _deviceVectors;

        public ModuleGradientHooks(TrainingHook[] hooks, ModelLayout layout, TrainingJob job, torch.Device device)
        {
            _hooks = hooks.Where(h => h.AdjustsGradients).ToArray();
            // The one-device twin of the batched trainer's hook inputs, in module orientation.
            _starts = _hooks.Any(h => h.NeedsStartWeights) ? Oriented(layout, job.GlobalWeights, device) : null;
            _deviceVectors = _hooks.Select(h => h.DeviceVector).OfType<string>().Distinct()
                .ToDictionary(name => name, name => Oriented(layout, job.Vector(name), device));
        }

        /// <summary>Adds every hook's term to every parameter's .grad, in place.</summary>
        public void Adjust(Parameter[] parameters)
        {
            for (int i = 0; i < parameters.Length; i++)
                foreach (var hook in _hooks)
                    hook.AdjustGradient(parameters[i].grad!, parameters[i], _starts?[i],
                        hook.DeviceVector is { } name ? _deviceVectors[name][i] : null);
        }
    }

    /// <summary>
    /// The update torch.optim applies (SGD, SGD with momentum, Adam), written out for one module's parameters: the
    /// independent twin of <see cref="StackedOptimizer"/>, kept separate so each checks the other. Its Scalars are held
    /// for the whole call (see the class remarks).
    /// </summary>
    private abstract class ModuleOptimizer : IDisposable
    {
        protected readonly Scalar NegativeLearningRate;

        private ModuleOptimizer(TrainingPlan plan) => NegativeLearningRate = (-plan.LearningRate).ToScalar();

        public static ModuleOptimizer For(TrainingPlan plan, Parameter[] parameters) => plan.Optimizer switch
        {
            OptimizerKinds.Sgd => new Sgd(plan),
            OptimizerKinds.Momentum => new Momentum(plan, parameters),
            _ => new Adam(plan, parameters),
        };

        /// <summary>Updates every parameter from its .grad at <paramref name="step"/> (1 at the first), then zeroes the gradients.</summary>
        public void Step(Parameter[] parameters, int step)
        {
            for (int i = 0; i < parameters.Length; i++)
            {
                var p = parameters[i];
                var g = p.grad!;
                Update(i, p, g, step);
                g.zero_();
            }
        }

        protected abstract void Update(int index, Tensor p, Tensor g, int step);

        public virtual void Dispose() => NegativeLearningRate.Dispose();

        private sealed class Sgd(TrainingPlan plan) : ModuleOptimizer(plan)
        {
            protected override void Update(int index, Tensor p, Tensor g, int step) => p.add_(g, NegativeLearningRate);
        }

        /// <summary>torch.optim.SGD with momentum (dampening 0, no Nesterov): buf = g at the first step, then mu*buf + g.</summary>
        private sealed class Momentum : ModuleOptimizer
        {
            private readonly Tensor[] _buffers;
            private readonly Scalar _momentum;

            public Momentum(TrainingPlan plan, Parameter[] parameters) : base(plan)
            {
                _buffers = parameters.Select(p => torch.zeros_like(p)).ToArray();
                _momentum = plan.Momentum.ToScalar();
            }

            protected override void Update(int index, Tensor p, Tensor g, int step)
            {
                if (step == 1) _buffers[index].copy_(g); else _buffers[index].mul_(_momentum).add_(g, HeldScalars.One);
                p.add_(_buffers[index], NegativeLearningRate);
            }

            public override void Dispose()
            {
                _momentum.Dispose();
                base.Dispose();
            }
        }

        /// <summary>torch.optim.Adam (amsgrad off, no weight decay), bias-corrected by the step count.</summary>
        private sealed class Adam : ModuleOptimizer
        {
            private const double Beta2 = 0.999;
            private const double Epsilon = 1e-8;

            private readonly float _learningRate, _beta1;
            private readonly Tensor[] _firstMoments, _secondMoments;
            private readonly Scalar _beta1Scalar, _oneMinusBeta1, _beta2, _oneMinusBeta2, _epsilon;

            public Adam(TrainingPlan plan, Parameter[] parameters) : base(plan)
            {
                (_learningRate, _beta1) = (plan.LearningRate, plan.Momentum);
                _firstMoments = parameters.Select(p => torch.zeros_like(p)).ToArray();
                _secondMoments = parameters.Select(p => torch.zeros_like(p)).ToArray();
                _beta1Scalar = ((double)plan.Momentum).ToScalar();
                _oneMinusBeta1 = (1 - (double)plan.Momentum).ToScalar();
                _beta2 = Beta2.ToScalar();
                _oneMinusBeta2 = (1 - Beta2).ToScalar();
                _epsilon = Epsilon.ToScalar();
            }

            protected override void Update(int index, Tensor p, Tensor g, int step)
            {
                _firstMoments[index].mul_(_beta1Scalar).add_(g, _oneMinusBeta1);
                _secondMoments[index].mul_(_beta2).addcmul_(g, g, _oneMinusBeta2);
                double bc1 = 1 - Math.Pow(_beta1, step), bc2 = 1 - Math.Pow(Beta2, step);
                using var sqrtBc2 = Math.Sqrt(bc2).ToScalar();
                using var stepSize = (-_learningRate / bc1).ToScalar();
                var denom = _secondMoments[index].sqrt().div_(sqrtBc2).add_(_epsilon);
                p.addcdiv_(_firstMoments[index], denom, stepSize);
            }

            public override void Dispose()
            {
                foreach (var scalar in new[] { _beta1Scalar, _oneMinusBeta1, _beta2, _oneMinusBeta2, _epsilon }) scalar.Dispose();
                base.Dispose();
            }
        }
    }

    /// <summary>This thread's module for the layout on the device: built once and reused, as a training loop reuses
    /// its model for every client (building a module initialises every weight randomly, only to be overwritten).</summary>
    private static nn.Module<Tensor, Tensor> CachedModule(ModelLayout layout, torch.Device device)
    {
        var cache = t_modules ??= new Dictionary<(string, string), nn.Module<Tensor, Tensor>>();
        var key = (layout.Spec.Key, device.ToString());
        if (!cache.TryGetValue(key, out var module))
        {
            module = Build(layout);
            module.to(device);
            cache[key] = module;
        }
        return module;
    }

    [ThreadStatic] private static Dictionary<(string, string), nn.Module<Tensor, Tensor>>? t_modules;

    /// <summary>
    /// DP-SGD's step gradient the plain way, one example at a time (the independent check of the batched per-example
    /// gradients): each example's own autograd gradient, its norm over all parameters, the clipped sum, then noise
    /// (the canonical draw, oriented like the module's parameters) and the division by the expected batch. Leaves the
    /// result in the parameters' .grad and returns the step's summed loss over the expected batch.
    /// </summary>
    private static double PrivateStep(TrainingHook.DpSgdHook dp, nn.Module<Tensor, Tensor> model, Parameter[] parameters, ModelLayout layout,
        Tensor x, Tensor y, int count, Tensor noise, int expectedBatch)
    {
        var sums = parameters.Select(p => torch.zeros_like(p)).ToArray();
        double loss = 0;
        for (int b = 0; b < count; b++)
        {
            foreach (var p in parameters) p.grad?.zero_();
            var example = BatchLoss(layout, model, x.narrow(0, b, 1), y.narrow(0, b, 1));
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

    /// <summary>
    /// The batch's mean loss: cross-entropy of each example's label, or for a language model of every position's next
    /// token (each example has T of them, so this is also the mean of the examples' own mean losses).
    /// </summary>
    internal static Tensor BatchLoss(ModelLayout layout, nn.Module<Tensor, Tensor> model, Tensor xs, Tensor ys)
    {
        var logits = model.forward(xs);
        if (!layout.Spec.IsLanguageModel) return F.cross_entropy(logits, ys);
        var targets = StackedLanguageModels.Targets(xs, ys);
        return F.cross_entropy(logits.reshape(-1, layout.Spec.Classes), targets.reshape(-1));
    }

    /// <summary>The module's parameters in canonical order.</summary>
    internal static Parameter[] ModuleParameters(nn.Module<Tensor, Tensor> module, ModelLayout layout)
        => layout.Spec.IsLanguageModel ? ReferenceLanguageModels.CanonicalParameters(module, layout) : module.parameters().ToArray();

    private static long[] InputShape(ModelLayout layout, int count)
        => layout.Spec.Image is { } img && layout.Spec.Kind == ModelKinds.Cnn
            ? [count, img.Channels, img.Height, img.Width]
            : [count, layout.Spec.InputFeatures];

    /// <summary>The layout as a torch module whose parameters() come in canonical order.</summary>
    internal static nn.Module<Tensor, Tensor> Build(ModelLayout layout)
    {
        if (layout.Spec.IsLanguageModel) return ReferenceLanguageModels.Build(layout);
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
