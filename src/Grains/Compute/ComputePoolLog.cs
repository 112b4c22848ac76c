using Microsoft.Extensions.Logging;

namespace FedSim.Compute;

/// <summary>Source-generated log messages of the compute pool (no formatting cost when the level is off).</summary>
internal static partial class ComputePoolLog
{
    [LoggerMessage(EventId = 4100, Level = LogLevel.Information, Message = "Compute pool started: {Description}")]
    public static partial void Started(ILogger logger, string description);

    [LoggerMessage(EventId = 4101, Level = LogLevel.Warning, Message = "Compute cohort of {Count} job(s) failed on {Device}: devices [{DeviceIds}]")]
    public static partial void CohortFailed(ILogger logger, Exception exception, int count, string device, string deviceIds);

    [LoggerMessage(EventId = 4102, Level = LogLevel.Information, Message = "Compute pool disposed; {Abandoned} job(s) that had not started were faulted")]
    public static partial void Disposed(ILogger logger, int abandoned);

    [LoggerMessage(EventId = 4103, Level = LogLevel.Warning, Message = "Compute pool worker {Worker} still running a cohort {Seconds} s after dispose; not waiting for it")]
    public static partial void WorkerDidNotStop(ILogger logger, string worker, double seconds);
}
