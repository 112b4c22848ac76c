using System.Runtime.InteropServices;
using FedSim.Scenario;
using FedSim.GrainInterfaces;
using FedSim.Training;
using TorchSharp;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;
using FedSim.Models;

namespace FedSim.Compute;

/// <summary>
/// Trains a cohort of devices (all with the same model layout and plan) as one vectorized program.
/// Called by the compute pool on its own thread; all tensor work stays inside this synchronous call.
/// </summary>
/// <remarks>
/// Each device keeps its own weights, minibatch order (from its own seed), loss and optimizer state; stacking
/// only changes how the arithmetic is launched. Devices are ordered by step count, longest first, so at step
/// t the devices still training are a prefix of the stack: the step runs on that prefix (narrowed views)
/// and finished devices are untouched, with no masks. A short last batch is padded and its padding gets
/// per-sample weight 0; each device's loss is its weighted mean cross-entropy and the cohort loss is their
/// sum, so each device's gradient is exactly its own.
/// </remarks>
public static class BatchedTrainer
{
    static BatchedTrainer() => TorchRuntime.EnsureInitialized();

    /// <param name="models">The pool's named global models on <paramref name="device"/>; without it, every distinct
    /// model the cohort starts from is uploaded for this cohort alone.</param>
    /// <param name="stop">Cancelled: the cohort stops before its next step with <see cref="OperationCanceledException"/>.</param>
    public static TrainingResult[] Train(IReadOnlyList<TrainingJob> cohort, torch.Device device, GlobalModelsOnDevice? models = null,
        CancellationToken stop = default)
        => Train(cohort, device, gatherOnDevice: device.type != DeviceType.CPU, models: models, stop: stop);

    /// <summary>As <see cref="Train(IReadOnlyList{TrainingJob}, torch.Device)"/>, adding each phase's time to
    /// <paramref name="phases"/> (benchmarks; it synchronizes the device at phase boundaries).</summary>
    public static TrainingResult[] Train(IReadOnlyList<TrainingJob> cohort, torch.Device device, TrainerPhaseTimes phases)
        => Train(cohort, device, gatherOnDevice: device.type != DeviceType.CPU, phases);

    /// <param name="gatherOnDevice">
    /// True: copy the dataset to <paramref name="device"/> once and gather batches there (accelerators).
    /// False: gather each step's rows in C# into one host buffer (CPU: no second copy of the dataset).
    /// </param>
    internal static TrainingResult[] Train(IReadOnlyList<TrainingJob> cohort, torch.Device device, bool gatherOnDevice,
        TrainerPhaseTimes? phases = null, GlobalModelsOnDevice? models = null, CancellationToken stop = default)
    {
        ArgumentNullException.ThrowIfNull(cohort);
        ArgumentNullException.ThrowIfNull(device);
        if (cohort.Count == 0) return [];
        var first = cohort[0];
        var layout = ModelLayout.For(first.Model);
        ValidatePlan(first.Plan, first.DeviceId);
        foreach (var job in cohort)
        {
            if (job.Model.Key != first.Model.Key)
                throw new ArgumentException($"A cohort must share one model: device {job.DeviceId} has '{job.Model.Key}', device {first.DeviceId} has '{first.Model.Key}'.");
            if (!job.Plan.Equals(first.Plan))
                throw new ArgumentException($"A cohort must share one training plan: device {job.DeviceId} has '{job.Plan}', device {first.DeviceId} has '{first.Plan}'.");
            layout.Validate(job.GlobalWeights, $"Global weights of device {job.DeviceId}");
            ValidateShard(job, layout);
        }

        // Batches are gathered by dataset row, so one program reads one dataset; a mixed cohort (rare: two
        // experiments sharing a silo) trains as one program per source dataset.
        var sources = cohort.Select(j => j.Shard.Source).Distinct().ToArray();
        // Modifiers that rewrite samples run on host-side rows, so such cohorts assemble their batches on the host.
        if (TrainingHook.For(first.Plan, layout, sources[0]).Any(h => h.TransformsInputs)) gatherOnDevice = false;
        if (sources.Length == 1) return TrainOne(cohort, layout, device, gatherOnDevice, phases, models, stop);
        var results = new TrainingResult[cohort.Count];
        foreach (var source in sources)
        {
            var idx = Enumerable.Range(0, cohort.Count).Where(i => cohort[i].Shard.Source == source).ToArray();
            var part = TrainOne(idx.Select(i => cohort[i]).ToArray(), layout, device, gatherOnDevice, phases, models, stop);
            for (int i = 0; i < idx.Length; i++) results[idx[i]] = part[i];
        }
        return results;
    }

