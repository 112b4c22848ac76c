using FedSim.Scenario;
using FedSim.GrainInterfaces;

namespace FedSim.Scenarios.Running;

/// <summary>
/// Client side of an experiment: starts the coordinator grain and follows it to the end, handing each
/// new round report to <paramref name="onRound"/> in order. Works against an embedded silo or a cluster.
/// </summary>
public static class ExperimentDriver
{
    /// <summary>How long following rides out an unreachable coordinator (its silo died and the cluster is moving it).</summary>
    public static readonly TimeSpan DefaultPatience = TimeSpan.FromMinutes(5);

    public static async Task<ExperimentStatus> RunToCompletionAsync(IGrainFactory grains, string experimentId, ScenarioSpec scenario,
        Action<RoundReport> onRound, CancellationToken cancellationToken, TimeSpan? pollInterval = null, TimeSpan? patience = null)
    {
        var experiment = grains.GetGrain<IExperimentGrain>(experimentId);
        var wait = patience ?? DefaultPatience;
        await RetryAsync(() => experiment.StartAsync(scenario), wait, cancellationToken);
        var seen = new List<RoundReport>();
        var interval = pollInterval ?? TimeSpan.FromMilliseconds(100);
        while (true)
        {
            // Polling (rather than only observer pushes) survives a coordinator moving between silos; each report
            // crosses the network once.
            var status = await RetryAsync(() => experiment.GetStatusSinceAsync(seen.Count), wait, cancellationToken);
            foreach (var report in status.Reports)
            {
                seen.Add(report);
                onRound(report);
            }
            if (status.Finished)
            {
                if (status.Cancelled) throw new ExperimentCancelledException(experimentId, status.Error ?? "cancelled");
                if (status.Error is not null) throw new ExperimentFailedException(experimentId, status.Error);
                return status with { Reports = seen };
            }
            await Task.Delay(interval, cancellationToken);
        }
    }

    /// <summary>
    /// Repeats a call to the coordinator while it fails because it cannot be reached (a silo died, a gateway went away,
    /// the coordinator is being re-activated elsewhere), for up to <paramref name="patience"/>; other failures surface.
    /// </summary>
    internal static async Task<T> RetryAsync<T>(Func<Task<T>> call, TimeSpan patience, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + patience;
        var delay = TimeSpan.FromMilliseconds(250);
        while (true)
        {
            try
            {
                return await call();
            }
            catch (Exception e) when (IsUnreachable(e) && DateTime.UtcNow + delay < deadline && !cancellationToken.IsCancellationRequested)
            {
                await Task.Delay(delay, cancellationToken);
                delay = TimeSpan.FromTicks(Math.Min(TimeSpan.FromSeconds(2).Ticks, delay.Ticks * 2));
            }
        }
    }

    internal static Task RetryAsync(Func<Task> call, TimeSpan patience, CancellationToken cancellationToken)
        => RetryAsync(async () =>
        {
            await call();
            return true;
        }, patience, cancellationToken);

    /// <summary>Failures of reaching the coordinator (and a duplicate activation's lost race while a silo dies), not of the experiment.</summary>
    private static bool IsUnreachable(Exception e) =>
        e is SiloUnavailableException or TimeoutException or OrleansMessageRejectionException or Orleans.Storage.InconsistentStateException
        || e.GetType().Name is "ConnectionToClusterLostException" or "GatewayTooBusyException" or "ClientNotAvailableException" or "ConnectionFailedException"
        || (e is OrleansException && e.InnerException is not null && IsUnreachable(e.InnerException));
}

/// <summary>The experiment stopped with an error inside the cluster (its message says why).</summary>
public sealed class ExperimentFailedException(string experimentId, string error)
    : Exception($"experiment '{experimentId}' failed: {error}");

/// <summary>The experiment was cancelled (<c>fedsim cancel</c>) while this process followed it.</summary>
public sealed class ExperimentCancelledException(string experimentId, string reason)
    : Exception($"experiment '{experimentId}' was cancelled: {reason}");
