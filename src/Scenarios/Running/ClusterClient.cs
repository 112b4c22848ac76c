using FedSim.Scenario;
using FedSim.GrainInterfaces;
using FedSim.Data;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Orleans.Configuration;
using FedSim.Composition;

namespace FedSim.Scenarios.Running;

/// <summary>
/// A client of a running FedSim cluster: finds the silos' gateways in the PostgreSQL membership table and submits
/// and follows experiments there. The training runs on the silos; this process only loads the dataset for its own
/// console and results files.
/// </summary>
public sealed class ClusterClient : IExperimentHost
{
    private readonly IHost _host;
    private readonly ExperimentDataCache _data = new();
    private readonly string _clusterId;

    private ClusterClient(IHost host, string clusterId)
    {
        _host = host;
        _clusterId = clusterId;
    }

    public IGrainFactory Grains => _host.Services.GetRequiredService<IClusterClient>();

    public ExperimentData Data(ScenarioSpec spec) => _data.Get(spec);

    public PoolMetrics? ComputeSnapshot() => null;

    public string ComputeDescription => $"the silos of cluster '{_clusterId}'";

    public bool OwnsExperiments => false;

    /// <summary>
    /// Connects to cluster <paramref name="clusterId"/> whose membership is in the database of
    /// <paramref name="connectionString"/>; a clear <see cref="ClusterUnavailableException"/> when no silo answers.
    /// </summary>
    public static async Task<ClusterClient> ConnectAsync(string connectionString, string clusterId, string serviceId,
        Action<ILoggingBuilder>? configureLogging, CancellationToken cancellationToken)
    {
        await RequireActiveSiloAsync(connectionString, clusterId, cancellationToken);
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders();
        configureLogging?.Invoke(builder.Logging);
        // A failed connection is reported once, by the exception below, not also by the host's own error log.
        builder.Logging.AddFilter("Microsoft.Extensions.Hosting", LogLevel.None);
        builder.Services.AddSingleton<IHostLifetime, NoSignalsLifetime>();
        builder.UseOrleansClient(client =>
        {
            client.Configure<ClusterOptions>(o =>
            {
                o.ClusterId = clusterId;
                o.ServiceId = serviceId;
            });
            // A killed silo's gateway leaves the list within seconds, not the default minute.
            client.Configure<GatewayOptions>(o => o.GatewayListRefreshPeriod = TimeSpan.FromSeconds(5));
            client.UseAdoNetClustering(o =>
            {
                o.Invariant = ClusterDatabase.NpgsqlInvariant;
                o.ConnectionString = connectionString;
            });
        });
        var host = builder.Build();
        using var patience = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        patience.CancelAfter(ConnectPatience);
        try
        {
            await host.StartAsync(patience.Token);
        }
        catch (Exception e) when (!cancellationToken.IsCancellationRequested)
        {
            host.Dispose();
            throw new ClusterUnavailableException(
                $"cannot connect to FedSim cluster '{clusterId}': {OneLine(e)}. Start its silos (README, \"Run on a cluster\") " +
                "and check the connection string and --cluster-id.", e);
        }
        return new ClusterClient(host, clusterId);
    }

    /// <summary>How long connecting may take before the cluster counts as unreachable.</summary>
    private static readonly TimeSpan ConnectPatience = TimeSpan.FromSeconds(60);

    /// <summary>
    /// Reads the membership table first (FedSim's own schema, <c>src/Silo/Schema</c>), so a wrong database or cluster
    /// id fails at once with its own message instead of after the Orleans client's minutes of looking for gateways.
    /// </summary>
    private static async Task RequireActiveSiloAsync(string connectionString, string clusterId, CancellationToken cancellationToken)
    {
        long active;
        try
        {
            await using var connection = await OpenAsync(connectionString, cancellationToken);
            await using var command = new Npgsql.NpgsqlCommand(
                "SELECT COUNT(*) FROM orleans_membership WHERE deployment_id = @cluster AND status = 3 AND proxy_port > 0", connection);
            command.Parameters.AddWithValue("cluster", clusterId);
            active = (long)(await command.ExecuteScalarAsync(cancellationToken))!;
        }
        catch (Npgsql.PostgresException e) when (e.SqlState == Npgsql.PostgresErrorCodes.UndefinedTable)
        {
            throw new ClusterUnavailableException("that database holds no FedSim cluster (no membership table): check the connection string, " +
                                                  "or start a silo on it (it applies the schema)", e);
        }
        catch (Exception e) when (e is Npgsql.NpgsqlException or System.Net.Sockets.SocketException or TimeoutException && !cancellationToken.IsCancellationRequested)
        {
            throw new ClusterUnavailableException($"cannot reach the cluster's PostgreSQL: {OneLine(e)}; check the connection string", e);
        }
        if (active == 0)
            throw new ClusterUnavailableException($"no silo of cluster '{clusterId}' is running (none active in its membership table): start its silos " +
                                                  "(README, \"Run on a cluster\") or check --cluster-id");
    }

    /// <summary>
    /// An open connection. Npgsql does not cancel an open while a server that accepted the connection stays silent (a
    /// hung database), so a cancelled open is abandoned to its own timeout, which then disposes the connection.
    /// </summary>
    private static async Task<Npgsql.NpgsqlConnection> OpenAsync(string connectionString, CancellationToken cancellationToken)
    {
        var connection = new Npgsql.NpgsqlConnection(connectionString);
        var opening = connection.OpenAsync(cancellationToken);
        try
        {
            await opening.WaitAsync(cancellationToken);
            return connection;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested && !opening.IsCompleted)
        {
            _ = opening.ContinueWith(_ => connection.Dispose(), CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Default);
            throw;
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        try { await _host.StopAsync(TimeSpan.FromSeconds(5)); }
        catch (Exception) { /* the cluster may be gone; nothing of ours is left to save */ }
        _host.Dispose();
    }

    private static string OneLine(Exception e)
    {
        while (e.InnerException is not null && e is AggregateException) e = e.InnerException;
        return e.Message.ReplaceLineEndings(" ").TrimEnd('.');
    }

    /// <summary>Signals belong to the CLI's Interruption, as for the embedded silo.</summary>
    private sealed class NoSignalsLifetime : IHostLifetime
    {
        public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}

/// <summary>No silo of the named cluster could be reached (none running, wrong database or cluster id).</summary>
public sealed class ClusterUnavailableException(string message, Exception? inner = null) : Exception(message, inner);