    internal static void ValidatePlan(TrainingPlan plan, long deviceId)
    {
        string where = $"Training plan of device {deviceId}";
        if (!OptimizerKinds.All.Contains(plan.Optimizer))
            throw new ArgumentException($"{where}: unknown optimizer '{plan.Optimizer}'; use one of: {string.Join(", ", OptimizerKinds.All)}.");
        if (plan.BatchSize <= 0) throw new ArgumentException($"{where}: batch size must be positive, got {plan.BatchSize}.");
        if (plan.LocalEpochs < 0) throw new ArgumentException($"{where}: local epochs must be zero or more, got {plan.LocalEpochs}.");
        if (!float.IsFinite(plan.LearningRate) || plan.LearningRate <= 0)
            throw new ArgumentException($"{where}: learning rate must be a positive number, got {plan.LearningRate}.");
        if (plan.Optimizer != OptimizerKinds.Sgd && !(plan.Momentum >= 0 && plan.Momentum < 1))
            throw new ArgumentException($"{where}: momentum (adam: beta1) must be in [0, 1), got {plan.Momentum}.");
        if (!Precisions.All.Contains(plan.Precision))
            throw new ArgumentException($"{where}: unknown precision '{plan.Precision}'; use one of: {string.Join(", ", Precisions.All)}.");
        if (plan.Precision == Precisions.Bf16 && plan.Find<DpSgd>() is not null)
            throw new ArgumentException($"{where}: bf16 does not combine with DP-SGD, whose per-example gradients are computed in fp32; use fp32 or tf32.");
    }

    internal static void ValidateShard(TrainingJob job, ModelLayout layout)
    {
        var data = job.Shard.Source;
        if (data.FeatureCount != layout.Spec.InputFeatures)
            throw new ArgumentException($"Device {job.DeviceId}: dataset '{data.Name}' has {data.FeatureCount} features per sample but the model expects {layout.Spec.InputFeatures}.");
        foreach (int row in job.Shard.Indices)
        {
            if ((uint)row >= (uint)data.Count)
                throw new ArgumentException($"Device {job.DeviceId}: shard index {row} is outside dataset '{data.Name}' (0..{data.Count - 1}).");
            int label = data.Labels[row];
            if ((uint)label >= (uint)layout.Spec.Classes)
                throw new ArgumentException($"Device {job.DeviceId}: sample {row} of dataset '{data.Name}' has label {label}, outside the model's {layout.Spec.Classes} classes.");
        }
    }

    private static TrainingResult[] TrainOne(IReadOnlyList<TrainingJob> jobs, ModelLayout layout, torch.Device device, bool gatherOnDevice,
        TrainerPhaseTimes? phases, GlobalModelsOnDevice? models, CancellationToken stop)
    {
        phases?.Begin(device);
        var plan = jobs[0].Plan;
        var hooks = TrainingHook.For(plan, layout, jobs[0].Shard.Source);
        var dp = hooks.OfType<TrainingHook.DpSgdHook>().FirstOrDefault();
        int n = jobs.Count, total = layout.Count, features = layout.Spec.InputFeatures;
        var schedules = jobs.Select(j => new MinibatchSchedule(j.Shard.Indices, j.Seed, plan.BatchSize, plan.LocalEpochs, j.MaxSteps, poisson: dp is not null)).ToArray();
        // Poisson batches vary in size: every step is padded to the cohort's largest batch (padding has weight 0).
        int batch = dp is null ? plan.BatchSize : Math.Max(1, schedules.Max(s => s.MaxBatch));
        var order = StackOrder(schedules);
        var steps = schedules.Select(s => s.Steps).ToArray();
        if (order.Length == 0) return CohortDeltas.Results(jobs, order, null, [], steps, total, CopyToHost);
        int k = order.Length;
        var activeAt = ActiveCounts(schedules, order);

        using var scope = torch.NewDisposeScope();
        // The starting weights, [k, total] on the device. Devices of one round share one named global model, so
        // it crosses to the device once and is repeated there (not k host copies). Read-only: with one device it
        // can be the pool's cached model itself.
        var globals = StackGlobals(jobs, order, total, device, models);
        var parameters = StackParameters(layout, globals, k, device);
        using var optimizer = StackedOptimizer.For(plan, parameters, device);
        var gradientHooks = new StackedGradientHooks(hooks, layout, jobs, order, globals, device);
        using var gradients = CohortGradients.For(dp, layout, jobs, order, schedules, device);
        using var grad = torch.enable_grad();
        var lossSum = torch.zeros(k, device: device);
        using var input = gatherOnDevice
            ? (BatchSource)new DeviceBatchSource(jobs, order, schedules, activeAt, batch, device, gradients.MeanLoss)
            : new HostBatchSource(jobs, order, schedules, batch, features, device, hooks, gradients.MeanLoss);

        phases?.EndSetup(device);
        using var precision = Autocast.Enter(plan.Precision, device);
        TrainSteps(new CohortTraining(layout, parameters, batch, input, gradients, gradientHooks, optimizer, lossSum), activeAt, stop);
        phases?.EndSteps(device);
        var losses = lossSum.cpu().data<float>().ToArray();
        var results = CohortDeltas.Results(jobs, order, Deltas(parameters, globals, k), losses, steps, total, CopyToHost);
        phases?.EndExtract(device);
        return results;
    }

