using FedSim.Training;
using TorchSharp;
using static TorchSharp.torch;
using FedSim.Models;
using FedSim.Privacy.Mechanisms;

namespace FedSim.Compute;

/// <summary>
/// The trainer-side effect of one <see cref="PlanModifier"/>. Both trainers call the same hook: the batched
/// trainer with stacked [K, ...] tensors, the reference trainer with one device's module tensors. Gradient
/// hooks are element-wise, so stacking changes nothing about their arithmetic; input hooks work on one
/// host-side sample at a time. Adding a modifier means one hook class here and one case in <see cref="For"/>.
/// </summary>
internal abstract class TrainingHook
{
    /// <summary>Whether <see cref="TransformSample"/> changes samples (the trainers then assemble batches on the host).</summary>
    public virtual bool TransformsInputs => false;

    /// <summary>Whether <see cref="AdjustGradient"/> does anything.</summary>
    public virtual bool AdjustsGradients => false;

    /// <summary>Whether the hook reads the round's starting weights in <see cref="AdjustGradient"/>.</summary>
    public virtual bool NeedsStartWeights => false;

    /// <summary>The per-device input vector the hook reads (flat, canonical layout), or null.</summary>
    public virtual string? DeviceVector => null;

    /// <summary>
    /// Whether the hook forms the data gradient itself from per-example gradients (DP-SGD). The trainers then sample
    /// Poisson batches, sum (rather than average) the per-example losses, and ask the hook for the gradient; the
    /// other hooks' <see cref="AdjustGradient"/> terms (data-independent) are added to it afterwards.
    /// </summary>
    public virtual bool PrivatizesGradients => false;

    /// <summary>Rewrites one training sample in place: its features (a copy of the dataset row) and label.</summary>
    /// <param name="deviceSeed">The job's seed, for per-sample choices that must not depend on the trainer.</param>
    /// <param name="row">The sample's dataset row.</param>
    public virtual void TransformSample(Span<float> features, ref long label, ulong deviceSeed, int row) { }

    /// <summary>
    /// Adds this modifier's term to <paramref name="grad"/> in place (under no_grad). All tensors have the shape of
    /// the parameter (stacked or not): <paramref name="param"/> its current value, <paramref name="start"/> its value
    /// at the start of the round (when <see cref="NeedsStartWeights"/>), <paramref name="deviceVector"/> the slice of
    /// the device's input vector for this parameter (when <see cref="DeviceVector"/> is set).
    /// </summary>
    public virtual void AdjustGradient(Tensor grad, Tensor param, Tensor? start, Tensor? deviceVector) { }

    /// <summary>The hooks of a plan, in modifier order; throws for a modifier the data cannot take.</summary>
    public static TrainingHook[] For(TrainingPlan plan, ModelLayout layout, Data.Dataset data)
        => plan.AllModifiers.Select(m => Create(m, layout, data)).ToArray();

    private static TrainingHook Create(PlanModifier modifier, ModelLayout layout, Data.Dataset data) => modifier switch
    {
        ProximalTerm p => new ProximalHook(p.Mu),
        DittoProximalTerm d => new DittoHook(d.Lambda),
        ControlVariateCorrection => new ControlVariateHook(),
        LabelFlip f => f.Classes == layout.Spec.Classes ? new LabelFlipHook(f)
            : throw new ArgumentException($"label flip for {f.Classes} classes on a model with {layout.Spec.Classes}"),
        DpSgd d => new DpSgdHook(d),
        BackdoorTrigger b => b.TargetLabel >= 0 && b.TargetLabel < layout.Spec.Classes
            ? new BackdoorHook(b, b.FeatureIndices(data.FeatureCount, data.Image))
            : throw new ArgumentException($"backdoor target label {b.TargetLabel} is outside the model's {layout.Spec.Classes} classes (0..{layout.Spec.Classes - 1}); set byzantine.target_label within them"),
        GradientAscent => new GradientAscentHook(),
        _ => throw new NotSupportedException($"the trainer has no hook for plan modifier {modifier.GetType().Name}"),
    };

    /// <summary>FedProx: g += μ·(w − w_start).</summary>
    private sealed class ProximalHook(float mu) : TrainingHook
    {
        // Held, never a per-call temporary (see HeldScalars): freed with the hook, which outlives the training call.
        private readonly Scalar _mu = mu.ToScalar();

        public override bool AdjustsGradients => true;
        public override bool NeedsStartWeights => true;

        public override void AdjustGradient(Tensor grad, Tensor param, Tensor? start, Tensor? deviceVector)
        {
            using var drift = param.sub(start!);
            grad.add_(drift, alpha: _mu);
            GC.KeepAlive(_mu);
        }
    }

    /// <summary>Ditto's personal update: g += λ·(v − w^t), with w^t the job's <see cref="DittoProximalTerm.GlobalVector"/>.</summary>
    private sealed class DittoHook(float lambda) : TrainingHook
    {
        // Held, never a per-call temporary (see HeldScalars): freed with the hook, which outlives the training call.
        private readonly Scalar _lambda = lambda.ToScalar();

        public override bool AdjustsGradients => true;
        public override string? DeviceVector => DittoProximalTerm.GlobalVector;

        public override void AdjustGradient(Tensor grad, Tensor param, Tensor? start, Tensor? deviceVector)
        {
            using var drift = param.sub(deviceVector!);
            grad.add_(drift, alpha: _lambda);
            GC.KeepAlive(_lambda);
        }
    }

    /// <summary>SCAFFOLD: g += (c − c_i), the device's correction vector.</summary>
    private sealed class ControlVariateHook : TrainingHook
    {
        public override bool AdjustsGradients => true;
        public override string? DeviceVector => ControlVariateCorrection.DeviceVector;

