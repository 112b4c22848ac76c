using FedSim.Compute;
using FedSim.Scenario;
using FedSim.GrainInterfaces;
using FedSim.Devices;
using FedSim.Scenarios.Running;
using Microsoft.Extensions.DependencyInjection;
using Orleans.TestingHost;
using FedSim.Telemetry;

namespace FedSim.ClusterTests;

[Collection(nameof(TwoSiloCollection))]
public sealed class TwoSiloExperimentTests(TwoSiloCluster two)
{
    [Fact]
    public async Task Two_silo_cluster_gives_the_same_metrics_as_one_silo()
    {
        // Prepare
        var scenario = TestScenarios.SmallSynthetic();
        await using var oneSilo = new TestClusterBuilder(1).AddSiloBuilderConfigurator<FedSimTestSiloConfigurator>().Build() is var c
            ? new DisposableCluster(c) : null!;
        await oneSilo.Cluster.DeployAsync();

        // Execute
        var onOne = await ExperimentDriver.RunToCompletionAsync(oneSilo.Cluster.GrainFactory, "det-one", scenario, _ => { }, TestScenarios.Deadline());
        var onTwo = await ExperimentDriver.RunToCompletionAsync(two.Cluster.GrainFactory, "det-two", scenario, _ => { }, TestScenarios.Deadline());

        // Assert
        Assert.Equal(scenario.Training.Rounds, onTwo.Reports.Count);
        Assert.Equal(TestScenarios.WithoutWallTime(onOne.Reports), TestScenarios.WithoutWallTime(onTwo.Reports));
        Assert.All(onTwo.Reports, r => Assert.Equal(scenario.Training.DevicesPerRound, r.Participants));
    }

    [Fact]
    public async Task Devices_train_on_both_silos_and_each_silo_uploads_a_rounds_model_once()
    {
        // Prepare: 20 devices a round over two silos whose pools train at most 8 together, so a silo's share of a
        // round runs as more than one cohort, each from its own deserialized copy of the model when the coordinator
        // is on the other silo.
        var scenario = TestScenarios.SmallSynthetic(devices: 40, perRound: 20, rounds: 2, seed: 11);
        IServiceProvider Services(SiloHandle s) => ((InProcessSiloHandle)s).SiloHost!.Services;
        long Activations(SiloHandle s) => Services(s).GetRequiredService<SiloMetrics>().DeviceActivations;
        PoolMetrics Pool(SiloHandle s) => Services(s).GetRequiredService<IComputePool>().Snapshot();
        var before = two.Cluster.Silos.Select(Activations).ToArray();
        var poolsBefore = two.Cluster.Silos.Select(Pool).ToArray();

        // Execute
        await ExperimentDriver.RunToCompletionAsync(two.Cluster.GrainFactory, "spread", scenario, _ => { }, TestScenarios.Deadline());

        // Assert: random placement puts some of 40 device activations on each silo; each silo copied each round's
        // model to its torch device at most once, though its cohorts outnumber the rounds.
        var after = two.Cluster.Silos.Select(Activations).ToArray();
        Assert.All(after.Zip(before), p => Assert.True(p.First > p.Second, "a silo activated no device"));
        var pools = two.Cluster.Silos.Select(Pool).Zip(poolsBefore, (now, then) =>
            (Uploads: now.GlobalModelUploads - then.GlobalModelUploads, Cohorts: now.CohortsRun - then.CohortsRun)).ToArray();
        Assert.All(pools, p => Assert.InRange(p.Uploads, 1, scenario.Training.Rounds));
        Assert.True(pools.Sum(p => p.Cohorts) > pools.Sum(p => p.Uploads), $"cohorts {string.Join(", ", pools)}: no cohort reused a model");
    }

    private sealed class DisposableCluster(TestCluster cluster) : IAsyncDisposable
    {
        public TestCluster Cluster { get; } = cluster;

        public async ValueTask DisposeAsync()
        {
            await Cluster.StopAllSilosAsync();
            await Cluster.DisposeAsync();
        }
    }
}

