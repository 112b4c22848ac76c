using FedSim.Scenarios.Running;
using Microsoft.Extensions.Logging;

namespace FedSim.Tests.Scenarios;

public sealed class RunLogTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("fedsim-log-").FullName;

    private (ILoggerFactory Factory, RunLog Log, StringWriter Stderr) Create(Func<bool>? muted = null)
    {
        var stderr = new StringWriter();
        var log = new RunLog(Path.Combine(_folder, "fedsim.log"), stderr, muted ?? (() => false));
        var factory = LoggerFactory.Create(log.AttachTo);
        return (factory, log, stderr);
    }

    [Fact]
    public void A_fedsim_warning_reaches_stderr_as_one_line_and_the_file_in_full()
    {
        // Prepare
        var (factory, log, stderr) = Create();

        // Execute
        factory.CreateLogger("FedSim.Devices.DeviceGrain").LogWarning(
            new InvalidOperationException("cohort failed\nframe #0: libtorch"), "Device {Device} failed to train in round {Round}", 81, 2);
        factory.Dispose();
        log.Dispose();

        // Assert
        Assert.Equal("fedsim: warning: Device 81 failed to train in round 2: cohort failed frame #0: libtorch (details in fedsim.log)\n",
            stderr.ToString().ReplaceLineEndings("\n"));
        string file = File.ReadAllText(Path.Combine(_folder, "fedsim.log"));
        Assert.Contains("WRN FedSim.Devices.DeviceGrain: Device 81 failed to train in round 2", file);
        Assert.Contains("System.InvalidOperationException: cohort failed", file);
    }

    [Fact]
    public void Library_warnings_stay_in_the_file_and_their_errors_reach_stderr()
    {
        var (factory, log, stderr) = Create();

        factory.CreateLogger("Orleans.Runtime.Silo").LogWarning("Silo not running with ServerGC turned on");
        factory.CreateLogger("Orleans.Messaging").LogError("Failed to address message");
        factory.Dispose();
        log.Dispose();

        Assert.Equal("fedsim: error: Failed to address message (details in fedsim.log)\n", stderr.ToString().ReplaceLineEndings("\n"));
        Assert.Contains("WRN Orleans.Runtime.Silo: Silo not running with ServerGC", File.ReadAllText(Path.Combine(_folder, "fedsim.log")));
    }

    [Fact]
    public void Stderr_goes_quiet_once_the_run_is_being_stopped()
    {
        bool stopping = false;
        var (factory, log, stderr) = Create(() => stopping);

        stopping = true;
        factory.CreateLogger("FedSim.Devices.DeviceGrain").LogWarning("Device {Device} failed to train", 3);
        factory.Dispose();
        log.Dispose();

        Assert.Equal("", stderr.ToString());
        Assert.Contains("Device 3 failed to train", File.ReadAllText(Path.Combine(_folder, "fedsim.log")));
    }

    public void Dispose() => Directory.Delete(_folder, recursive: true);
}
