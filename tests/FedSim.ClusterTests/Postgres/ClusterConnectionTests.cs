using FedSim.Scenarios.Cli;
using FedSim.Silo.Schema;

namespace FedSim.ClusterTests.Postgres;

/// <summary>A client pointed at the wrong place says what is wrong at once, in one line, without waiting for gateways.</summary>
[Collection(nameof(PostgresCollection))]
public sealed class ClusterConnectionTests(PostgresServer server)
{
    [PostgresFact]
    public async Task Status_of_a_cluster_without_running_silos_or_without_a_schema_fails_at_once_saying_which()
    {
        // Prepare: one database with the schema but no silo, one without the schema.
        string withSchema = server.ConnectionString(LocalCluster.NewDatabase());
        await PostgresSchema.ApplyAsync(withSchema);
        string empty = server.ConnectionString("postgres");
        var noSilo = new StringWriter();
        var noSchema = new StringWriter();

        // Execute
        int noSiloExit = await FedSimCli.RunAsync(["status", "--cluster", withSchema, "--cluster-id", "absent"], TextWriter.Null, noSilo);
        int noSchemaExit = await FedSimCli.RunAsync(["status", "--cluster", empty], TextWriter.Null, noSchema);

        // Assert
        Assert.Equal((1, 1), (noSiloExit, noSchemaExit));
        Assert.StartsWith("fedsim: error: no silo of cluster 'absent' is running", noSilo.ToString());
        Assert.StartsWith("fedsim: error: that database holds no FedSim cluster", noSchema.ToString());
    }
}
