using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using FedSim.Components;
using FedSim.Strategies.ClientObjectives;
using FedSim.Strategies.ServerOptimizers;
using FedSim.Training;

namespace FedSim.Strategies.Algorithms;

/// <summary>SCAFFOLD (Karimireddy et al. 2020), option II control variates.</summary>
[ComponentKind("scaffold", Order = 6), GenerateSerializer]
[Description("SCAFFOLD (Karimireddy et al. 2020): control variates correct client drift; devices keep c_i between rounds.")]
public sealed class ScaffoldOptions : StrategyOptions
{
    [Id(0), Description("Global step size η_g: x ← x + η_g·aggregate.")]
    [Range(0, double.MaxValue, MinimumIsExclusive = true)]
    public double ServerLearningRate { get; set; } = 1.0;

    public override ClientObjective CreateObjective(TrainingFacts training) => new ScaffoldObjective();

    public override IServerOptimizer CreateServerOptimizer() => new ServerSgd(ServerLearningRate);

    public override IEnumerable<ComponentFinding> Check(TrainingFacts training, string path)
    {
        // Option II divides by K·η_l, derived for plain SGD steps; momentum or Adam would make c_i meaningless.
        if (training.Optimizer != OptimizerKinds.Sgd)
            yield return new ComponentFinding("training.optimizer",
                $"strategy 'scaffold' needs training.optimizer 'sgd' (its control variates assume plain SGD steps), got '{training.Optimizer}'");
    }
}
