using FedSim.Compute;
using FedSim.Coordination;
using FedSim.Data;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Orleans.Runtime.Hosting;

namespace FedSim.Silo;

/// <summary>How a FedSim silo is wired: its compute pool, where checkpoints go, coordinator settings.</summary>
public sealed class FedSimSiloOptions
{
    public ComputePoolOptions Compute { get; set; } = new();

    /// <summary>ADO.NET (PostgreSQL) connection string for checkpoints; null keeps them in memory or in <see cref="CheckpointFolder"/>.</summary>
    public string? PostgresConnectionString { get; set; }

    /// <summary>Folder for checkpoints (embedded runs keep them beside their results, so a run can resume); null keeps them in memory.</summary>
    public string? CheckpointFolder { get; set; }

    public TimeSpan RoundTimeout { get; set; } = TimeSpan.FromMinutes(30);
}

public static class FedSimSiloExtensions
{
    /// <summary>Adds FedSim's grains' services to a silo: one compute pool, the data cache and checkpoint storage.</summary>
    public static ISiloBuilder AddFedSimSilo(this ISiloBuilder silo, Action<FedSimSiloOptions>? configure = null)
    {
        var options = new FedSimSiloOptions();
        configure?.Invoke(options);

        silo.Services.AddSingleton(options);
        silo.Services.AddSingleton<IComputePool>(sp => new ComputePool(options.Compute, sp.GetService<ILogger<ComputePool>>()));
        silo.Services.AddSingleton<ExperimentDataCache>();
        silo.Services.AddSingleton<FedSim.Devices.SiloMetrics>();
        silo.Services.Configure<CoordinatorOptions>(o => o.RoundTimeout = options.RoundTimeout);

        if (options.PostgresConnectionString is { } connection)
        {
            silo.AddAdoNetGrainStorage(FedSimStorage.Checkpoints, o =>
            {
                o.Invariant = "Npgsql";
                o.ConnectionString = connection;
            });
        }
        else if (options.CheckpointFolder is { } folder)
        {
            silo.Services.AddGrainStorage(FedSimStorage.Checkpoints,
                (sp, _) => new Storage.FolderGrainStorage(folder, sp.GetRequiredService<Orleans.Serialization.Serializer>()));
        }
        else
        {
            silo.AddMemoryGrainStorage(FedSimStorage.Checkpoints);
        }
        return silo;
    }
}
