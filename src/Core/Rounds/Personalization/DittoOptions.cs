using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using FedSim.Components;
using FedSim.Training;

namespace FedSim.Rounds.Personalization;

/// <summary>
/// Ditto (Li, Hu, Beirami and Smith 2021, "Ditto: Fair and Robust Federated Learning Through Personalization",
/// Algorithm 1): every device keeps a personal model v_k. Each round it is sampled it trains the global model as usual,
/// and besides takes local_steps steps on v_k with gradient ∇F_k(v_k) + λ·(v_k − w^t), w^t the round's global model;
/// v_k starts as the global model the first time. Only the global update leaves the device; v_k stays in its state.
/// Evaluation tests v_k (a device never sampled yet has the current global model).
/// </summary>
[ComponentKind("ditto", Order = 1), GenerateSerializer]
[Description("Ditto (Li et al. 2021): each device keeps a personal model and, whenever it is sampled, trains it local_steps steps toward its own data with the proximal term lambda/2·‖v − w‖² to the round's global model w; evaluation tests the personal models.")]
public sealed class DittoOptions : PersonalizationOptions
{
    /// <summary>Name of the personal model v_k in the device's stored state.</summary>
    public const string PersonalModelVector = "ditto.personal";

    [Id(0), Description("λ: how strongly each personal model is pulled toward the global model (0: purely local training; large: the global model).")]
    [Range(0, double.MaxValue)]
    public double Lambda { get; set; } = 0.1;

    /// <summary>The training plan (enough epochs for the steps; the step cap ends it) with Ditto's proximal term.</summary>
    public override PersonalModelTraining? KeptModelTraining(TrainingFacts training)
        => new(training.BasePlan().With(new DittoProximalTerm((float)Lambda)) with { LocalEpochs = Math.Max(1, LocalSteps) }, LocalSteps);

    public override IEnumerable<ComponentFinding> Check(TrainingFacts training, bool perDevice, string path)
    {
        foreach (var finding in base.Check(training, perDevice, path)) yield return finding;
        if (!IsOn)
            yield return new($"{path}.local_steps",
                $"{path}.kind ditto trains each sampled device's personal model local_steps steps a round; set local_steps to at least 1");
        // Gradient descent on the proximal term alone contracts v − w by (1 − ηλ) a step: at ηλ ≥ 2 it grows instead
        // (with heavy-ball momentum β the bound is 2(1 + β)), and the personal models diverge.
        double bound = training.Optimizer switch { OptimizerKinds.Sgd => 2, OptimizerKinds.Momentum => 2 * (1 + training.Momentum), _ => double.PositiveInfinity };
        if (training.LearningRate * Lambda >= bound)
            yield return new($"{path}.lambda",
                $"{path}.lambda ({Lambda:G6}) x training.learning_rate ({training.LearningRate:G6}) must stay below {bound:G4} with optimizer {training.Optimizer}, or the personal models diverge; lower one of them");
    }
}
