using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using FedSim.Components;

namespace FedSim.Attacks.Poisoning;

/// <summary>Sign flipping: send −s times the honest update (Li et al. 2019, "RSA", use s = 4).</summary>
[ComponentKind("sign-flip", Order = 1), GenerateSerializer]
[Description("Sign flipping: send −scale × the honest update (Li et al. 2019 use scale 4).")]
public sealed class SignFlipOptions : ByzantineOptions
{
    [Id(0), Description("Magnitude s of the flipped update.")]
    [Range(0, double.MaxValue, MinimumIsExclusive = true)]
    public double Scale { get; set; } = 4;

    public override float[][] Craft(IReadOnlyList<float[]> honest, PoisoningContext context)
        => honest.Select(h => Scaled(h, -Scale)).ToArray();
}
