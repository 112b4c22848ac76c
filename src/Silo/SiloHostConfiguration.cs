using Microsoft.Extensions.Configuration;

namespace FedSim.Silo;

/// <summary>
/// Configures a standalone silo from configuration (environment variables FEDSIM__*, or command-line
/// --FedSim:Key=value): with FedSim:Postgres set it joins an ADO.NET (PostgreSQL) cluster and keeps
/// checkpoints there; without it, it runs a single localhost silo.
/// </summary>
public static class SiloHostConfiguration
{
    public static void Configure(ISiloBuilder silo, IConfiguration configuration)
    {
        var section = configuration.GetSection("FedSim");
        string? postgres = section["Postgres"];
        int siloPort = section.GetValue("SiloPort", 11111);
        int gatewayPort = section.GetValue("GatewayPort", 30000);
        if (postgres is null)
        {
            silo.UseLocalhostClustering(siloPort, gatewayPort);
        }
        else
        {
            silo.Configure<Orleans.Configuration.ClusterOptions>(o =>
            {
                o.ClusterId = section["ClusterId"] ?? "fedsim";
                o.ServiceId = section["ServiceId"] ?? "fedsim";
            });
            silo.UseAdoNetClustering(o =>
            {
                o.Invariant = "Npgsql";
                o.ConnectionString = postgres;
            });
            silo.ConfigureEndpoints(siloPort, gatewayPort);
        }
        silo.AddFedSimSilo(o =>
        {
            o.PostgresConnectionString = postgres;
            o.Compute = new FedSim.Compute.ComputePoolOptions(Device: section["Device"] ?? "auto");
        });
    }
}
