using FedSim.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace FedSim.Compute;

/// <summary>
/// The local optimizer of a stacked cohort (<see cref="BatchedTrainer"/>): each parameter is [K, ...shape] and so is its
/// state; a step updates the first <c>active</c> devices of the stack (narrowed views) and leaves the rest untouched.
/// Chosen once per cohort from the plan's optimizer.
/// </summary>
/// <remarks>
/// Every Scalar a native call reads is held in a field until the optimizer is disposed at the end of the cohort:
/// TorchSharp 0.107's Scalar has only a finalizer, so a temporary one (an implicit double -> Scalar, or the alpha 1 that
/// add_(Tensor) passes itself) can be collected and freed while libtorch is still reading it: the `toFloat` failure at
/// Scalar.h:140 inside add_ seen in bench runs, or silently a wrong step.
/// </remarks>
internal abstract class StackedOptimizer : IDisposable
{
    private readonly Scalar _negativeLearningRate;

    private StackedOptimizer(TrainingPlan plan) => _negativeLearningRate = (-plan.LearningRate).ToScalar();

    /// <summary>The plan's optimizer for <paramref name="parameters"/> (each [K, ...shape]), its state zeroed on <paramref name="device"/>.</summary>
    public static StackedOptimizer For(TrainingPlan plan, Tensor[] parameters, torch.Device device) => plan.Optimizer switch
    {
        OptimizerKinds.Sgd => new Sgd(plan),
        OptimizerKinds.Momentum => new Momentum(plan, parameters, device),
        _ => new Adam(plan, parameters, device),
    };

    /// <summary>
    /// Updates parameter <paramref name="index"/> of the first <paramref name="active"/> devices in place: <paramref name="p"/>
    /// and <paramref name="g"/> are its [active, ...shape] value and gradient; every such device is at its own
    /// <paramref name="deviceStep"/> (1 at the first step).
    /// </summary>
    public abstract void Step(int index, Tensor p, Tensor g, int active, int deviceStep);

    public virtual void Dispose() => _negativeLearningRate.Dispose();

    /// <summary>The first <paramref name="active"/> devices of a stacked state tensor (the whole tensor when all are active).</summary>
    private static Tensor Active(Tensor state, int active) => active == state.shape[0] ? state : state.narrow(0, 0, active);

    private static Tensor[] Zeros(Tensor[] parameters, torch.Device device)
        => parameters.Select(p => torch.zeros(p.shape, device: device)).ToArray();

    private sealed class Sgd(TrainingPlan plan) : StackedOptimizer(plan)
    {
        public override void Step(int index, Tensor p, Tensor g, int active, int deviceStep) => p.add_(g, _negativeLearningRate);
    }

    /// <summary>PyTorch SGD semantics (dampening 0, no Nesterov): buf = g at the first step, then mu*buf + g.</summary>
    private sealed class Momentum(TrainingPlan plan, Tensor[] parameters, torch.Device device) : StackedOptimizer(plan)
    {
        private readonly Tensor[] _buffers = Zeros(parameters, device);
        private readonly Scalar _momentum = plan.Momentum.ToScalar();

        public override void Step(int index, Tensor p, Tensor g, int active, int deviceStep)
        {
            var buf = Active(_buffers[index], active);
            if (deviceStep == 1) buf.copy_(g); else buf.mul_(_momentum).add_(g, HeldScalars.One);
            p.add_(buf, _negativeLearningRate);
        }

        public override void Dispose()
        {
            _momentum.Dispose();
            base.Dispose();
        }
    }

    /// <summary>PyTorch Adam (Kingma and Ba 2015 with PyTorch's eps placement), bias-corrected by the device's step.</summary>
    private sealed class Adam : StackedOptimizer
    {
        private const double Beta2 = 0.999;
        private const double Epsilon = 1e-8;

        private readonly float _learningRate;
        private readonly double _beta1;
        private readonly Tensor[] _firstMoments, _secondMoments;
        private readonly Scalar _beta1Scalar, _oneMinusBeta1, _beta2, _oneMinusBeta2, _epsilon;

        public Adam(TrainingPlan plan, Tensor[] parameters, torch.Device device) : base(plan)
        {
            _learningRate = plan.LearningRate;
            _beta1 = plan.Momentum;
            _firstMoments = Zeros(parameters, device);
            _secondMoments = Zeros(parameters, device);
            _beta1Scalar = _beta1.ToScalar();
            _oneMinusBeta1 = (1 - _beta1).ToScalar();
            _beta2 = Beta2.ToScalar();
            _oneMinusBeta2 = (1 - Beta2).ToScalar();
            _epsilon = Epsilon.ToScalar();
        }

        public override void Step(int index, Tensor p, Tensor g, int active, int deviceStep)
        {
            var m = Active(_firstMoments[index], active);
            var v = Active(_secondMoments[index], active);
            m.mul_(_beta1Scalar).add_(g, _oneMinusBeta1);
            v.mul_(_beta2).addcmul_(g, g, _oneMinusBeta2);
            double bc1 = 1 - Math.Pow(_beta1, deviceStep), bc2 = 1 - Math.Pow(Beta2, deviceStep);
            using var sqrtBc2 = Math.Sqrt(bc2).ToScalar();
            using var stepSize = (-_learningRate / bc1).ToScalar();
            var denom = v.sqrt().div_(sqrtBc2).add_(_epsilon);
            p.addcdiv_(m, denom, stepSize);
        }

        public override void Dispose()
        {
            foreach (var scalar in new[] { _beta1Scalar, _oneMinusBeta1, _beta2, _oneMinusBeta2, _epsilon }) scalar.Dispose();
            base.Dispose();
        }
    }
}