    /// <summary>The devices that train at all, longest first (stable), so the devices still training at any step are a prefix of the stack.</summary>
    private static int[] StackOrder(MinibatchSchedule[] schedules)
        => Enumerable.Range(0, schedules.Length).Where(i => schedules[i].Steps > 0).OrderByDescending(i => schedules[i].Steps).ToArray();

    /// <summary>For each step of the cohort, how many devices of the stack (a prefix) still train.</summary>
    private static int[] ActiveCounts(MinibatchSchedule[] schedules, int[] order)
    {
        int k = order.Length, steps = schedules[order[0]].Steps;
        var activeAt = new int[steps];
        for (int t = 0, a = k; t < steps; t++)
        {
            while (schedules[order[a - 1]].Steps <= t) a--;
            activeAt[t] = a;
        }
        return activeAt;
    }

    /// <summary>The trainable parameters, each [k, ...shape], starting from the stacked global weights.</summary>
    private static Tensor[] StackParameters(ModelLayout layout, Tensor globals, int k, torch.Device device)
    {
        var parameters = new Tensor[layout.Parameters.Count];
        for (int i = 0; i < parameters.Length; i++)
        {
            var info = layout.Parameters[i];
            long[] shape = [k, .. info.Shape.Select(s => (long)s)];
            // An explicit copy: a view could alias `globals`, which the deltas are measured against.
            parameters[i] = torch.empty(shape, device: device).copy_(globals.narrow(1, info.Offset, info.Count).reshape(shape)).requires_grad_(true);
        }
        return parameters;
    }

    /// <summary>What every step of one cohort reads and updates.</summary>
    private sealed record CohortTraining(ModelLayout Layout, Tensor[] Parameters, int Batch, BatchSource Input, CohortGradients Gradients,
        StackedGradientHooks GradientHooks, StackedOptimizer Optimizer, Tensor LossSum)
    {
        /// <summary>The stack height: every device that trains at all.</summary>
        public int K => (int)Parameters[0].shape[0];
    }

    private static void TrainSteps(CohortTraining cohort, int[] activeAt, CancellationToken stop)
    {
        var views = new Tensor[cohort.Parameters.Length];
        for (int t = 0; t < activeAt.Length; t++)
        {
            stop.ThrowIfCancellationRequested();
            using var stepScope = torch.NewDisposeScope();
            TrainStep(cohort, t, activeAt[t], views);
        }
    }

    /// <summary>One step of the first <paramref name="active"/> devices: forward, gradients, loss sum, hooks and optimizer update.</summary>
    private static void TrainStep(CohortTraining cohort, int t, int active, Tensor[] views)
    {
        var parameters = cohort.Parameters;
        int k = cohort.K;
        for (int i = 0; i < parameters.Length; i++)
            views[i] = active == k ? parameters[i] : parameters[i].narrow(0, 0, active);
        var (x, y, w) = cohort.Input.Step(t, active);
        var tape = cohort.Gradients.NewTape();
        var perDevice = PerDeviceLoss(cohort.Layout, views, x, y, w, active, tape);
        var gradients = cohort.Gradients.Backward(parameters, perDevice, tape, w, active);

        using var noGrad = torch.no_grad();
        (active == k ? cohort.LossSum : cohort.LossSum.narrow(0, 0, active)).add_(cohort.Gradients.StepLoss(perDevice), HeldScalars.One);
        int deviceStep = t + 1; // every device still training is at its own step t + 1
        for (int i = 0; i < parameters.Length; i++)
        {
            cohort.GradientHooks.Adjust(i, gradients[i], views[i], active);
            cohort.Optimizer.Step(i, views[i], gradients[i], active, deviceStep);
            parameters[i].grad?.zero_();
        }
    }

