using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using FedSim.Components;
using FedSim.Strategies.ClientObjectives;
using FedSim.Strategies.ServerOptimizers;
using FedSim.Training;

namespace FedSim.Strategies.Algorithms;

/// <summary>FedProx (Li et al. 2020): local training with a proximal term; server as FedAvg.</summary>
[ComponentKind("fedprox", Order = 2), GenerateSerializer]
[Description("FedProx (Li et al. 2020): local objective + μ/2·‖w − w_global‖²; server as FedAvg.")]
public sealed class FedProxOptions : StrategyOptions
{
    [Id(0), Description("Proximal coefficient μ (Li et al. try 0.001 to 1; 0.01 is a common choice).")]
    [Range(0, double.MaxValue, MinimumIsExclusive = true)]
    public double Mu { get; set; } = 0.01;

    [Id(1), Description("Server learning rate η.")]
    [Range(0, double.MaxValue, MinimumIsExclusive = true)]
    public double ServerLearningRate { get; set; } = 1.0;

    public override ClientObjective CreateObjective(TrainingFacts training) => new ProximalObjective(Mu);

    public override IServerOptimizer CreateServerOptimizer() => new ServerSgd(ServerLearningRate);
}
