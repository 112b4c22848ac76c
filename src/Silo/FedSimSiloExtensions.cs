using FedSim.Compute;
using FedSim.Coordination;
using FedSim.Data;
using FedSim.Devices;
using FedSim.Silo.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Orleans.Configuration;
using Orleans.Runtime.Hosting;
using Orleans.Serialization;
using Orleans.Storage;
using FedSim.GrainInterfaces;
using FedSim.Persistence;
using FedSim.Composition;
using FedSim.Telemetry;

namespace FedSim.Silo;

/// <summary>How a FedSim silo is wired: its compute pool, where checkpoints and reminders go, coordinator settings.</summary>
public sealed class FedSimSiloOptions
{
    public ComputePoolOptions Compute { get; set; } = new();

    /// <summary>
    /// PostgreSQL connection string (Npgsql syntax) for checkpoints, device state and reminders; null keeps them in
    /// memory or in <see cref="CheckpointFolder"/>. Never logged.
    /// </summary>
    public string? PostgresConnectionString { get; set; }

    /// <summary>Folder for checkpoints (embedded runs keep them beside their results, so a run can resume); null keeps them in memory.</summary>
    public string? CheckpointFolder { get; set; }

    public TimeSpan RoundTimeout { get; set; } = TimeSpan.FromMinutes(30);

    /// <summary>How long storage operations are retried while the database is unreachable before they fail.</summary>
    public TimeSpan StorageRetryPatience { get; set; } = TimeSpan.FromMinutes(3);

    /// <summary>Period of the reminder that revives a coordinator whose silo died (Orleans' minimum is one minute unless lowered).</summary>
    public TimeSpan RevivalPeriod { get; set; } = TimeSpan.FromMinutes(1);
}

public static class FedSimSiloExtensions
{
    /// <summary>The ADO.NET grain storage behind <see cref="FedSimStorage.Checkpoints"/>, wrapped with retries.</summary>
    private const string AdoNetCheckpoints = FedSimStorage.Checkpoints + "-adonet";

    /// <summary>
    /// Adds FedSim's grains' services to a silo: one compute pool, the data cache, telemetry, checkpoint storage and
    /// reminders. With <see cref="FedSimSiloOptions.PostgresConnectionString"/> both live in PostgreSQL (the schema
    /// must be applied: <see cref="Schema.PostgresSchema"/>) and states are written with the Orleans binary serializer.
    /// Clustering is the host's choice (localhost for an embedded silo, ADO.NET for a cluster: <see cref="SiloHostConfiguration"/>).
    /// </summary>
    public static ISiloBuilder AddFedSimSilo(this ISiloBuilder silo, Action<FedSimSiloOptions>? configure = null)
    {
        var options = new FedSimSiloOptions();
        configure?.Invoke(options);

        silo.Services.AddSingleton(options);
        silo.Services.AddSingleton<SiloMetrics>();
        silo.Services.AddSingleton<IComputePool>(sp =>
        {
            var pool = new ComputePool(options.Compute, sp.GetService<ILogger<ComputePool>>());
            sp.GetRequiredService<SiloMetrics>().Observe(pool);
            return pool;
        });
        silo.Services.AddSingleton<ExperimentDataCache>();
        // Revival needs reminders, and reminders need a shared store: without PostgreSQL the silo is the experiment's
        // only host (embedded runs resume from their results folder instead), so it registers none.
        bool clustered = options.PostgresConnectionString is not null;
        silo.Services.Configure<CoordinatorOptions>(o =>
        {
            o.RoundTimeout = options.RoundTimeout;
            o.RevivalPeriod = clustered ? options.RevivalPeriod : null;
        });
        if (clustered && options.RevivalPeriod < TimeSpan.FromMinutes(1))
            silo.Services.Configure<Orleans.Hosting.ReminderOptions>(o => o.MinimumReminderPeriod = options.RevivalPeriod);

        if (options.PostgresConnectionString is { } connection)
        {
            silo.AddAdoNetGrainStorage(AdoNetCheckpoints, o =>
            {
                o.Invariant = ClusterDatabase.NpgsqlInvariant;
                o.ConnectionString = connection;
            });
            // Orleans' binary serializer (the providers' default is JSON): the same bytes the grains exchange.
            silo.Services.AddOptions<AdoNetGrainStorageOptions>(AdoNetCheckpoints)
                .Configure<Serializer>((o, serializer) => o.GrainStorageSerializer = new OrleansGrainStorageSerializer(serializer));
            silo.Services.AddGrainStorage(FedSimStorage.Checkpoints, (sp, _) => new RetryingGrainStorage(
                sp.GetRequiredKeyedService<IGrainStorage>(AdoNetCheckpoints), sp.GetRequiredService<Serializer>(),
                sp.GetRequiredService<ILogger<RetryingGrainStorage>>(), options.StorageRetryPatience));
            silo.UseAdoNetReminderService(o =>
            {
                o.Invariant = ClusterDatabase.NpgsqlInvariant;
                o.ConnectionString = connection;
            });
        }
        else
        {
            if (options.CheckpointFolder is { } folder)
                silo.Services.AddGrainStorage(FedSimStorage.Checkpoints,
                    (sp, _) => new FolderGrainStorage(folder, sp.GetRequiredService<Serializer>()));
            else
                silo.AddMemoryGrainStorage(FedSimStorage.Checkpoints);
        }
        return silo;
    }
}
