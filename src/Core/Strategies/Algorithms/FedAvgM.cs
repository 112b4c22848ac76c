using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using FedSim.Components;
using FedSim.Strategies.ServerOptimizers;

namespace FedSim.Strategies.Algorithms;

/// <summary>FedAvg with server momentum (Hsu, Qi and Brown 2019).</summary>
[ComponentKind("fedavgm", Order = 1), GenerateSerializer]
[Description("FedAvgM (Hsu et al. 2019): FedAvg with server momentum, v ← β·v + Δ, x ← x + η·v.")]
public sealed class FedAvgMOptions : StrategyOptions
{
    [Id(0), Description("Server learning rate η.")]
    [Range(0, double.MaxValue, MinimumIsExclusive = true)]
    public double ServerLearningRate { get; set; } = 1.0;

    [Id(1), Description("Server momentum β (Hsu et al. use 0.9 with η = 1 as a strong default).")]
    [Range(0, 1, MaximumIsExclusive = true)]
    public double ServerMomentum { get; set; } = 0.9;

    public override IServerOptimizer CreateServerOptimizer() => new ServerMomentum(ServerLearningRate, ServerMomentum);
}
