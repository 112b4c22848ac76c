using System.ComponentModel;
using FedSim.Components;
using FedSim.Strategies.Aggregators;
using FedSim.Training;

namespace FedSim.Strategies.Algorithms;

/// <summary>
/// The strategy family (<c>strategy.kind</c>): a named federated algorithm, i.e. a client objective and a
/// server optimizer, combined with any aggregator (<c>strategy.aggregator</c>). Each kind is one file in
/// Algorithms/ holding its options and the parts it builds.
/// </summary>
[ComponentFamily("strategy"), GenerateSerializer]
[Description("The federated algorithm: what clients do, how updates are combined, how the server applies them.")]
public abstract class StrategyOptions : ComponentOptions
{
    [Id(0), Description("How client updates are combined (any aggregator works with any strategy).")]
    public AggregatorOptions Aggregator { get; set; } = new MeanOptions();

    /// <summary>The client part; the base is plain local training (FedAvg).</summary>
    public virtual ClientObjective CreateObjective(TrainingFacts training) => new();

    /// <summary>The server part.</summary>
    public abstract IServerOptimizer CreateServerOptimizer();

    /// <summary>Rules relating this strategy to the rest of the scenario, as findings about keys under <paramref name="path"/>.</summary>
    public virtual IEnumerable<ComponentFinding> Check(TrainingFacts training, string path) => [];
}

/// <summary>A built algorithm: the three parts the coordinator and devices run.</summary>
public sealed record FederatedAlgorithm(ClientObjective Objective, IAggregator Aggregator, IServerOptimizer ServerOptimizer)
;