[Collection(nameof(OneSiloCollection))]
public sealed class OneSiloExperimentTests(OneSiloCluster one)
{
    [Fact]
    public async Task Same_scenario_and_seed_give_identical_reports()
    {
        var scenario = TestScenarios.SmallSynthetic(seed: 3);

        var first = await ExperimentDriver.RunToCompletionAsync(one.Cluster.GrainFactory, "repeat-a", scenario, _ => { }, TestScenarios.Deadline());
        var second = await ExperimentDriver.RunToCompletionAsync(one.Cluster.GrainFactory, "repeat-b", scenario, _ => { }, TestScenarios.Deadline());

        Assert.Equal(TestScenarios.WithoutWallTime(first.Reports), TestScenarios.WithoutWallTime(second.Reports));
    }

    [Fact]
    public async Task Different_seed_gives_different_reports()
    {
        var a = await ExperimentDriver.RunToCompletionAsync(one.Cluster.GrainFactory, "seed-a", TestScenarios.SmallSynthetic(seed: 1), _ => { }, TestScenarios.Deadline());
        var b = await ExperimentDriver.RunToCompletionAsync(one.Cluster.GrainFactory, "seed-b", TestScenarios.SmallSynthetic(seed: 2), _ => { }, TestScenarios.Deadline());

        Assert.NotEqual(a.Reports[^1].TestLoss, b.Reports[^1].TestLoss);
    }

    [Fact]
    public async Task Ten_thousand_registered_devices_run_without_activating_them_all()
    {
        // Prepare
        var scenario = TestScenarios.SmallSynthetic(devices: 10_000, perRound: 10, rounds: 3, seed: 5);
        scenario.Dataset.Samples = 40_000;
        var metrics = ((InProcessSiloHandle)one.Cluster.Primary!).SiloHost!.Services.GetRequiredService<SiloMetrics>();
        long before = metrics.DeviceActivations;

        // Execute
        var status = await ExperimentDriver.RunToCompletionAsync(one.Cluster.GrainFactory, "ten-thousand", scenario, _ => { }, TestScenarios.Deadline());

        // Assert: only sampled devices (at most 10 per round) were ever activated.
        Assert.Equal(3, status.Reports.Count);
        Assert.InRange(metrics.DeviceActivations - before, 1, 30);
    }

    [Fact]
    public async Task Global_model_is_checkpointed_after_every_round()
    {
        var scenario = TestScenarios.SmallSynthetic(rounds: 2, seed: 9);
        var status = await ExperimentDriver.RunToCompletionAsync(one.Cluster.GrainFactory, "checkpointed", scenario, _ => { }, TestScenarios.Deadline());

        // A fresh activation (after deactivation) must see the same model: it can only come from storage.
        var experiment = one.Cluster.GrainFactory.GetGrain<IExperimentGrain>("checkpointed");
        var before = await experiment.GetGlobalModelAsync();
        var management = one.Cluster.GrainFactory.GetGrain<IManagementGrain>(0);
        await management.ForceActivationCollection(TimeSpan.Zero);
        var after = await experiment.GetGlobalModelAsync();

        Assert.Equal(2, status.CompletedRounds);
        Assert.Equal(before.Round, after.Round);
        Assert.Equal(before.Weights, after.Weights);
    }
}

[Collection(nameof(OneSiloCollection))]
public sealed class UpdateValidationTests(OneSiloCluster one)
{
    [Fact]
    public async Task Updates_with_non_finite_values_are_rejected_and_the_model_kept()
    {
        // Prepare: a learning rate this large overflows local training to inf/NaN.
        var scenario = TestScenarios.SmallSynthetic(rounds: 1, seed: 13);
        scenario.Training.LearningRate = 1e38;
        scenario.Model = new FedSim.Models.ModelSpecOptions { Kind = FedSim.Models.ModelKinds.Mlp, Hidden = [16] };
        var experiment = one.Cluster.GrainFactory.GetGrain<IExperimentGrain>("nan-updates");

        // Execute
        var status = await ExperimentDriver.RunToCompletionAsync(one.Cluster.GrainFactory, "nan-updates", scenario, _ => { }, TestScenarios.Deadline());
        var model = await experiment.GetGlobalModelAsync();

        // Assert
        var report = Assert.Single(status.Reports);
        Assert.Equal(0, report.Participants);
        Assert.Equal(scenario.Training.DevicesPerRound, report.Failed);
        Assert.All(model.Weights, w => Assert.True(float.IsFinite(w)));
    }
}

