using System.Net;
using FedSim.Compute;
using FedSim.Devices;
using FedSim.Silo.Schema;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;
using Orleans.Configuration;
using Orleans.Dashboard;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using FedSim.GrainInterfaces;
using FedSim.Telemetry;

namespace FedSim.Silo;

/// <summary>
/// A standalone silo's settings, read from configuration: environment variables <c>FEDSIM__KEY</c> (double underscore),
/// command-line <c>--FedSim:Key=value</c>, or an appsettings.json beside the program. Every key has a default, so
/// a silo with only <c>FEDSIM__POSTGRES</c> set joins the cluster "fedsim" on the default ports.
/// </summary>
public sealed record SiloSettings
{
    /// <summary>PostgreSQL connection string (Npgsql syntax). Unset: a single localhost silo with in-memory storage.</summary>
    public string? Postgres { get; init; }

    /// <summary>Silos (and clients) with the same cluster id form one cluster.</summary>
    public string ClusterId { get; init; } = "fedsim";

    /// <summary>Grain state is keyed by service id: keep it when redeploying a cluster so experiments resume.</summary>
    public string ServiceId { get; init; } = "fedsim";

    /// <summary>Silo-to-silo port; distinct per silo on one machine.</summary>
    public int SiloPort { get; init; } = 11111;

    /// <summary>Port clients (<c>fedsim run --cluster</c>) connect to; distinct per silo on one machine.</summary>
    public int GatewayPort { get; init; } = 30000;

    /// <summary>Address other silos and clients reach this one at; unset: this machine's first address (127.0.0.1 when offline).</summary>
    public string? AdvertisedAddress { get; init; }

    /// <summary>Port of the dashboard (<c>/dashboard</c>) and the Prometheus endpoint (<c>/metrics</c>); 0 turns both off.</summary>
    public int HttpPort { get; init; } = 8080;

    /// <summary>Name shown in the dashboard and logs; unset: host name and silo port.</summary>
    public string? SiloName { get; init; }

    /// <summary>Compute device: auto | cpu | cuda.</summary>
    public string Device { get; init; } = "auto";

    /// <summary>Compute pool worker threads; unset: the pool's default for the device.</summary>
    public int? Workers { get; init; }

    /// <summary>Largest training cohort; unset: tuned for the device.</summary>
    public int? CohortSize { get; init; }

    /// <summary>Apply FedSim's schema scripts at start (idempotent; silos starting together apply them once).</summary>
    public bool ApplySchema { get; init; } = true;

    /// <summary>json (one object per line, for log collectors) or text.</summary>
    public string LogFormat { get; init; } = "json";

    /// <summary>Seconds without a probe answer before a silo is suspected (Orleans' default when unset); smaller detects crashes sooner.</summary>
    public double? ProbeTimeoutSeconds { get; init; }

    /// <summary>Period of the reminder that revives experiments whose coordinator's silo died.</summary>
    public double RevivalPeriodSeconds { get; init; } = 60;

    /// <summary>How long storage calls are retried while PostgreSQL is unreachable.</summary>
    public double StorageRetrySeconds { get; init; } = 180;

    /// <summary>Real time after which devices that never answered count as failed.</summary>
    public double RoundTimeoutMinutes { get; init; } = 30;

    public static SiloSettings From(IConfiguration configuration)
        => configuration.GetSection("FedSim").Get<SiloSettings>() ?? new SiloSettings();

    public string Name => SiloName ?? $"{Dns.GetHostName()}-{SiloPort}";
}

/// <summary>
/// Configures a standalone FedSim silo: clustering through PostgreSQL (or localhost when no database is given),
/// FedSim's grains and storage (<see cref="FedSimSiloExtensions.AddFedSimSilo"/>), structured logs, OpenTelemetry
/// metrics (FedSim's meter and Orleans') with a Prometheus endpoint and OTLP export when <c>OTEL_EXPORTER_OTLP_ENDPOINT</c>
/// is set, and the Orleans dashboard. The connection string is never logged.
/// </summary>
public static class SiloHostConfiguration
{
    public static void Configure(WebApplicationBuilder builder, SiloSettings settings)
    {
        builder.Logging.ClearProviders();
        if (string.Equals(settings.LogFormat, "text", StringComparison.OrdinalIgnoreCase))
            builder.Logging.AddSimpleConsole(o => o.SingleLine = true);
        else
            builder.Logging.AddJsonConsole(o => o.IncludeScopes = true);

        builder.WebHost.UseUrls(settings.HttpPort > 0 ? $"http://0.0.0.0:{settings.HttpPort}" : "http://127.0.0.1:0");
        builder.UseOrleans(silo => ConfigureSilo(silo, settings));

        builder.Services.AddOpenTelemetry()
            .ConfigureResource(r => r.AddService("fedsim-silo", serviceInstanceId: settings.Name))
            .WithMetrics(metrics =>
            {
                metrics.AddMeter(SiloMetrics.MeterName, "Microsoft.Orleans");
                metrics.AddPrometheusExporter();
                if (!string.IsNullOrEmpty(Environment.GetEnvironmentVariable("OTEL_EXPORTER_OTLP_ENDPOINT"))) metrics.AddOtlpExporter();
            });
    }