    /// <summary>Each active device's loss [active]: its examples' losses times their sample weights, summed.</summary>
    private static Tensor PerDeviceLoss(ModelLayout layout, Tensor[] views, Tensor x, Tensor y, Tensor w, int active, List<TapedLayer>? tape)
        => StackedModel.ExampleLosses(layout, views, x, y, active, tape).Losses.mul(w).sum(1);

    /// <summary>Each device's trained weights minus its starting weights, [k, total] in stack order, on the device.</summary>
    private static Tensor Deltas(Tensor[] parameters, Tensor globals, int k)
    {
        // One fp32 subtraction, as on the host; the results decide what crosses back (see CohortDeltas).
        using var noGrad = torch.no_grad();
        return torch.cat(parameters.Select(p => p.detach().reshape(k, -1)).ToArray(), 1).sub_(globals);
    }

    /// <summary>
    /// How a step's gradients are formed, chosen once per cohort: autograd of each device's mean loss, or DP-SGD's
    /// clipped per-example sums plus each device's noise.
    /// </summary>
    private abstract class CohortGradients : IDisposable
    {
        public static CohortGradients For(TrainingHook.DpSgdHook? dp, ModelLayout layout, IReadOnlyList<TrainingJob> jobs, int[] order,
            IReadOnlyList<MinibatchSchedule> schedules, torch.Device device)
            => dp is null ? new Autograd(order.Length) : new Private(dp, layout, jobs, order, order.Select(j => schedules[j].ExpectedBatch).ToArray(), device);

        /// <summary>Whether each example's loss is weighted 1 / batch size (a mean) rather than 1 (a sum).</summary>
        public abstract bool MeanLoss { get; }

        /// <summary>A tape for the forward pass, or null when the gradients need none.</summary>
        public abstract List<TapedLayer>? NewTape();

        /// <summary>Each parameter's gradient [active, ...shape] of the step.</summary>
        public abstract Tensor[] Backward(Tensor[] parameters, Tensor perDevice, List<TapedLayer>? tape, Tensor weights, int active);

        /// <summary>The step's loss per device [active], as added to the devices' loss sums.</summary>
        public abstract Tensor StepLoss(Tensor perDevice);

        public virtual void Dispose() { }

        private sealed class Autograd(int k) : CohortGradients
        {
            public override bool MeanLoss => true;

            public override List<TapedLayer>? NewTape() => null;

            public override Tensor[] Backward(Tensor[] parameters, Tensor perDevice, List<TapedLayer>? tape, Tensor weights, int active)
            {
                perDevice.sum().backward();
                return parameters.Select(p => Active(p.grad, active, k)!).ToArray();
            }

            public override Tensor StepLoss(Tensor perDevice) => perDevice;
        }

        /// <summary>DP-SGD sums per-example losses (weight 1) and divides by each device's expected batch after clipping and noise.</summary>
        private sealed class Private(TrainingHook.DpSgdHook dp, ModelLayout layout, IReadOnlyList<TrainingJob> jobs, int[] order, int[] expectedBatches,
            torch.Device device) : CohortGradients
        {
            private readonly DpNoise[] _noise = order.Select(j => new DpNoise(jobs[j].Seed, device, dp.Settings.SecureNoise)).ToArray();
            // Each stacked device's expected batch, in stacking order [K] (float32, as the gradients they divide).
            private readonly Tensor _expectedBatches = torch.tensor(expectedBatches.Select(b => (float)b).ToArray(), device: device);

            public override bool MeanLoss => false;

            public override List<TapedLayer>? NewTape() => new(layout.Parameters.Count / 2);

            public override Tensor[] Backward(Tensor[] parameters, Tensor perDevice, List<TapedLayer>? tape, Tensor weights, int active)
                => dp.StackedGradients(layout, perDevice.sum(), tape!, weights,
                    torch.stack(_noise.Take(active).Select(s => s.Next(layout.Count)).ToArray()), _expectedBatches.narrow(0, 0, active));

            public override Tensor StepLoss(Tensor perDevice) => perDevice.div(_expectedBatches.narrow(0, 0, perDevice.shape[0]));

            public override void Dispose()
            {
                foreach (var stream in _noise) stream.Dispose();
                _expectedBatches.Dispose();
            }
        }
    }

