using System.Runtime.InteropServices;

namespace FedSim.Scenarios.Cli;

/// <summary>
/// Ctrl+C (SIGINT) and SIGTERM for a <c>fedsim</c> process, and the promise of exactly one line about them.
/// <para>
/// The first signal cancels <see cref="Token"/>: the running command stops cleanly (a run abandons its round, drains
/// the compute pool, stops the silo and marks its results folder interrupted) and the process exits 130 (SIGTERM: 143),
/// as shells report a signal. A second signal quits at once through <c>_exit</c>: no managed shutdown and, above all,
/// no C++ static destructors, which would tear libtorch down under a compute thread still inside a kernel (the
/// segmentation faults seen when System.CommandLine's own handler returned 130 two seconds after Ctrl+C).
/// </para>
/// <para>
/// Whichever way the process ends, one line about the interruption reaches stderr: the command prints its summary
/// line, or the second signal prints its own; <see cref="TryClaimMessage"/> decides which.
/// </para>
/// </summary>
public sealed class Interruption : IDisposable
{
    /// <summary>Exit code for SIGTERM, as shells report it (128 + 15).</summary>
    public const int TerminatedExitCode = 143;

    private readonly CancellationTokenSource _source;
    private readonly TextWriter? _stderr;
    private readonly Action<int> _quitNow;
    private readonly List<IDisposable> _registrations = [];
    private int _signals;
    private int _messageClaimed;
    private int _exitCode = ExitCodes.Cancelled;

    private Interruption(CancellationTokenSource source, TextWriter? stderr, Action<int> quitNow)
    {
        _source = source;
        _stderr = stderr;
        _quitNow = quitNow;
    }

    /// <summary>Cancelled by the first signal (or by the caller's token this interruption was made from).</summary>
    public CancellationToken Token => _source.Token;

    /// <summary>True once a stop was asked for.</summary>
    public bool Requested => _source.IsCancellationRequested;

    /// <summary>What the process should exit with after the stop: 130 (SIGINT, or a cancelled token), 143 (SIGTERM).</summary>
    public int ExitCode => Volatile.Read(ref _exitCode);

    /// <summary>
    /// Takes over SIGINT and SIGTERM for this process (call once, from <c>Main</c>): the first cancels
    /// <see cref="Token"/>, the second writes one line to <paramref name="stderr"/> (unless one was written) and _exits.
    /// </summary>
    public static Interruption ListenToProcessSignals(TextWriter stderr)
    {
        var interruption = new Interruption(new CancellationTokenSource(), stderr, ExitImmediately);
        foreach (var signal in new[] { PosixSignal.SIGINT, PosixSignal.SIGTERM })
        {
            interruption._registrations.Add(PosixSignalRegistration.Create(signal, context =>
            {
                context.Cancel = true; // the process lives on: the command winds down, or Request quits it
                interruption.Request(context.Signal);
            }));
        }
        return interruption;
    }

    /// <summary>An interruption driven by a caller's token (in-process callers and tests): cancelling it is a first signal.</summary>
    public static Interruption FromToken(CancellationToken cancellationToken) =>
        new(CancellationTokenSource.CreateLinkedTokenSource(cancellationToken), stderr: null, quitNow: _ => { });

    /// <summary>Test seam: an interruption whose second signal calls <paramref name="quitNow"/> instead of ending the process.</summary>
    internal static Interruption ForTests(TextWriter stderr, Action<int> quitNow) => new(new CancellationTokenSource(), stderr, quitNow);

    /// <summary>What a signal does (the handlers call this; tests call it directly).</summary>
    internal void Request(PosixSignal signal)
    {
        Volatile.Write(ref _exitCode, signal == PosixSignal.SIGTERM ? TerminatedExitCode : ExitCodes.Cancelled);
        if (Interlocked.Increment(ref _signals) == 1)
        {
            // Off the signal thread: cancellation runs every registered callback, and the handler should return quickly.
            _ = _source.CancelAsync();
            return;
        }
        if (_stderr is not null && TryClaimMessage())
        {
            _stderr.WriteLine("fedsim: interrupted again, quitting at once (the results folder keeps the rounds written so far)");
        }
        _stderr?.Flush();
        Console.Out.Flush();
        _quitNow(ExitCode);
    }

    /// <summary>True for the first caller only: that caller prints the one line about the interruption.</summary>
    public bool TryClaimMessage() => Interlocked.Exchange(ref _messageClaimed, 1) == 0;

    public void Dispose()
    {
        foreach (var registration in _registrations) registration.Dispose();
        _registrations.Clear();
        _source.Dispose();
    }

    /// <summary>
    /// Ends the process now: <c>_exit</c> skips atexit handlers and C++ static destructors, so nothing of libtorch is
    /// torn down while a compute thread may still be inside it. Output was flushed by the caller.
    /// </summary>
    internal static void ExitImmediately(int code)
    {
        try
        {
            if (!OperatingSystem.IsWindows()) QuickExit(code);
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            // No libc _exit (not Linux or macOS): fall through to the runtime's own exit.
        }
        Environment.Exit(code);
    }

    [DllImport("libc", EntryPoint = "_exit")]
    private static extern void QuickExit(int status);
}
