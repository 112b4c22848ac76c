using System.Data.Common;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using Orleans.Serialization;
using Orleans.Storage;

namespace FedSim.Silo.Storage;

/// <summary>
/// Grain storage that rides out a database that is briefly away (a PostgreSQL restart, a failover, a dropped
/// connection): reads, writes and clears that fail for a transient reason are retried with backoff for up to
/// <see cref="Patience"/>, so a coordinator's per-round checkpoint waits for the database instead of failing the run.
/// A version conflict (another activation wrote first) is never retried: that is the ETag contract working.
/// <para>
/// One case needs care: a write whose commit reached the database but whose answer was lost. Its retry meets its own
/// new version and reads as a conflict; when the stored state then is exactly what this write sent, at the version it
/// would have produced, the write did happen and is reported as done.
/// </para>
/// </summary>
public sealed partial class RetryingGrainStorage(IGrainStorage inner, Serializer serializer, ILogger<RetryingGrainStorage> logger, TimeSpan patience)
    : IGrainStorage
{
    private static readonly TimeSpan FirstDelay = TimeSpan.FromMilliseconds(200), LongestDelay = TimeSpan.FromSeconds(5);

    public TimeSpan Patience { get; } = patience;

    public Task ReadStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
        => RetryAsync("read", stateName, grainId, () => inner.ReadStateAsync(stateName, grainId, grainState));

    public Task ClearStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
        => RetryAsync("clear", stateName, grainId, () => inner.ClearStateAsync(stateName, grainId, grainState));

    public async Task WriteStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        string? sentETag = grainState.ETag;
        bool interrupted = false;
        try
        {
            await RetryAsync("write", stateName, grainId, async () =>
            {
                try
                {
                    await inner.WriteStateAsync(stateName, grainId, grainState);
                }
                catch (Exception e) when (IsTransient(e))
                {
                    interrupted = true;
                    throw;
                }
            });
        }
        catch (InconsistentStateException) when (interrupted)
        {
            // Unless the interrupted attempt committed exactly this state (grainState then carries the stored version).
            if (!await LandedAsync(stateName, grainId, grainState, sentETag)) throw;
        }
    }

    /// <summary>True when an interrupted write turns out to have committed exactly this state (ETag updated then).</summary>
    private async Task<bool> LandedAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState, string? sentETag)
    {
        var stored = new GrainState<T>();
        await RetryAsync("read", stateName, grainId, () => inner.ReadStateAsync(stateName, grainId, stored));
        string expected = sentETag is null ? "1" : (int.Parse(sentETag, System.Globalization.CultureInfo.InvariantCulture) + 1)
            .ToString(System.Globalization.CultureInfo.InvariantCulture);
        if (stored.ETag != expected || !serializer.SerializeToArray(stored.State).AsSpan().SequenceEqual(serializer.SerializeToArray(grainState.State)))
            return false;
        grainState.ETag = stored.ETag;
        grainState.RecordExists = true;
        return true;
    }

    private async Task RetryAsync(string operation, string stateName, GrainId grainId, Func<Task> attempt)
    {
        var delay = FirstDelay;
        var deadline = DateTime.UtcNow + Patience;
        for (int attempts = 1; ; attempts++)
        {
            try
            {
                await attempt();
                if (attempts > 1) LogRecovered(logger, operation, stateName, grainId, attempts);
                return;
            }
            catch (Exception e) when (IsTransient(e) && DateTime.UtcNow + delay < deadline)
            {
                LogRetrying(logger, operation, stateName, grainId, attempts, delay.TotalSeconds, OneLine(e));
                await Task.Delay(delay);
                delay = TimeSpan.FromTicks(Math.Min(LongestDelay.Ticks, delay.Ticks * 2));
            }
        }
    }

    /// <summary>
    /// Failures of reaching the database, as opposed to answers from it: connection errors, timeouts, a server that is
    /// shutting down or starting (SQLSTATE classes 08 and 57), and what the driver itself calls transient.
    /// </summary>
    internal static bool IsTransient(Exception e)
    {
        for (Exception? x = e; x is not null; x = x.InnerException)
        {
            switch (x)
            {
                case InconsistentStateException:
                    return false;
                case DbException { SqlState: { } state } when state.StartsWith("08", StringComparison.Ordinal) || state.StartsWith("57", StringComparison.Ordinal) || state.StartsWith("53", StringComparison.Ordinal):
                case DbException { IsTransient: true }:
                case SocketException or TimeoutException or IOException or EndOfStreamException:
                    return true;
            }
        }
        return false;
    }

    private static string OneLine(Exception e) => e.Message.ReplaceLineEndings(" ");

    [LoggerMessage(Level = LogLevel.Warning, Message = "Storage {Operation} of {StateName} for {GrainId} failed (attempt {Attempt}), retrying in {DelaySeconds} s: {Reason}")]
    private static partial void LogRetrying(ILogger logger, string operation, string stateName, GrainId grainId, int attempt, double delaySeconds, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Storage {Operation} of {StateName} for {GrainId} succeeded after {Attempts} attempts")]
    private static partial void LogRecovered(ILogger logger, string operation, string stateName, GrainId grainId, int attempts);
}
