using TorchSharp;

namespace FedSim.Compute;

/// <summary>
/// Trains a cohort of devices (all with the same model layout and plan) as one vectorized program.
/// Called by the compute pool on its own thread; all tensor work stays inside this synchronous call.
/// </summary>
public static class BatchedTrainer
{
    public static TrainingResult[] Train(IReadOnlyList<TrainingJob> cohort, torch.Device device)
        => throw new NotImplementedException("compute work in progress");
}

/// <summary>Evaluates weights on a dataset in fixed-size chunks.</summary>
public static class ModelEvaluator
{
    public static EvaluationResult Evaluate(EvaluationJob job, torch.Device device)
        => throw new NotImplementedException("compute work in progress");
}
