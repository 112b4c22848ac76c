namespace FedSim.Strategies;

/// <summary>
/// Federated Averaging (McMahan et al. 2017, "Communication-Efficient Learning of Deep Networks from
/// Decentralized Data", Algorithm 1): the new model is the example-weighted mean of client models,
/// written here as global + η·Σ nₖΔₖ / Σ nₖ with server learning rate η (η = 1 is plain FedAvg).
/// </summary>
public sealed class FedAvg(double serverLearningRate = 1.0) : IAggregationStrategy
{
    public string Name => "fedavg";

    public double ServerLearningRate { get; } = serverLearningRate > 0
        ? serverLearningRate
        : throw new ArgumentOutOfRangeException(nameof(serverLearningRate), "server learning rate must be > 0");

    public float[] Aggregate(AggregationInput input)
    {
        var next = (float[])input.GlobalWeights.Clone();
        if (input.Results.Count == 0) return next; // every client failed: keep the model
        double[] mean = AggregationMath.WeightedMean(input.Results.Select(r => r.Delta).ToList(),
                                                     input.Results.Select(r => (double)r.Examples).ToList());
        for (int i = 0; i < next.Length; i++) next[i] = (float)(next[i] + ServerLearningRate * mean[i]);
        return next;
    }
}

/// <summary>The arithmetic shared by strategies, in small exact functions.</summary>
public static class AggregationMath
{
    /// <summary>
    /// Σ wₖ·xₖ / Σ wₖ, accumulated in double in the given order (callers sort by device id, so the
    /// result does not depend on arrival order). Zero total weight is an error, not a silent NaN.
    /// </summary>
    public static double[] WeightedMean(IReadOnlyList<float[]> vectors, IReadOnlyList<double> weights)
    {
        if (vectors.Count == 0) throw new ArgumentException("no vectors to average", nameof(vectors));
        if (vectors.Count != weights.Count) throw new ArgumentException("one weight per vector is required", nameof(weights));
        int n = vectors[0].Length;
        double total = 0;
        for (int k = 0; k < weights.Count; k++)
        {
            if (!(weights[k] >= 0) || double.IsInfinity(weights[k]))
                throw new ArgumentException($"weight {k} is {weights[k]}; weights must be finite and non-negative", nameof(weights));
            total += weights[k];
        }
        if (total <= 0) throw new ArgumentException("total weight is zero", nameof(weights));
        var sum = new double[n];
        for (int k = 0; k < vectors.Count; k++)
        {
            var v = vectors[k];
            if (v.Length != n) throw new ArgumentException($"vector {k} has {v.Length} values, expected {n}", nameof(vectors));
            double w = weights[k];
            for (int i = 0; i < n; i++) sum[i] += w * v[i];
        }
        for (int i = 0; i < n; i++) sum[i] /= total;
        return sum;
    }
}

/// <summary>Builds the strategy a scenario names; the extension point for new strategies.</summary>
public static class StrategyFactory
{
    public static IAggregationStrategy Create(Contracts.StrategySpec spec) => spec.Kind switch
    {
        Contracts.StrategyKinds.FedAvg => new FedAvg(spec.ServerLearningRate),
        _ => throw new ArgumentException($"unknown strategy '{spec.Kind}'; known: {string.Join(", ", Contracts.StrategyKinds.All)}"),
    };
}
