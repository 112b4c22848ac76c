using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using FedSim.Components;
using FedSim.Strategies.ServerOptimizers;

namespace FedSim.Strategies.Algorithms;

/// <summary>Federated Averaging (McMahan et al. 2017, Algorithm 1), with an optional server learning rate.</summary>
[ComponentKind("fedavg", Order = 0), GenerateSerializer]
[Description("FedAvg (McMahan et al. 2017): plain local training, x ← x + η·aggregate.")]
public sealed class FedAvgOptions : StrategyOptions
{
    [Id(0), Description("Server learning rate η applied to the aggregated update (1 = plain FedAvg).")]
    [Range(0, double.MaxValue, MinimumIsExclusive = true)]
    public double ServerLearningRate { get; set; } = 1.0;

    public override IServerOptimizer CreateServerOptimizer() => new ServerSgd(ServerLearningRate);
}
