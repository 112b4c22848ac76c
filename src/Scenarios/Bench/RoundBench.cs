using System.Diagnostics;
using FedSim.Compute;
using FedSim.Scenario;
using FedSim.Data;
using FedSim.Scenarios.Running;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using FedSim.Models;
using FedSim.Training;
using FedSim.Composition;

namespace FedSim.Scenarios.Bench;

/// <summary>One FedAvg round through the embedded silo, and where its wall time went.</summary>
/// <param name="WallSeconds">The coordinator's round clock: sampling, broadcast, training, aggregation, evaluation, checkpoint.</param>
/// <param name="PoolBusySeconds">Time the compute pool spent inside trainers and evaluators during the round (summed over its workers).</param>
/// <param name="OrleansOverhead">(wall − pool busy) / wall, floored at 0: the share of the round not spent computing.</param>
public sealed record RoundMeasurement(
    int Devices, double MeanSamplesPerDevice, int Batch, int Epochs, int Features, int Classes, int[] Hidden, int EvaluationSamples,
    long DeviceSteps, double WallSeconds, double PoolBusySeconds, double OrleansOverhead, int PoolWorkers, int PoolMaxCohortSize,
    double MeanCohortSize)
{
    public double DeviceStepsPerSecond => WallSeconds > 0 ? DeviceSteps / WallSeconds : 0;
}

public static class RoundBench
{
    /// <summary>
    /// The round's scenario: synthetic tabular data (needs no files, so it runs on any machine), IID over exactly
    /// the sampled devices, an MLP, plain SGD. Samples are sized so each device holds about <c>SamplesPerDevice</c>.
    /// </summary>
    public static ScenarioSpec Scenario(RoundWorkloadSize size, ulong seed = 1)
    {
        const double testFraction = 0.2;
        int samples = (int)Math.Ceiling(size.Devices * (double)size.SamplesPerDevice / (1 - testFraction));
        return new ScenarioSpec
        {
            Name = "bench-round",
            Seed = seed,
            Devices = size.Devices,
            Dataset = new DatasetSpec
            {
                Kind = DatasetKinds.Synthetic, Samples = samples, TestFraction = testFraction,
                Partition = new PartitionSpec { Kind = PartitionKinds.Iid },
            },
            Model = new ModelSpecOptions { Kind = ModelKinds.Mlp, Hidden = size.Hidden },
            Training = new TrainingSpec
            {
                Rounds = 1, DevicesPerRound = size.Devices, LocalEpochs = size.Epochs, BatchSize = size.Batch,
                LearningRate = 0.05, Optimizer = OptimizerKinds.Sgd,
            },
            Evaluation = new EvaluationSpec { Every = 1, MaxSamples = size.EvaluationSamples },
        };
    }

    /// <summary>
    /// Starts an embedded silo, runs a one-round experiment to warm up (data generation, grain activation, kernels),
    /// then a second one-round experiment on the same data whose round is measured.
    /// </summary>
    public static async Task<RoundMeasurement> MeasureAsync(RoundWorkloadSize size, string device, CancellationToken cancellationToken)
    {
        var scenario = Scenario(size);
        await using var silo = await EmbeddedSilo.StartAsync(o => o.Compute = new ComputePoolOptions(Device: device), logging => logging
            .AddConsole(o => o.LogToStandardErrorThreshold = LogLevel.Trace) // errors only, and on stderr: stdout is the report
            .SetMinimumLevel(LogLevel.Error), cancellationToken);
        var pool = silo.ComputePool;
        var data = silo.Services.GetRequiredService<ExperimentDataCache>().Get(scenario);

        await ExperimentDriver.RunToCompletionAsync(silo.Grains, $"bench-round-warmup-{Guid.NewGuid():N}", scenario, _ => { },
            cancellationToken, TimeSpan.FromMilliseconds(5));

        var before = pool.Snapshot();
        var status = await ExperimentDriver.RunToCompletionAsync(silo.Grains, $"bench-round-{Guid.NewGuid():N}", scenario, _ => { },
            cancellationToken, TimeSpan.FromMilliseconds(5));
        var after = pool.Snapshot();

        var report = status.Reports[^1];
        double wall = report.WallSeconds;
        double busy = after.BusySeconds - before.BusySeconds;
        long cohorts = after.CohortsRun - before.CohortsRun, jobs = after.JobsCompleted - before.JobsCompleted;
        long steps = data.Partition.Sum(shard => (long)size.Epochs * ((shard.Length + size.Batch - 1) / size.Batch));
        return new RoundMeasurement(size.Devices, data.Partition.Average(s => (double)s.Length), size.Batch, size.Epochs,
            data.Model.InputFeatures, data.Model.Classes, size.Hidden, Math.Min(size.EvaluationSamples, data.Split.Test.Count),
            steps, wall, busy, wall > 0 ? Math.Max(0, (wall - busy) / wall) : 0, after.Workers, after.MaxCohortSize,
            cohorts > 0 ? (double)jobs / cohorts : 0);
    }
}
