using FedSim.GrainInterfaces;
using FedSim.Privacy;
using FedSim.Scenario;
using FedSim.Scenarios.Running;
using Xunit.Abstractions;

namespace FedSim.ClusterTests;

/// <summary>
/// compute.sum_updates: a FedAvg round whose cohorts' updates are summed on the compute pool gives the numbers of the
/// round that brings every update to the coordinator, within the tolerance README.md states, and repeats exactly
/// (the sum is exact, so how devices happen to group into cohorts does not matter).
/// </summary>
[Collection(nameof(OneSiloCollection))]
public sealed class PooledSumClusterTests(OneSiloCluster one, ITestOutputHelper output)
{
    private Task<ExperimentStatus> Run(string id, ScenarioSpec scenario, Action<RoundReport>? onRound = null, TimeSpan? poll = null)
        => ExperimentDriver.RunToCompletionAsync(one.Cluster.GrainFactory, id, scenario, onRound ?? (_ => { }), TestScenarios.Deadline(), poll);

    private static ScenarioSpec FedAvg(string sumUpdates, ulong seed = 31)
    {
        var scenario = TestScenarios.SmallSynthetic(devices: 20, perRound: 8, rounds: 4, seed: seed);
        scenario.Compute.SumUpdates = sumUpdates;
        return scenario;
    }

    /// <summary>The two routes agree: losses to relative 1e-6, accuracy to 0.1 point, every count and byte the same.</summary>
    private void AssertAgree(IReadOnlyList<RoundReport> summed, IReadOnlyList<RoundReport> individual)
    {
        Assert.Equal(individual.Count, summed.Count);
        for (int r = 0; r < summed.Count; r++)
        {
            var (a, b) = (summed[r], individual[r]);
            output.WriteLine($"round {a.Round}: test loss {a.TestLoss:R} / {b.TestLoss:R}, accuracy {a.TestAccuracy:R} / {b.TestAccuracy:R}");
            Assert.Equal((b.Participants, b.Failed, b.TrainExamples, b.BytesSent, b.BytesReceived), (a.Participants, a.Failed, a.TrainExamples, a.BytesSent, a.BytesReceived));
            Assert.True(Math.Abs(a.TestLoss!.Value - b.TestLoss!.Value) <= 1e-6 * b.TestLoss.Value, $"round {a.Round}: test loss {a.TestLoss} vs {b.TestLoss}");
            Assert.True(Math.Abs(a.TestAccuracy!.Value - b.TestAccuracy!.Value) <= 1e-3, $"round {a.Round}: accuracy {a.TestAccuracy} vs {b.TestAccuracy}");
            Assert.True(a.MeanTrainLoss.Equals(b.MeanTrainLoss) || Math.Abs(a.MeanTrainLoss - b.MeanTrainLoss) <= 1e-9, $"round {a.Round}: train loss {a.MeanTrainLoss} vs {b.MeanTrainLoss}");
            var (ca, cb) = (a.Clients ?? throw new InvalidOperationException("no clients"), b.Clients ?? throw new InvalidOperationException("no clients"));
            Assert.Equal(cb.Select(c => (c.Device, c.Status, c.Examples, c.Steps)), ca.Select(c => (c.Device, c.Status, c.Examples, c.Steps)));
            foreach (var (x, y) in ca.Zip(cb))
                Assert.True(Math.Abs(x.UpdateNorm - y.UpdateNorm) <= 1e-6 * y.UpdateNorm, $"device {x.Device}: update norm {x.UpdateNorm} vs {y.UpdateNorm}");
            Assert.Equal(b.Metric("used"), a.Metric("used"));
        }
    }

    [Fact]
    public async Task Fedavg_summed_on_the_pool_equals_fedavg_with_every_update_on_the_host_and_repeats_exactly()
    {
        // Execute
        var summed = await Run("pooled-fedavg-a", FedAvg(SumUpdateModes.On));
        var again = await Run("pooled-fedavg-b", FedAvg(SumUpdateModes.On));
        var individual = await Run("pooled-fedavg-off", FedAvg(SumUpdateModes.Off));

        // Assert
        Assert.Null(summed.Error);
        Assert.Equal(4, summed.Reports.Count);
        Assert.All(summed.Reports, r => Assert.Equal(8, r.Participants));
        Assert.Equal(TestScenarios.WithoutWallTime(summed.Reports), TestScenarios.WithoutWallTime(again.Reports));
        AssertAgree(summed.Reports, individual.Reports);
    }

    [Fact]
    public async Task A_summed_round_replayed_after_the_coordinator_moved_counts_every_device_once()
    {
        // Prepare
        var scenario = FedAvg(SumUpdateModes.On, seed: 37);
        var reference = await Run("pooled-reference", scenario);
        var experiment = one.Cluster.GrainFactory.GetGrain<IExperimentGrain>("pooled-interrupted");

        // Execute: throw the coordinator away whenever a round ends: the next activation replays the round it had started,
        // and sums trained for the lost activation may still arrive beside the replay's own.
        var interrupted = await Run("pooled-interrupted", scenario, report =>
        {
            if (report.Round < scenario.Training.Rounds)
                experiment.Cast<Orleans.Core.Internal.IGrainManagementExtension>().DeactivateOnIdle().AsTask().GetAwaiter().GetResult();
        }, TimeSpan.FromMilliseconds(5));

        // Assert
        Assert.Null(interrupted.Error);
        Assert.Equal(TestScenarios.WithoutWallTime(reference.Reports), TestScenarios.WithoutWallTime(interrupted.Reports));
    }

    [Fact]
    public async Task Dp_sgd_devices_sum_on_the_pool_and_still_report_their_epsilon()
    {
        // Prepare: DP-SGD on every device (the trainer clips and noises; the sum sees only the result).
        ScenarioSpec Private(string mode)
        {
            var scenario = FedAvg(mode, seed: 43);
            scenario.Privacy.Local = new LocalDpSpec { ClipNorm = 1.0, NoiseMultiplier = 1.0 };
            return scenario;
        }

        // Execute
        var summed = await Run("pooled-dp-on", Private(SumUpdateModes.On));
        var individual = await Run("pooled-dp-off", Private(SumUpdateModes.Off));

        // Assert
        Assert.Null(summed.Error);
        Assert.All(summed.Reports, r => Assert.True(r.Metric("epsilon") > 0));
        Assert.Equal(individual.Reports.Select(r => r.Metric("epsilon")), summed.Reports.Select(r => r.Metric("epsilon")));
        AssertAgree(summed.Reports, individual.Reports);
    }
}
