using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using FedSim.Components;
using FedSim.Data;
using FedSim.Training;

namespace FedSim.Attacks.Poisoning;

/// <summary>
/// Backdoor by model replacement (Bagdasaryan et al. 2020, "How To Backdoor Federated Learning"): train on data
/// where a fraction of samples carry a pixel-pattern trigger and the target label, then scale the update by
/// γ so it survives averaging (γ = n/η replaces the global model outright; the paper's Section 4.2).
/// </summary>
[ComponentKind("backdoor", Order = 4), GenerateSerializer]
[Description("Backdoor (Bagdasaryan et al. 2020): train with a pixel trigger → target label, boost the update (model replacement).")]
public sealed class BackdoorOptions : ByzantineOptions
{
    [Id(0), Description("Label that triggered inputs should be classified as.")]
    [Range(0, int.MaxValue)]
    public int TargetLabel { get; set; }

    [Id(1), Description("Side of the square trigger patch in the bottom-right corner, in pixels (tabular data: the last side² features).")]
    [Range(1, 64)]
    public int PatchSize { get; set; } = 4;

    [Id(2), Description("Fraction of the malicious device's training samples that carry the trigger.")]
    [Range(0, 1, MinimumIsExclusive = true)]
    public double PoisonFraction { get; set; } = 0.5;

    [Id(3), Description("Scale γ of the sent update; 0 means n (the cohort size), which replaces the model under FedAvg with η = 1.")]
    [Range(0, double.MaxValue)]
    public double Boost { get; set; }

    public override IEnumerable<PlanModifier> TrainingModifiers(DataFacts data)
        => [new BackdoorTrigger(PatchSize, data.MaxFeature, TargetLabel, PoisonFraction)];

    public override float[][] Craft(IReadOnlyList<float[]> honest, PoisoningContext context)
    {
        double gamma = Boost > 0 ? Boost : context.CohortSize;
        return honest.Select(h => Scaled(h, gamma)).ToArray();
    }

    /// <summary>The trigger as evaluation applies it to test inputs (same pixels and value as in training).</summary>
    public override BackdoorTrigger? EvaluationTrigger(DataFacts data) => new BackdoorTrigger(PatchSize, data.MaxFeature, TargetLabel, 1.0);
}