[Collection(nameof(OneSiloCollection))]
public sealed class CheckpointResumeTests(OneSiloCluster one)
{
    [Fact]
    public async Task A_coordinator_deactivated_mid_run_resumes_from_its_checkpoint_with_the_same_numbers()
    {
        // Prepare: rounds heavy enough (20 devices x 2 epochs over ~500 samples) that a 5 ms poll sees each one
        // end, and an uninterrupted run to compare with.
        var scenario = TestScenarios.SmallSynthetic(devices: 40, perRound: 20, rounds: 6, seed: 21);
        scenario.Dataset.Samples = 25_000;
        scenario.Training.LocalEpochs = 2;
        var reference = await ExperimentDriver.RunToCompletionAsync(one.Cluster.GrainFactory, "resume-reference", scenario, _ => { }, TestScenarios.Deadline());
        var experiment = one.Cluster.GrainFactory.GetGrain<IExperimentGrain>("resume-interrupted");
        var metrics = ((InProcessSiloHandle)one.Cluster.Primary!).SiloHost!.Services.GetRequiredService<SiloMetrics>();
        long resumesBefore = metrics.ExperimentResumes;

        // Execute: whenever a round ends, throw the coordinator's activation away (with the round it has just
        // started); the next call activates it from storage, and it must replay that round with the same seeds.
        var interrupted = await ExperimentDriver.RunToCompletionAsync(one.Cluster.GrainFactory, "resume-interrupted", scenario, report =>
        {
            if (report.Round < scenario.Training.Rounds)
                experiment.Cast<Orleans.Core.Internal.IGrainManagementExtension>().DeactivateOnIdle().AsTask().GetAwaiter().GetResult();
        }, TestScenarios.Deadline(), pollInterval: TimeSpan.FromMilliseconds(5));

        // Assert
        Assert.True(metrics.ExperimentResumes - resumesBefore >= 1, "the coordinator never resumed from a checkpoint");
        Assert.Equal(TestScenarios.WithoutWallTime(reference.Reports), TestScenarios.WithoutWallTime(interrupted.Reports));
    }
}

[Collection(nameof(OneSiloCollection))]
public sealed class ObserverTests(OneSiloCluster one)
{
    private sealed class RecordingObserver : IExperimentObserver
    {
        public List<int> Rounds { get; } = [];
        public TaskCompletionSource<ExperimentStatus> Finished { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public void OnRoundCompleted(RoundReport report)
        {
            lock (Rounds) Rounds.Add(report.Round);
        }

        public void OnExperimentFinished(ExperimentStatus status) => Finished.TrySetResult(status);
    }

    [Fact]
    public async Task Observers_receive_every_round_report_and_the_end()
    {
        // Prepare
        var scenario = TestScenarios.SmallSynthetic(rounds: 3, seed: 17);
        var observer = new RecordingObserver();
        var reference = one.Cluster.Client.CreateObjectReference<IExperimentObserver>(observer);
        var experiment = one.Cluster.GrainFactory.GetGrain<IExperimentGrain>("observed");
        await experiment.SubscribeAsync(reference);

        // Execute
        await ExperimentDriver.RunToCompletionAsync(one.Cluster.GrainFactory, "observed", scenario, _ => { }, TestScenarios.Deadline());
        var finished = await observer.Finished.Task.WaitAsync(TimeSpan.FromSeconds(30));

        // Assert
        Assert.True(finished.Finished);
        lock (observer.Rounds) Assert.Equal([1, 2, 3], observer.Rounds);
        await experiment.UnsubscribeAsync(reference);
    }
}