    /// <summary>The plan's gradient hooks with their stacked inputs (start weights, device vectors), applied to the active devices.</summary>
    private sealed class StackedGradientHooks
    {
        private readonly TrainingHook[] _hooks;
        private readonly Tensor[]? _starts;
        private readonly Dictionary<string, Tensor[]> _deviceVectors;
        private readonly int _k;

        public StackedGradientHooks(TrainingHook[] hooks, ModelLayout layout, IReadOnlyList<TrainingJob> jobs, int[] order, Tensor globals, torch.Device device)
        {
            _k = order.Length;
            _hooks = hooks.Where(h => h.AdjustsGradients).ToArray();
            _starts = _hooks.Any(h => h.NeedsStartWeights) ? PerParameter(layout, globals, _k) : null;
            _deviceVectors = _hooks.Select(h => h.DeviceVector).OfType<string>().Distinct()
                .ToDictionary(name => name, name => PerParameter(layout, StackVectors(jobs, order, name, layout.Count, device), _k));
        }

        /// <summary>Adds every hook's term to the gradient <paramref name="g"/> of parameter <paramref name="index"/> (value <paramref name="p"/>).</summary>
        public void Adjust(int index, Tensor g, Tensor p, int active)
        {
            foreach (var hook in _hooks)
                hook.AdjustGradient(g, p, Active(_starts?[index], active, _k),
                    hook.DeviceVector is { } name ? Active(_deviceVectors[name][index], active, _k) : null);
        }
    }

    /// <summary>The first <paramref name="active"/> devices of a stacked tensor (the whole tensor when all are active).</summary>
    private static Tensor? Active(Tensor? stacked, int active, int k) => stacked is null || active == k ? stacked : stacked.narrow(0, 0, active);

    /// <summary>A [k, total] flat stack split into one contiguous [k, ...shape] tensor per parameter.</summary>
    private static Tensor[] PerParameter(ModelLayout layout, Tensor flat, int k)
    {
        using var noGrad = torch.no_grad();
        return layout.Parameters.Select(info =>
            flat.narrow(1, info.Offset, info.Count).reshape([k, .. info.Shape.Select(s => (long)s)]).contiguous()).ToArray();
    }

    /// <summary>[k, total]: each device's input vector <paramref name="name"/> in stack order.</summary>
    private static Tensor StackVectors(IReadOnlyList<TrainingJob> jobs, int[] order, string name, int total, torch.Device device)
    {
        var host = new float[(long)order.Length * total];
        for (int d = 0; d < order.Length; d++)
        {
            var v = jobs[order[d]].Vector(name);
            if (v.Length != total) throw new ArgumentException($"device {jobs[order[d]].DeviceId}: vector '{name}' has {v.Length} values, the model has {total}");
            Array.Copy(v, 0, host, (long)d * total, total);
        }
        return torch.tensor(host, [order.Length, total], device: device);
    }

    /// <summary>Largest device-to-host copy staged through this thread's reusable pinned buffer.</summary>
    private const long PinnedStagingLimitBytes = 1L << 30;

    [ThreadStatic] private static Tensor? t_pinnedStaging;

    /// <summary>
    /// The values of a contiguous tensor as host memory, valid until the next call on this thread. From an
    /// accelerator the copy lands in a reused pinned buffer (several times faster than a pageable copy, and no
    /// fresh pages to fault in); on the CPU the tensor's own memory is read in place.
    /// </summary>
    private static ReadOnlySpan<float> CopyToHost(Tensor values, long count)
    {
        if (values.device_type == DeviceType.CPU) return MemoryMarshal.Cast<byte, float>(values.bytes)[..(int)count];
        if (count * sizeof(float) > PinnedStagingLimitBytes)
            return MemoryMarshal.Cast<byte, float>(values.cpu().bytes)[..(int)count];
        if (t_pinnedStaging is null || t_pinnedStaging.numel() < count)
        {
            t_pinnedStaging?.Dispose();
            t_pinnedStaging = torch.empty(count, ScalarType.Float32).pin_memory().DetachFromDisposeScope();
        }
        var staging = t_pinnedStaging.narrow(0, 0, count);
        staging.copy_(values.view(-1));
        return MemoryMarshal.Cast<byte, float>(t_pinnedStaging.bytes)[..(int)count];
    }

