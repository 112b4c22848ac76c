using FedSim.Training;
using TorchSharp;
using static TorchSharp.torch;

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
        ControlVariateCorrection => new ControlVariateHook(),
        LabelFlip f => f.Classes == layout.Spec.Classes ? new LabelFlipHook(f)
            : throw new ArgumentException($"label flip for {f.Classes} classes on a model with {layout.Spec.Classes}"),
        BackdoorTrigger b => b.TargetLabel >= 0 && b.TargetLabel < layout.Spec.Classes
            ? new BackdoorHook(b, b.FeatureIndices(data.FeatureCount, data.Image))
            : throw new ArgumentException($"backdoor target label {b.TargetLabel} is outside the model's {layout.Spec.Classes} classes (0..{layout.Spec.Classes - 1}); set byzantine.target_label within them"),
        GradientAscent => new GradientAscentHook(),
        _ => throw new NotSupportedException($"the trainer has no hook for plan modifier {modifier.GetType().Name}"),
    };

    /// <summary>FedProx: g += μ·(w − w_start).</summary>
    private sealed class ProximalHook(float mu) : TrainingHook
    {
        public override bool AdjustsGradients => true;
        public override bool NeedsStartWeights => true;

        public override void AdjustGradient(Tensor grad, Tensor param, Tensor? start, Tensor? deviceVector)
        {
            using var drift = param.sub(start!);
            grad.add_(drift, alpha: mu);
        }
    }

    /// <summary>SCAFFOLD: g += (c − c_i), the device's correction vector.</summary>
    private sealed class ControlVariateHook : TrainingHook
    {
        public override bool AdjustsGradients => true;
        public override string? DeviceVector => ControlVariateCorrection.DeviceVector;

        public override void AdjustGradient(Tensor grad, Tensor param, Tensor? start, Tensor? deviceVector) => grad.add_(deviceVector!);
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
}
