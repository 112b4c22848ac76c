namespace FedSim.Strategies.ServerOptimizers;

/// <summary>
/// The adaptive server optimizers of Reddi et al. 2021 ("Adaptive Federated Optimization", Algorithm 2):
/// m ← β₁·m + (1 − β₁)·Δ, v ← (kind-specific second moment), x ← x + η·m / (√v + τ). No bias correction,
/// as in the paper; v starts at τ² (the paper asks for v₋₁ ≥ τ²). Moments are server state
/// "optimizer.m" and "optimizer.v". Subclasses differ only in the second-moment update.
/// </summary>
public abstract class AdaptiveServerOptimizer(double learningRate, double beta1, double tau) : IServerOptimizer
{
    public const string FirstMoment = "optimizer.m";
    public const string SecondMoment = "optimizer.v";

    public float[] Step(float[] global, double[] update, ServerState state)
    {
        var m = state.Vector(FirstMoment, global.Length);
        var v = state.Vector(SecondMoment, global.Length, (float)(tau * tau));
        var next = new float[global.Length];
        for (int i = 0; i < next.Length; i++)
        {
            double d = update[i];
            double mi = beta1 * m[i] + (1 - beta1) * d;
            double vi = NextSecondMoment(v[i], d * d);
            m[i] = (float)mi;
            v[i] = (float)vi;
            next[i] = (float)(global[i] + learningRate * mi / (Math.Sqrt(vi) + tau));
        }
        return next;
    }

    /// <summary>v_t from v_{t−1} and Δ².</summary>
    protected abstract double NextSecondMoment(double previous, double squaredUpdate);
}

/// <summary>FedAdagrad: v ← v + Δ².</summary>
public sealed class ServerAdagrad(double learningRate, double beta1, double tau) : AdaptiveServerOptimizer(learningRate, beta1, tau)
{
    protected override double NextSecondMoment(double previous, double squaredUpdate) => previous + squaredUpdate;
}

/// <summary>FedAdam: v ← β₂·v + (1 − β₂)·Δ².</summary>
public sealed class ServerAdam(double learningRate, double beta1, double beta2, double tau) : AdaptiveServerOptimizer(learningRate, beta1, tau)
{
    protected override double NextSecondMoment(double previous, double squaredUpdate) => beta2 * previous + (1 - beta2) * squaredUpdate;
}

/// <summary>FedYogi (after Zaheer et al. 2018's Yogi): v ← v − (1 − β₂)·Δ²·sign(v − Δ²).</summary>
public sealed class ServerYogi(double learningRate, double beta1, double beta2, double tau) : AdaptiveServerOptimizer(learningRate, beta1, tau)
{
    protected override double NextSecondMoment(double previous, double squaredUpdate)
        => previous - (1 - beta2) * squaredUpdate * Math.Sign(previous - squaredUpdate);
}
