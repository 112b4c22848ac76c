using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using FedSim.Components;

namespace FedSim.Attacks.Poisoning;

/// <summary>Scaling: send the honest update multiplied by a large factor (it dominates a plain mean).</summary>
[ComponentKind("scaling", Order = 3), GenerateSerializer]
[Description("Scaling: send factor × the honest update.")]
public sealed class ScalingOptions : ByzantineOptions
{
    [Id(0), Description("Multiplier of the honest update.")]
    [Range(0, double.MaxValue, MinimumIsExclusive = true)]
    public double Factor { get; set; } = 10;

    public override float[][] Craft(IReadOnlyList<float[]> honest, PoisoningContext context)
        => honest.Select(h => Scaled(h, Factor)).ToArray();
}
