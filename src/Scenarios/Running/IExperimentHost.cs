using FedSim.Compute;
using FedSim.Scenario;
using FedSim.GrainInterfaces;
using FedSim.Data;
using FedSim.Composition;

namespace FedSim.Scenarios.Running;

/// <summary>
/// Where the runner's experiments run: an <see cref="EmbeddedSilo"/> in this process, or a <see cref="ClusterClient"/>
/// connected to a cluster of standalone silos. The runner drives an experiment into a results folder the same way
/// through either (<see cref="ExperimentRunner.RunInFolderAsync"/>).
/// </summary>
public interface IExperimentHost : IAsyncDisposable
{
    IGrainFactory Grains { get; }

    /// <summary>The experiment's data as this process loads it (the console's lines, devices.csv, summary.json).</summary>
    ExperimentData Data(ScenarioSpec spec);

    /// <summary>The compute pool's figures when the pool is in this process; null for a cluster client.</summary>
    PoolMetrics? ComputeSnapshot();

    /// <summary>One line saying where the training runs.</summary>
    string ComputeDescription { get; }

    /// <summary>
    /// True when the experiments stop with this process (embedded): an interrupted run suspends its coordinator. False
    /// for a cluster: the experiment goes on without its follower, and <c>--resume</c> follows it again.
    /// </summary>
    bool OwnsExperiments { get; }
}
