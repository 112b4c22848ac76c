using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using FedSim.Components;
using FedSim.Determinism;

namespace FedSim.Attacks.Poisoning;

/// <summary>Gaussian attack: replace the update by N(μ, σ²) noise in every coordinate (Blanchard et al. 2017's "Gaussian Byzantine").</summary>
[ComponentKind("gaussian", Order = 2), GenerateSerializer]
[Description("Gaussian: send N(mean, std²) noise instead of an update.")]
public sealed class GaussianNoiseOptions : ByzantineOptions
{
    [Id(0), Description("Mean of every coordinate.")]
    public double Mean { get; set; }

    [Id(1), Description("Standard deviation of every coordinate.")]
    [Range(0, double.MaxValue, MinimumIsExclusive = true)]
    public double Std { get; set; } = 1;

    public override float[][] Craft(IReadOnlyList<float[]> honest, PoisoningContext context)
    {
        var rng = new DeterministicRandom(context.Seed);
        return honest.Select(h =>
        {
            var noise = new float[h.Length];
            for (int i = 0; i < noise.Length; i++) noise[i] = (float)(Mean + Std * rng.NextGaussian());
            return noise;
        }).ToArray();
    }
}
