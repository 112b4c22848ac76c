using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Text;

namespace FedSim.ClusterTests.Postgres;

/// <summary>
/// A real standalone silo (<c>dotnet FedSim.Silo.dll</c>, built beside the tests) on loopback ports of its own, joined to
/// the cluster in a PostgreSQL database, with its (JSON) log lines captured.
/// </summary>
internal sealed class SiloProcess : IDisposable
{
    private readonly Process _process;
    private readonly List<string> _lines = [];

    private SiloProcess(Process process, int siloPort, int gatewayPort, int httpPort)
    {
        _process = process;
        SiloPort = siloPort;
        GatewayPort = gatewayPort;
        HttpPort = httpPort;
    }

    public int SiloPort { get; }
    public int GatewayPort { get; }
    public int HttpPort { get; }
    public int Pid => _process.Id;
    public string Name => $"test-silo-{SiloPort}";
    public bool HasExited => _process.HasExited;

    public static string ProgramPath => Path.Combine(AppContext.BaseDirectory, "FedSim.Silo.dll");

    public IReadOnlyList<string> Lines
    {
        get { lock (_lines) return _lines.ToList(); }
    }

    /// <summary>Starts a silo of cluster <paramref name="clusterId"/>; crashes are detected within seconds (1 s probes).</summary>
    public static SiloProcess Start(string connectionString, string clusterId, IReadOnlyDictionary<string, string>? settings = null)
    {
        int siloPort = FreePort(), gatewayPort = FreePort(), httpPort = FreePort();
        string dotnet = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host ? host : "dotnet";
        var info = new ProcessStartInfo(dotnet)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            StandardOutputEncoding = Encoding.UTF8,
            WorkingDirectory = AppContext.BaseDirectory,
        };
        info.ArgumentList.Add(ProgramPath);
        var env = info.Environment;
        env["FEDSIM__POSTGRES"] = connectionString;
        env["FEDSIM__CLUSTERID"] = clusterId;
        env["FEDSIM__SILOPORT"] = siloPort.ToString();
        env["FEDSIM__GATEWAYPORT"] = gatewayPort.ToString();
        env["FEDSIM__HTTPPORT"] = httpPort.ToString();
        env["FEDSIM__ADVERTISEDADDRESS"] = "127.0.0.1"; // traffic stays on this machine
        env["FEDSIM__SILONAME"] = $"test-silo-{siloPort}";
        env["FEDSIM__DEVICE"] = "cpu";
        env["FEDSIM__PROBETIMEOUTSECONDS"] = "1";
        env["FEDSIM__REVIVALPERIODSECONDS"] = "5";
        env["FEDSIM__STORAGERETRYSECONDS"] = "120";
        env.Remove("FEDSIM_DEBUG");
        foreach (var (key, value) in settings ?? new Dictionary<string, string>()) env[key] = value;
        var process = new Process { StartInfo = info, EnableRaisingEvents = true };
        var silo = new SiloProcess(process, siloPort, gatewayPort, httpPort);
        process.OutputDataReceived += (_, e) => silo.Add(e.Data);
        process.ErrorDataReceived += (_, e) => silo.Add(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return silo;
    }

    /// <summary>Waits for "Orleans Silo started"; throws with the log's tail when the silo died or took too long.</summary>
    public async Task WaitStartedAsync(TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        while (!Lines.Any(l => l.Contains("Orleans Silo started", StringComparison.Ordinal)))
        {
            if (_process.HasExited || clock.Elapsed > timeout)
                throw new InvalidOperationException($"silo {Name} did not start:\n{Tail()}");
            await Task.Delay(100);
        }
    }

    /// <summary>SIGTERM, as an operator or a container runtime stops a silo; returns its exit code and the seconds it took (-1: still running after <paramref name="patience"/>).</summary>
    public (int Exit, double Seconds) Terminate(TimeSpan patience)
    {
        var clock = Stopwatch.StartNew();
        _ = KillSignal(_process.Id, 15);
        if (!_process.WaitForExit(patience)) return (-1, clock.Elapsed.TotalSeconds);
        double seconds = clock.Elapsed.TotalSeconds;
        _process.WaitForExit(); // without a timeout it also waits for the redirected output to be read to its end
        return (_process.ExitCode, seconds);
    }

    /// <summary>SIGKILL: no shutdown code runs, as when a machine dies.</summary>
    public void Kill()
    {
        if (!_process.HasExited) _ = KillSignal(_process.Id, 9);
        _process.WaitForExit(10_000);
    }

    public string Tail(int count = 30) => string.Join('\n', Lines.TakeLast(count));

    public void Dispose()
    {
        try
        {
            if (!_process.HasExited)
            {
                _ = KillSignal(_process.Id, 15);
                if (!_process.WaitForExit(15_000)) _process.Kill(entireProcessTree: true);
            }
        }
        catch (InvalidOperationException) { }
        _process.Dispose();
    }

    private void Add(string? line)
    {
        if (line is null) return;
        lock (_lines) _lines.Add(line);
    }

    private static readonly HashSet<int> GivenPorts = [];

    /// <summary>A free loopback port never handed out before in this test run (three silos start at once).</summary>
    private static int FreePort()
    {
        while (true)
        {
            using var listener = new TcpListener(IPAddress.Loopback, 0);
            listener.Start();
            int port = ((IPEndPoint)listener.LocalEndpoint).Port;
            lock (GivenPorts)
                if (GivenPorts.Add(port)) return port;
        }
    }

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int KillSignal(int pid, int signal);
}
