namespace FedSim.GrainInterfaces;

/// <summary>
/// What silos and clients of one cluster agree on about its PostgreSQL database, beside the schema itself
/// (<c>src/Silo/Schema</c>).
/// </summary>
public static class ClusterDatabase
{
    /// <summary>The PostgreSQL invariant name the Orleans ADO.NET providers know Npgsql by.</summary>
    public const string NpgsqlInvariant = "Npgsql";
}
