using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using FedSim.Components;
using FedSim.Strategies.ClientObjectives;
using FedSim.Strategies.ServerOptimizers;
using FedSim.Training;

namespace FedSim.Strategies.Algorithms;

/// <summary>FedNova (Wang et al. 2020): normalised averaging for unequal local work.</summary>
[ComponentKind("fednova", Order = 7), GenerateSerializer]
[Description("FedNova (Wang et al. 2020): each update divided by its local work, the aggregate scaled by τ_eff.")]
public sealed class FedNovaOptions : StrategyOptions
{
    [Id(0), Description("Server learning rate η.")]
    [Range(0, double.MaxValue, MinimumIsExclusive = true)]
    public double ServerLearningRate { get; set; } = 1.0;

    public override ClientObjective CreateObjective(TrainingFacts training)
        => new NormalizedObjective(training.Optimizer == OptimizerKinds.Momentum ? training.Momentum : 0);

    public override IServerOptimizer CreateServerOptimizer() => new ServerSgd(ServerLearningRate);

    public override IEnumerable<ComponentFinding> Check(TrainingFacts training, string path)
    {
        // The local-work vector a_i is derived for SGD with (or without) momentum; Adam has no such closed form.
        if (training.Optimizer == OptimizerKinds.Adam)
            yield return new ComponentFinding("training.optimizer",
                "strategy 'fednova' normalises by the local work of SGD or momentum steps; training.optimizer 'adam' has no such measure, use sgd or momentum");
    }
}