    /// <summary>The dashboard at /dashboard and Prometheus' scrape endpoint at /metrics.</summary>
    public static void MapEndpoints(WebApplication app)
    {
        app.MapOrleansDashboard(routePrefix: "/dashboard");
        app.MapPrometheusScrapingEndpoint();
    }

    internal static void ConfigureSilo(ISiloBuilder silo, SiloSettings settings)
    {
        silo.Configure<ClusterOptions>(o =>
        {
            o.ClusterId = settings.ClusterId;
            o.ServiceId = settings.ServiceId;
        });
        silo.Configure<SiloOptions>(o => o.SiloName = settings.Name);
        if (settings.Postgres is null)
        {
            silo.UseLocalhostClustering(settings.SiloPort, settings.GatewayPort);
        }
        else
        {
            silo.UseAdoNetClustering(o =>
            {
                o.Invariant = ClusterDatabase.NpgsqlInvariant;
                o.ConnectionString = settings.Postgres;
            });
            if (settings.AdvertisedAddress is { } address)
                silo.ConfigureEndpoints(IPAddress.Parse(address), settings.SiloPort, settings.GatewayPort, listenOnAnyHostAddress: true);
            else
                silo.ConfigureEndpoints(settings.SiloPort, settings.GatewayPort, listenOnAnyHostAddress: true);
        }
        if (settings.ProbeTimeoutSeconds is { } probe)
            silo.Configure<ClusterMembershipOptions>(o =>
            {
                o.ProbeTimeout = TimeSpan.FromSeconds(probe);
                o.NumMissedProbesLimit = 2;
            });
        silo.AddDashboard();
        silo.AddFedSimSilo(o =>
        {
            o.PostgresConnectionString = settings.Postgres;
            o.Compute = new ComputePoolOptions(Device: settings.Device, Workers: settings.Workers ?? 0, MaxCohortSize: settings.CohortSize ?? 0);
            o.RevivalPeriod = TimeSpan.FromSeconds(settings.RevivalPeriodSeconds);
            o.StorageRetryPatience = TimeSpan.FromSeconds(settings.StorageRetrySeconds);
            o.RoundTimeout = TimeSpan.FromMinutes(settings.RoundTimeoutMinutes);
        });
    }

    /// <summary>
    /// Applies the schema before the silo joins (when configured), waiting for a database that is still starting
    /// (a container started together with it) for up to <paramref name="patience"/>.
    /// </summary>
    public static async Task PrepareDatabaseAsync(SiloSettings settings, ILogger logger, TimeSpan patience, CancellationToken cancellationToken)
    {
        if (settings.Postgres is null || !settings.ApplySchema) return;
        var deadline = DateTime.UtcNow + patience;
        while (true)
        {
            try
            {
                var outcome = await PostgresSchema.ApplyAsync(settings.Postgres, cancellationToken);
                logger.LogInformation("FedSim schema at version {Version} (applied now: {Applied}) in database {Database} on {Host}",
                    outcome.Version, outcome.Applied.Count == 0 ? "none" : string.Join(", ", outcome.Applied),
                    new NpgsqlConnectionStringBuilder(settings.Postgres).Database, new NpgsqlConnectionStringBuilder(settings.Postgres).Host);
                return;
            }
            catch (Exception e) when (e is NpgsqlException or System.Net.Sockets.SocketException && DateTime.UtcNow < deadline)
            {
                logger.LogWarning("PostgreSQL is not reachable yet ({Reason}); retrying", e.Message);
                await Task.Delay(TimeSpan.FromSeconds(2), cancellationToken);
            }
        }
    }
}