    /// <summary>
    /// [k, total] starting weights in stack order. Jobs name their global model (<see cref="TrainingJob.GlobalId"/>),
    /// and each named model is on the device once, from <paramref name="models"/> when the pool keeps them; a job
    /// without a name brings its own weights.
    /// </summary>
    private static Tensor StackGlobals(IReadOnlyList<TrainingJob> jobs, int[] order, int total, torch.Device device, GlobalModelsOnDevice? models)
    {
        var rows = new List<Tensor>();
        var named = new Dictionary<GlobalModelId, int>();
        var slot = new long[order.Length];
        using var noGrad = torch.no_grad();
        for (int d = 0; d < order.Length; d++)
        {
            var job = jobs[order[d]];
            if (job.GlobalId is { } id && named.TryGetValue(id, out int known)) { slot[d] = known; continue; }
            slot[d] = rows.Count;
            if (job.GlobalId is { } name) named[name] = rows.Count;
            rows.Add(job.GlobalId is { } shared && models is not null
                ? models.Lease(shared, job.GlobalWeights, device)
                : torch.tensor(job.GlobalWeights, device: device));
        }
        if (rows.Count == 1) return rows[0].view(1, total).expand(order.Length, total).contiguous();
        return torch.stack(rows).index_select(0, torch.tensor(slot, device: device));
    }

    /// <summary>Supplies each step's inputs [active, B, F], labels [active, B] and sample weights [active, B].</summary>
    private abstract class BatchSource : IDisposable
    {
        public abstract (Tensor X, Tensor Y, Tensor W) Step(int step, int active);
        public virtual void Dispose() { }
    }

    /// <summary>CPU path: copy the step's rows straight from the dataset arrays into one reusable host tensor.</summary>
    private sealed class HostBatchSource : BatchSource
    {
        private readonly IReadOnlyList<TrainingJob> _jobs;
        private readonly int[] _order;
        private readonly MinibatchSchedule[] _schedules;
        private readonly int _batch, _features;
        private readonly torch.Device _device;
        private readonly HostBuffer _x, _y, _w;
        private readonly int[] _rows;
        private readonly long[] _labels;
        private readonly float[] _weights;
        private readonly TrainingHook[] _inputHooks;
        private readonly float[] _sample;

        private readonly bool _meanLoss;

        public HostBatchSource(IReadOnlyList<TrainingJob> jobs, int[] order, MinibatchSchedule[] schedules, int batch, int features, torch.Device device,
            TrainingHook[] hooks, bool meanLoss)
        {
            _meanLoss = meanLoss;
            (_jobs, _order, _schedules, _batch, _features, _device) = (jobs, order, schedules, batch, features, device);
            _inputHooks = hooks.Where(h => h.TransformsInputs).ToArray();
            _sample = new float[features];
            int k = order.Length;
            _x = new HostBuffer([k, batch, features], ScalarType.Float32);
            _y = new HostBuffer([k, batch], ScalarType.Int64);
            _w = new HostBuffer([k, batch], ScalarType.Float32);
            _rows = new int[batch];
            _labels = new long[k * batch];
            _weights = new float[k * batch];
        }

        public override (Tensor X, Tensor Y, Tensor W) Step(int step, int active)
        {
            for (int d = 0; d < active; d++)
            {
                var data = _jobs[_order[d]].Shard.Source;
                int count = _schedules[_order[d]].Batch(step, _rows);
                float weight = _meanLoss ? 1f / count : 1f;
                for (int i = 0; i < _batch; i++)
                {
                    int slot = d * _batch + i;
                    if (i < count)
                    {
                        int row = _rows[i];
                        if (_inputHooks.Length == 0)
                        {
                            _x.Write(data.Features, row * _features, (long)slot * _features, _features);
                            _labels[slot] = data.Labels[row];
                        }
                        else
                        {
                            // A copy of the row, so a transform never touches the shared dataset.
                            long label = data.Labels[row];
                            Array.Copy(data.Features, (long)row * _features, _sample, 0, _features);
                            foreach (var hook in _inputHooks) hook.TransformSample(_sample, ref label, _jobs[_order[d]].Seed, row);
                            _x.Write(_sample, 0, (long)slot * _features, _features);
                            _labels[slot] = label;
                        }
                        _weights[slot] = weight;
                    }
                    else
                    {
                        // Padding: whatever finite values the slot holds, weight 0 keeps them out of loss and gradient.
                        _labels[slot] = 0;
                        _weights[slot] = 0;
                    }
                }
            }
            _y.Write(_labels, 0, 0, active * _batch);
            _w.Write(_weights, 0, 0, active * _batch);
            var x = _x.Tensor.narrow(0, 0, active);
            var y = _y.Tensor.narrow(0, 0, active);
            var w = _w.Tensor.narrow(0, 0, active);
            return _device.type == DeviceType.CPU ? (x, y, w) : (x.to(_device), y.to(_device), w.to(_device));
        }

