namespace FedSim.Training;

/// <summary>
/// A scenario's local-training settings as the components that build or check a client objective see them, at the
/// precision they were written in (the plan itself carries float32 rates).
/// </summary>
/// <param name="Optimizer">sgd | momentum | adam (<see cref="OptimizerKinds"/>).</param>
/// <param name="Precision">fp32 | tf32 | bf16 (<see cref="Precisions"/>, <c>compute.precision</c>).</param>
public sealed record TrainingFacts(string Optimizer, double LearningRate, double Momentum, int BatchSize, int LocalEpochs,
    string Precision = Precisions.Fp32)
{
    /// <summary>The plan every device starts from, before the algorithm's and the attacks' modifiers.</summary>
    public TrainingPlan BasePlan() => new(Optimizer, (float)LearningRate, (float)Momentum, BatchSize, LocalEpochs, Precision: Precision);
}
