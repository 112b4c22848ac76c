using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using FedSim.Components;
using FedSim.Strategies;

namespace FedSim.Attacks.Poisoning;

/// <summary>
/// Inner product manipulation (Xie, Koyejo and Gupta 2019, "Fall of Empires"): the members all send −ε times
/// the mean of their honest updates, so the aggregate's inner product with the true gradient turns negative
/// while each malicious update stays close to the honest ones.
/// </summary>
[ComponentKind("ipm", Order = 6), GenerateSerializer]
[Description("IPM (Xie et al. 2019): colluding members all send −epsilon × the mean of their honest updates.")]
public sealed class InnerProductManipulationOptions : ByzantineOptions
{
    [Id(0), Description("ε: small values (0.1) slip past median and Krum, large ones (100) swamp a mean.")]
    [Range(0, double.MaxValue, MinimumIsExclusive = true)]
    public double Epsilon { get; set; } = 0.1;

    public override bool Colludes => true;

    public override float[][] Craft(IReadOnlyList<float[]> honest, PoisoningContext context)
    {
        if (honest.Count == 0) return [];
        var mean = AggregationMath.Mean(honest);
        var crafted = new float[mean.Length];
        for (int i = 0; i < crafted.Length; i++) crafted[i] = (float)(-Epsilon * mean[i]);
        return honest.Select(_ => (float[])crafted.Clone()).ToArray();
    }
}
