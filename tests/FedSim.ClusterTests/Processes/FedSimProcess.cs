using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;

namespace FedSim.ClusterTests.Processes;

/// <summary>
/// A real <c>fedsim</c> process (<c>dotnet fedsim.dll ...</c>, the program the test project builds beside itself) with
/// its output captured line by line, for tests that send it signals, race it against another run, or read its stdout.
/// </summary>
internal sealed class FedSimProcess : IDisposable
{
    public const int SigInt = 2, SigKill = 9, SigTerm = 15;

    private readonly Process _process;
    private readonly List<string> _stdout = [];
    private readonly List<string> _stderr = [];
    private readonly object _gate = new();
    private readonly TaskCompletionSource _stdoutClosed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _stderrClosed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private FedSimProcess(Process process)
    {
        _process = process;
        Started = Stopwatch.StartNew();
    }

    public int Pid => _process.Id;

    /// <summary>Time since launch.</summary>
    public Stopwatch Started { get; }

    public static string ProgramPath => Path.Combine(AppContext.BaseDirectory, "fedsim.dll");

    /// <summary>Starts <c>fedsim ARGS</c> in <paramref name="workingDirectory"/>.</summary>
    public static FedSimProcess Start(string workingDirectory, params string[] args)
    {
        if (!File.Exists(ProgramPath)) throw new FileNotFoundException($"fedsim.dll is not beside the tests at {ProgramPath}; build the solution.");
        string dotnet = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host ? host : "dotnet";
        var info = new ProcessStartInfo
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
        };
        // A test host started in the background of a non-interactive shell ignores SIGINT, and children inherit
        // that; `env --default-signal` (coreutils 8.31+) gives the program the disposition a terminal would.
        if (SigIntIgnoredHere())
        {
            info.FileName = "env";
            info.ArgumentList.Add("--default-signal=INT");
            info.ArgumentList.Add(dotnet);
        }
        else
        {
            info.FileName = dotnet;
        }
        info.ArgumentList.Add(ProgramPath);
        foreach (string a in args) info.ArgumentList.Add(a);
        info.Environment.Remove("FEDSIM_DEBUG"); // the tests check the terminal output users get
        info.Environment["NO_COLOR"] = "1";

        var process = new Process { StartInfo = info, EnableRaisingEvents = true };
        var wrapper = new FedSimProcess(process);
        process.OutputDataReceived += (_, e) => wrapper.Add(wrapper._stdout, e.Data, wrapper._stdoutClosed);
        process.ErrorDataReceived += (_, e) => wrapper.Add(wrapper._stderr, e.Data, wrapper._stderrClosed);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return wrapper;
    }

    public IReadOnlyList<string> Stdout
    {
        get { lock (_gate) return _stdout.ToList(); }
    }

    public IReadOnlyList<string> Stderr
    {
        get { lock (_gate) return _stderr.ToList(); }
    }

    /// <summary>Waits until stdout has a line matching <paramref name="match"/>; false when the process ended or time ran out first.</summary>
    public async Task<bool> WaitForStdoutAsync(Func<string, bool> match, TimeSpan timeout)
    {
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < timeout)
        {
            if (Stdout.Any(match)) return true;
            if (_process.HasExited) return Stdout.Any(match);
            await Task.Delay(5);
        }
        return false;
    }

    /// <summary>Sends a signal (kill(2)); false when the process had already gone.</summary>
    public bool Signal(int signal) => !_process.HasExited && Kill(_process.Id, signal) == 0;

    /// <summary>
    /// Waits for the exit and the end of both streams. A process still running after <paramref name="timeout"/> is
    /// killed and reported as a hang (exit -1).
    /// </summary>
    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(cts.Token);
            await Task.WhenAll(_stdoutClosed.Task, _stderrClosed.Task).WaitAsync(TimeSpan.FromSeconds(10));
            return _process.ExitCode;
        }
        catch (OperationCanceledException)
        {
            try { _process.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
            return -1;
        }
    }

    /// <summary>Everything the process printed, for assertion messages.</summary>
    public string Transcript() =>
        $"--- stdout ---\n{string.Join('\n', Stdout.TakeLast(40))}\n--- stderr ---\n{string.Join('\n', Stderr.TakeLast(40))}";

    public void Dispose()
    {
        try
        {
            if (!_process.HasExited) _process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException) { }
        _process.Dispose();
    }

    private void Add(List<string> lines, string? line, TaskCompletionSource closed)
    {
        if (line is null)
        {
            closed.TrySetResult();
            return;
        }
        lock (_gate) lines.Add(line);
    }

    private static bool SigIntIgnoredHere()
    {
        try
        {
            string? line = File.ReadLines("/proc/self/status").FirstOrDefault(l => l.StartsWith("SigIgn:", StringComparison.Ordinal));
            if (line is null) return false;
            ulong mask = ulong.Parse(line["SigIgn:".Length..].Trim(), NumberStyles.HexNumber, CultureInfo.InvariantCulture);
            return (mask & (1UL << (SigInt - 1))) != 0;
        }
        catch (IOException)
        {
            return false; // not Linux: nothing to work around
        }
    }

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int Kill(int pid, int signal);
}
