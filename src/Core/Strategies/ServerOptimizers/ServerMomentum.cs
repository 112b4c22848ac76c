namespace FedSim.Strategies.ServerOptimizers;

/// <summary>
/// Server momentum (FedAvgM; Hsu, Qi and Brown 2019, "Measuring the Effects of Non-Identical Data
/// Distribution"): v ← β·v + Δ, x ← x + η·v. The velocity is server state "optimizer.velocity".
/// </summary>
public sealed class ServerMomentum(double learningRate, double momentum) : IServerOptimizer
{
    public const string Velocity = "optimizer.velocity";

    public float[] Step(float[] global, double[] update, ServerState state)
    {
        var v = state.Vector(Velocity, global.Length);
        var next = new float[global.Length];
        for (int i = 0; i < next.Length; i++)
        {
            double velocity = momentum * v[i] + update[i];
            v[i] = (float)velocity;
            next[i] = (float)(global[i] + learningRate * velocity);
        }
        return next;
    }
}
