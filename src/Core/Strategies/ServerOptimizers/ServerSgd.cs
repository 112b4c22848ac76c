namespace FedSim.Strategies.ServerOptimizers;

/// <summary>x ← x + η·Δ: FedAvg's server step (η = 1 is plain FedAvg; Reddi et al. 2021 call η the server learning rate).</summary>
public sealed class ServerSgd(double learningRate) : IServerOptimizer
{
    public double LearningRate { get; } = learningRate > 0 ? learningRate
        : throw new ArgumentOutOfRangeException(nameof(learningRate), "server learning rate must be > 0");

    public float[] Step(float[] global, double[] update, ServerState state)
    {
        var next = new float[global.Length];
        for (int i = 0; i < next.Length; i++) next[i] = (float)(global[i] + LearningRate * update[i]);
        return next;
    }
}
