using FedSim.Contracts;

namespace FedSim.Scenarios.Running;

/// <summary>
/// Client side of an experiment: starts the coordinator grain and follows it to the end, handing each
/// new round report to <paramref name="onRound"/> in order. Works against an embedded silo or a cluster.
/// </summary>
public static class ExperimentDriver
{
    public static async Task<ExperimentStatus> RunToCompletionAsync(IGrainFactory grains, string experimentId, ScenarioSpec scenario,
        Action<RoundReport> onRound, CancellationToken cancellationToken, TimeSpan? pollInterval = null)
    {
        var experiment = grains.GetGrain<IExperimentGrain>(experimentId);
        await experiment.StartAsync(scenario);
        int seen = 0;
        var interval = pollInterval ?? TimeSpan.FromMilliseconds(100);
        while (true)
        {
            // Polling (rather than only observer pushes) survives a coordinator moving between silos.
            var status = await experiment.GetStatusAsync();
            for (; seen < status.Reports.Count; seen++) onRound(status.Reports[seen]);
            if (status.Finished)
            {
                if (status.Error is not null) throw new ExperimentFailedException(experimentId, status.Error);
                return status;
            }
            await Task.Delay(interval, cancellationToken);
        }
    }
}

/// <summary>The experiment stopped with an error inside the cluster (its message says why).</summary>
public sealed class ExperimentFailedException(string experimentId, string error)
    : Exception($"experiment '{experimentId}' failed: {error}");
