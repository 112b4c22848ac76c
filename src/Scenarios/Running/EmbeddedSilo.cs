using System.Net;
using System.Net.Sockets;
using FedSim.Compute;
using FedSim.Silo;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using FedSim.Scenario;
using FedSim.GrainInterfaces;

namespace FedSim.Scenarios.Running;

/// <summary>
/// The embedded default: one silo in this process with in-memory checkpoints. Nothing to install or
/// start; ports are picked free so several runs (or tests) can coexist.
/// <para>
/// The silo does not listen to Ctrl+C itself (the CLI's <c>Interruption</c> does, and the runner stops the silo in
/// order), and it stops in the order that keeps libtorch safe: the compute pool first (queued jobs fail at once,
/// running training cohorts stop at their next step), then the grains and the host, then pending finalizers, so no tensor is still being
/// trained or freed when the process exits and libtorch's static destructors run.
/// </para>
/// </summary>
public sealed class EmbeddedSilo : IExperimentHost
{
    private readonly IHost _host;
    private IComputePool? _pool;
    private int _disposed;

    private EmbeddedSilo(IHost host) => _host = host;

    public IGrainFactory Grains => _host.Services.GetRequiredService<IGrainFactory>();

    /// <summary>The silo's compute pool (created on first use: a cpu pool loads no libtorch until it has work).</summary>
    public IComputePool ComputePool => _pool ??= _host.Services.GetRequiredService<IComputePool>();

    public IServiceProvider Services => _host.Services;

    public FedSim.Composition.ExperimentData Data(Scenario.ScenarioSpec spec) => Services.GetRequiredService<FedSim.Composition.ExperimentDataCache>().Get(spec);

    public PoolMetrics? ComputeSnapshot() => ComputePool.Snapshot();

    public string ComputeDescription => ComputePool is ComputePool pool ? pool.Describe() : ComputePool.DeviceName;

    public bool OwnsExperiments => true;

    /// <summary>
    /// Set when a stopped silo's compute pool still had a cohort inside libtorch after its bounded wait: the process
    /// must then end without running libtorch's static destructors (Program exits through _exit).
    /// </summary>
    public static bool NativeWorkOutlived { get; private set; }

    /// <summary>
    /// Set once the silo's work ended cleanly (a completed run, a finished comparison): its stop may then be graceful,
    /// every grain deactivated, within a bound. A stop after an interruption or a failure stays immediate.
    /// </summary>
    public bool NothingInFlight { get; set; }

    /// <summary>How long a graceful stop may take before the host is stopped anyway.</summary>
    private static readonly TimeSpan GracefulStopBound = TimeSpan.FromSeconds(10);

    /// <param name="configure">FedSim's silo options (the compute pool's settings).</param>
    /// <param name="configureLogging">Where the silo's logs go; default: nowhere.</param>
    /// <param name="cancellationToken">Cancels start-up; a half-started silo is stopped again before this throws.</param>
    public static async Task<EmbeddedSilo> StartAsync(Action<FedSimSiloOptions> configure, Action<ILoggingBuilder>? configureLogging,
        CancellationToken cancellationToken)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders();
        configureLogging?.Invoke(builder.Logging);
        // The default console lifetime would stop the host on Ctrl+C by itself, racing the runner's ordered shutdown.
        builder.Services.AddSingleton<IHostLifetime, ProcessOwnedLifetime>();
        builder.UseOrleans(silo => silo
            .UseLocalhostClustering(FreePort(), FreePort())
            .AddFedSimSilo(configure));
        var host = builder.Build();
        var silo = new EmbeddedSilo(host);
        try
        {
            await host.StartAsync(cancellationToken);
        }
        catch
        {
            await silo.DisposeAsync();
            throw;
        }
        return silo;
    }

    /// <inheritdoc cref="StartAsync(Action{FedSimSiloOptions}, Action{ILoggingBuilder}?, CancellationToken)"/>
    public static Task<EmbeddedSilo> StartAsync(Action<FedSimSiloOptions> configure, CancellationToken cancellationToken) =>
        StartAsync(configure, configureLogging: null, cancellationToken);

    /// <summary>
    /// Stops in order: drains the compute pool (nothing new starts; running cohorts stop at their next step), stops the silo, disposes
    /// the host, then runs pending finalizers so TorchSharp's native handles are released now, on a live runtime,
    /// not raced by process exit.
    /// </summary>
    /// <remarks>
    /// After an interruption or a failure the silo stops ungracefully: its grains hold nothing worth saving (results
    /// and checkpoints are on disk), and a graceful stop waited 10 s and more for grains whose devices' jobs the
    /// drained pool had just failed. When <see cref="NothingInFlight"/> says the work ended cleanly, the stop is
    /// graceful (bounded), so a completed run's log holds no shutdown warnings. A stop that throws (a silo
    /// interrupted while starting) is logged, not rethrown: it must not hide why the run stopped.
    /// </remarks>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1) return;
        // Grains use the pool only after the runner asked for it; one never asked for has nothing to drain (and
        // building it now could load libtorch to probe for CUDA).
        if (_pool is IDisposable pool)
        {
            pool.Dispose();
            if (pool is ComputePool { WorkersStopped: false }) NativeWorkOutlived = true;
        }
        try
        {
            using var bound = new CancellationTokenSource(GracefulStopBound);
            await _host.StopAsync(NothingInFlight ? bound.Token : new CancellationToken(canceled: true));
        }
        catch (Exception e)
        {
            _host.Services.GetService<ILoggerFactory>()?.CreateLogger<EmbeddedSilo>()
                .LogWarning(e, "The embedded silo did not stop cleanly");
        }
        _host.Dispose();
        GC.Collect();
        GC.WaitForPendingFinalizers();
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>A host lifetime that leaves signals and start/stop messages to the process that embeds the silo.</summary>
    private sealed class ProcessOwnedLifetime : IHostLifetime
    {
        public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
