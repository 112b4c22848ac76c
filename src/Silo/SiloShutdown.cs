using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace FedSim.Silo;

/// <summary>
/// A silo stops within <see cref="Limit"/> of SIGTERM (or Ctrl+C) whatever its database's state. Orleans' shutdown
/// updates the membership table and, while PostgreSQL is down, retries that for as long as the database stays away;
/// the host's own shutdown timeout does not end it. The cluster copes with a silo that leaves without a word (its
/// peers declare it dead, as after a crash), so past the limit the process says so in one line and exits.
/// </summary>
public static partial class SiloShutdown
{
    /// <summary>Time a stop may take; below the 10 s container runtimes wait before SIGKILL.</summary>
    public static readonly TimeSpan Limit = TimeSpan.FromSeconds(8);

    /// <param name="logs">Disposed before the exit, so the console logger's queue (the line above all) is written out.</param>
    public static void Bound(IHostApplicationLifetime lifetime, ILogger logger, IDisposable logs)
    {
        lifetime.ApplicationStopping.Register(() =>
        {
            _ = Task.Run(async () =>
            {
                await Task.Delay(Limit);
                LogStopBounded(logger, Limit.TotalSeconds);
                logs.Dispose();
                Console.Out.Flush();
                Environment.Exit(0);
            });
        });
    }

    public static void Stopped(ILogger logger) => LogStopped(logger);

    [LoggerMessage(Level = LogLevel.Warning,
        Message = "FedSim silo stopped after {Seconds} s without finishing its shutdown (is the membership database reachable?); the cluster will declare it dead")]
    private static partial void LogStopBounded(ILogger logger, double seconds);

    [LoggerMessage(Level = LogLevel.Information, Message = "FedSim silo stopped")]
    private static partial void LogStopped(ILogger logger);
}
