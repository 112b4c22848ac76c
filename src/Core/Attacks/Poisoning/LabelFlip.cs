using System.ComponentModel;
using FedSim.Components;
using FedSim.Data;
using FedSim.Training;

namespace FedSim.Attacks.Poisoning;

/// <summary>Label flipping: malicious devices train honestly on labels y ↦ C − 1 − y and send the result.</summary>
[ComponentKind("label-flip", Order = 0), GenerateSerializer]
[Description("Label flipping: train on labels y → C−1−y, send the honest update of that training.")]
public sealed class LabelFlipOptions : ByzantineOptions
{
    public override IEnumerable<PlanModifier> TrainingModifiers(DataFacts data) => [new LabelFlip(data.Classes)];

    public override float[][] Craft(IReadOnlyList<float[]> honest, PoisoningContext context) => [.. honest];
}