        public override void AdjustGradient(Tensor grad, Tensor param, Tensor? start, Tensor? deviceVector) =>
            grad.add_(deviceVector!, HeldScalars.One);
    }

    /// <summary>Gradient ascent: g ← −g (applied after any other gradient term, so the whole objective is ascended).</summary>
    private sealed class GradientAscentHook : TrainingHook
    {
        public override bool AdjustsGradients => true;

        public override void AdjustGradient(Tensor grad, Tensor param, Tensor? start, Tensor? deviceVector) => grad.neg_();
    }

    private sealed class LabelFlipHook(LabelFlip flip) : TrainingHook
    {
        public override bool TransformsInputs => true;

        public override void TransformSample(Span<float> features, ref long label, ulong deviceSeed, int row) => label = flip.Map((int)label);
    }

    private sealed class BackdoorHook(BackdoorTrigger trigger, int[] pixels) : TrainingHook
    {
        public override bool TransformsInputs => true;

        public override void TransformSample(Span<float> features, ref long label, ulong deviceSeed, int row)
        {
            if (!trigger.Poisons(deviceSeed, row)) return;
            foreach (int i in pixels) features[i] = trigger.Value;
            label = trigger.TargetLabel;
        }
    }

    /// <summary>
    /// DP-SGD (Abadi et al. 2016): the step's gradient is (Σ_b clip_C(g_b) + N(0, (zC)²)) / B. The batched trainer gets
    /// the clipped sums of the whole cohort from <see cref="PerExampleGradients"/>; the reference trainer clips one
    /// example's autograd gradient at a time with <see cref="ClipFactor"/>; both add the same seeded noise.
    /// </summary>
    internal sealed class DpSgdHook(DpSgd dp) : TrainingHook
    {
        public DpSgd Settings => dp;

        public override bool PrivatizesGradients => true;

        /// <summary>Opacus' per-example factor min(1, C / (‖g‖ + 10⁻⁶)).</summary>
        public double ClipFactor(double norm) => Math.Min(1.0, dp.ClipNorm / (norm + DpSgd.NormEpsilon));

        /// <summary>
        /// Each parameter's private gradient for the first <paramref name="active"/> stacked devices, [active, ...shape],
        /// from a summed loss, its forward tape, the real-example mask [active, B], the devices' noise [active, total] and
        /// their expected batches [active] (<see cref="MinibatchSchedule.ExpectedBatch"/>).
        /// </summary>
        public Tensor[] StackedGradients(ModelLayout layout, Tensor loss, IReadOnlyList<TapedLayer> tape, Tensor mask, Tensor noise, Tensor expectedBatches)
        {
            var sums = PerExampleGradients.ClippedSums(layout, loss, tape, mask, dp.ClipNorm, out _);
            using var noGrad = torch.no_grad();
            long active = mask.shape[0];
            using var standardDeviation = dp.NoiseStandardDeviation.ToScalar(); // held for the native calls (HeldScalars)
            for (int i = 0; i < sums.Length; i++)
            {
                var info = layout.Parameters[i];
                long[] shape = [active, .. info.Shape.Select(s => (long)s)];
                var n = noise.narrow(1, info.Offset, info.Count).reshape(shape);
                var divisors = expectedBatches.reshape([active, .. info.Shape.Select(_ => 1L)]);
                sums[i] = sums[i].add(n, standardDeviation).div_(divisors);
            }
            return sums;
        }

        /// <summary>One device's private gradient of one parameter (module orientation) from its clipped sum and noise.</summary>
        public Tensor Finish(Tensor clippedSum, Tensor noise, int expectedBatch)
        {
            using var standardDeviation = dp.NoiseStandardDeviation.ToScalar(); // held for the native calls (HeldScalars)
            using var divisor = ((long)expectedBatch).ToScalar();
            return clippedSum.add(noise, standardDeviation).div_(divisor);
        }
    }
}

/// <summary>
/// A device's DP-SGD noise: one standard-normal vector of the model's size (canonical layout) per local step. By
/// default a torch generator seeded from its job seed draws it (millions of values per step), so a device's noise is
/// the same alone, in any cohort and in the reference trainer; the seed derives from the job's seed(experiment, round,
/// device, LocalTraining). With secure noise (<c>privacy.secure_noise</c>) a <see cref="SecureGaussian"/> of the
/// device's own draws it on the CPU from the OS's cryptographic generator and it is copied to the torch device: a
/// torch generator seeded from a CSPRNG would still be a Mersenne Twister (CPU) or Philox (CUDA) stream, predictable
/// from its 64-bit seed and outputs, so it is not used for secure noise.
/// </summary>
internal sealed class DpNoise : IDisposable
{
    private readonly torch.Generator? _generator;
    private readonly SecureGaussian? _secure;
    private readonly torch.Device _device;
    private float[] _buffer = [];

    public DpNoise(ulong jobSeed, torch.Device device, bool secure)
    {
        _device = device;
        if (secure) _secure = new SecureGaussian();
        else _generator = new torch.Generator(Determinism.Seeds.DpSgdNoise(jobSeed) & long.MaxValue, device);
    }

    /// <summary>The next step's noise, [total] standard normals.</summary>
    public Tensor Next(int total)
    {
        if (_secure is null) return torch.randn([total], dtype: ScalarType.Float32, device: _device, generator: _generator);
        if (_buffer.Length != total) _buffer = new float[total];
        _secure.Fill(_buffer);
        return torch.tensor(_buffer, device: _device);
    }

    public void Dispose()
    {
        _generator?.Dispose();
        Array.Clear(_buffer); // the noise of a released step is secret: leave no copy behind
    }
}