        public override void Dispose()
        {
            _x.Tensor.Dispose();
            _y.Tensor.Dispose();
            _w.Tensor.Dispose();
        }
    }

    /// <summary>
    /// Accelerator path: the dataset lives on the device; the whole cohort's batch schedule (row ids and
    /// sample weights, only for devices still training) is uploaded once, so a step launches no host copy.
    /// </summary>
    private sealed class DeviceBatchSource : BatchSource
    {
        private readonly Tensor _dataX, _dataY, _rows, _weights;
        private readonly long[] _offsets;
        private readonly int _batch;

        public DeviceBatchSource(IReadOnlyList<TrainingJob> jobs, int[] order, MinibatchSchedule[] schedules, int[] activeAt, int batch, torch.Device device,
            bool meanLoss)
        {
            _batch = batch;
            (_dataX, _dataY) = DeviceDatasetCache.Get(jobs[order[0]].Shard.Source, device);
            _offsets = new long[activeAt.Length];
            long size = 0;
            for (int t = 0; t < activeAt.Length; t++) { _offsets[t] = size; size += (long)activeAt[t] * batch; }
            var rows = new long[size];
            var weights = new float[size];
            var buffer = new int[batch];
            for (int t = 0; t < activeAt.Length; t++)
                for (int d = 0; d < activeAt[t]; d++)
                {
                    int count = schedules[order[d]].Batch(t, buffer);
                    long at = _offsets[t] + (long)d * batch;
                    for (int i = 0; i < count; i++) { rows[at + i] = buffer[i]; weights[at + i] = meanLoss ? 1f / count : 1f; }
                    // padding keeps row 0 (any valid row) with weight 0
                }
            _rows = torch.tensor(rows, [size], device: device);
            _weights = torch.tensor(weights, [size], device: device);
        }

        public override (Tensor X, Tensor Y, Tensor W) Step(int step, int active)
        {
            var rows = _rows.narrow(0, _offsets[step], (long)active * _batch);
            var x = _dataX.index_select(0, rows).view(active, _batch, -1);
            var y = _dataY.index_select(0, rows).view(active, _batch);
            var w = _weights.narrow(0, _offsets[step], (long)active * _batch).view(active, _batch);
            return (x, y, w);
        }

        public override void Dispose()
        {
            _rows.Dispose();
            _weights.Dispose();
        }
    }
}

/// <summary>
/// Seconds spent in each phase of batched training, summed over calls: setup (stacking weights, state,
/// batch schedule), the training steps themselves, and extraction (deltas back to the host).
/// </summary>
public sealed class TrainerPhaseTimes
{
    private readonly System.Diagnostics.Stopwatch _clock = new();
    private double _mark;

    public double SetupSeconds { get; private set; }
    public double StepSeconds { get; private set; }
    public double ExtractSeconds { get; private set; }

    internal void Begin(torch.Device device) { Sync(device); _clock.Start(); _mark = _clock.Elapsed.TotalSeconds; }
    internal void EndSetup(torch.Device device) => SetupSeconds += Lap(device);
    internal void EndSteps(torch.Device device) => StepSeconds += Lap(device);
    internal void EndExtract(torch.Device device) { ExtractSeconds += Lap(device); _clock.Stop(); }

    private double Lap(torch.Device device)
    {
        Sync(device);
        double now = _clock.Elapsed.TotalSeconds, lap = now - _mark;
        _mark = now;
        return lap;
    }

    private static void Sync(torch.Device device)
    {
        if (device.type == DeviceType.CUDA) torch.cuda.synchronize();
    }
}
