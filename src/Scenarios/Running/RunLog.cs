using Microsoft.Extensions.Logging;
using Serilog;
using Serilog.Events;

namespace FedSim.Scenarios.Running;

/// <summary>
/// Where a run's logs go: everything Orleans, FedSim and the libraries log, in full (exceptions included), to
/// <c>fedsim.log</c> in the results folder; FedSim's warnings and any errors also to stderr as one line each. Never to stdout,
/// which belongs to the progress display and the results (scripts parse it).
/// <para>
/// Once the run is being stopped (Ctrl+C), stderr hears nothing more: the devices' "could not train" warnings that
/// the drained compute pool causes are expected, and the interruption is reported by exactly one line.
/// </para>
/// </summary>
public sealed class RunLog : IDisposable
{
    private readonly Serilog.Core.Logger _logger;

    /// <param name="logFile">The log file (created or replaced).</param>
    /// <param name="stderr">Where FedSim's warnings and everyone's errors also go; null for the file alone.</param>
    /// <param name="stderrMuted">True from the moment stderr should stay quiet (the run is being stopped).</param>
    public RunLog(string logFile, TextWriter? stderr, Func<bool> stderrMuted)
    {
        var configuration = new LoggerConfiguration()
            .MinimumLevel.Information()
            // Orleans, its resilience pipelines (Polly) and the hosting stack narrate every call at Information.
            .MinimumLevel.Override("Orleans", LogEventLevel.Warning)
            .MinimumLevel.Override("Polly", LogEventLevel.Warning)
            .MinimumLevel.Override("Microsoft", LogEventLevel.Warning)
            .Filter.ByExcluding(IsWatchdogMisfire)
            .WriteTo.File(logFile,
                outputTemplate: "{Timestamp:yyyy-MM-dd HH:mm:ss.fff} {Level:u3} {SourceContext}: {Message:lj}{NewLine}{Exception}",
                formatProvider: System.Globalization.CultureInfo.InvariantCulture);
        if (stderr is not null)
        {
            configuration = configuration.WriteTo.Logger(sub => sub
                .MinimumLevel.Warning()
                // FedSim's warnings matter to the researcher (a device could not train); the libraries' warnings are
                // advice for cluster operators (server GC, watchdog on a busy machine): the file keeps them.
                .Filter.ByIncludingOnly(e => e.Level >= LogEventLevel.Error || IsFedSim(e))
                .Filter.ByExcluding(_ => stderrMuted())
                // A cluster client's gateway-list refresh fails while the membership database restarts; the client
                // keeps its last list and the follower's own retries report a real loss of the cluster.
                .Filter.ByExcluding(e => FromSource(e, "Orleans.Messaging."))
                .WriteTo.Sink(new OneLineSink(stderr, Path.GetFileName(logFile))));
        }
        _logger = configuration.CreateLogger();
        LogFile = logFile;
    }

    public string LogFile { get; }

    /// <summary>Adds this log as the only provider of a host's logging.</summary>
    public void AttachTo(ILoggingBuilder logging)
    {
        logging.ClearProviders();
        // Serilog applies the levels above; everything is handed to it.
        logging.SetMinimumLevel(Microsoft.Extensions.Logging.LogLevel.Trace);
        logging.AddSerilog(_logger, dispose: false);
    }

    /// <summary>A logger writing here directly (the runner's own notes).</summary>
    public Serilog.ILogger ForContext(string sourceContext) => _logger.ForContext(Serilog.Core.Constants.SourceContextPropertyName, sourceContext);

    private static bool IsFedSim(LogEvent e) => FromSource(e, "FedSim.");

    /// <summary>
    /// Orleans 10.4's watchdog compares its participant check's last timestamp with now; before that thread's first
    /// pass the timestamp is still 0, so a platform tick that comes first reports a "stall" as long as the machine has
    /// been up (hours, in a process seconds old). A stall longer than this process has lived is that misfire; a real
    /// one is shorter and still logged.
    /// </summary>
    private static bool IsWatchdogMisfire(LogEvent e) =>
        FromSource(e, "Orleans.Runtime.Watchdog")
        && e.Properties.TryGetValue("TimeSinceLastTick", out var value) && value is ScalarValue { Value: TimeSpan stall }
        && stall > DateTime.Now - ProcessStart;

    private static readonly DateTime ProcessStart = StartOfThisProcess();

    private static DateTime StartOfThisProcess()
    {
        using var self = System.Diagnostics.Process.GetCurrentProcess();
        return self.StartTime;
    }

    private static bool FromSource(LogEvent e, string prefix) =>
        e.Properties.TryGetValue(Serilog.Core.Constants.SourceContextPropertyName, out var context)
        && context is ScalarValue { Value: string name } && name.StartsWith(prefix, StringComparison.Ordinal);

    /// <summary>Flushes and closes the file.</summary>
    public void Dispose()
    {
        // Flushing the file can fail (a full disk): the log must never replace the run's own outcome or error.
        try { _logger.Dispose(); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
    }

    /// <summary>"fedsim: warning: MESSAGE: EXCEPTION MESSAGE (details in fedsim.log)" on one line.</summary>
    private sealed class OneLineSink(TextWriter output, string logFileName) : Serilog.Core.ILogEventSink
    {
        private const int MaxLineLength = 300;

        public void Emit(LogEvent logEvent)
        {
            string level = logEvent.Level >= LogEventLevel.Error ? "error" : "warning";
            string message = logEvent.RenderMessage(System.Globalization.CultureInfo.InvariantCulture);
            string line = $"fedsim: {level}: {message}";
            if (logEvent.Exception is { } e) line += $": {Innermost(e).Message}";
            line = line.ReplaceLineEndings(" ");
            // libtorch puts its whole native stack into exception messages; the file has it, the terminal gets the gist.
            if (line.Length > MaxLineLength) line = line[..MaxLineLength] + "...";
            lock (output) output.WriteLine($"{line} (details in {logFileName})");
        }

        private static Exception Innermost(Exception e)
        {
            while (e is AggregateException { InnerExceptions.Count: 1 } aggregate) e = aggregate.InnerExceptions[0];
            return e;
        }
    }
}
