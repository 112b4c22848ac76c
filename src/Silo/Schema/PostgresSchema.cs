using System.Reflection;
using Npgsql;

namespace FedSim.Silo.Schema;

/// <summary>One of FedSim's schema scripts: its version (the number its file name starts with) and its SQL.</summary>
public sealed record SchemaScript(int Version, string Name, string Sql);

/// <summary>What <see cref="PostgresSchema.ApplyAsync"/> did: the versions it applied now (empty when the schema was current).</summary>
public sealed record SchemaOutcome(IReadOnlyList<int> Applied, int Version);

/// <summary>
/// FedSim's PostgreSQL schema (membership, grain state, reminders and the providers' query catalogue), applied by the
/// project itself: the Orleans ADO.NET providers ship no scripts, they only read their SQL from the OrleansQuery table.
/// Scripts run in version order, each at most once (fedsim_schema_version), each in its own transaction, under an
/// advisory lock so silos starting together apply them once. Each script is also idempotent on its own, so the same
/// files can initialise a database through psql (the docker image does).
/// </summary>
public static class PostgresSchema
{
    /// <summary>Advisory lock key serialising schema changes (an arbitrary constant, "fedsim" in ASCII).</summary>
    private const long LockKey = 0x66_65_64_73_69_6d;

    private const string ResourcePrefix = "FedSim.Silo.Schema.";

    private static readonly Lazy<IReadOnlyList<SchemaScript>> LoadedScripts = new(Load);

    /// <summary>The scripts in version order.</summary>
    public static IReadOnlyList<SchemaScript> Scripts => LoadedScripts.Value;

    /// <summary>The version a database has once every script ran.</summary>
    public static int LatestVersion => Scripts[^1].Version;

    /// <summary>
    /// Brings the database of <paramref name="connectionString"/> to <see cref="LatestVersion"/>, creating the database
    /// first when it does not exist (the role needs CREATEDB for that). Running it again is a no-op.
    /// </summary>
    public static async Task<SchemaOutcome> ApplyAsync(string connectionString, CancellationToken cancellationToken = default)
    {
        await EnsureDatabaseAsync(connectionString, cancellationToken);
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(cancellationToken);
        await ExecuteAsync(connection, $"SELECT pg_advisory_lock({LockKey})", cancellationToken);
        try
        {
            var applied = new List<int>();
            int current = await CurrentVersionAsync(connection, cancellationToken);
            if (current > LatestVersion)
                throw new SchemaException($"the database's FedSim schema is at version {current}, newer than this FedSim knows ({LatestVersion}); " +
                                          "run a FedSim at least as new as the one that upgraded it");
            foreach (var script in Scripts.Where(s => s.Version > current))
            {
                await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
                await using (var command = new NpgsqlCommand(script.Sql, connection, transaction))
                    await command.ExecuteNonQueryAsync(cancellationToken);
                await transaction.CommitAsync(cancellationToken);
                applied.Add(script.Version);
            }
            return new SchemaOutcome(applied, Math.Max(current, LatestVersion));
        }
        finally
        {
            await ExecuteAsync(connection, $"SELECT pg_advisory_unlock({LockKey})", CancellationToken.None);
        }
    }

    /// <summary>The schema version of the database (0: none yet).</summary>
    public static async Task<int> VersionAsync(string connectionString, CancellationToken cancellationToken = default)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(cancellationToken);
        return await CurrentVersionAsync(connection, cancellationToken);
    }

    private static async Task<int> CurrentVersionAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        await using var exists = new NpgsqlCommand("SELECT to_regclass('fedsim_schema_version') IS NOT NULL", connection);
        if (!(bool)(await exists.ExecuteScalarAsync(cancellationToken))!) return 0;
        await using var max = new NpgsqlCommand("SELECT COALESCE(MAX(version), 0) FROM fedsim_schema_version", connection);
        return (int)(await max.ExecuteScalarAsync(cancellationToken))!;
    }

    /// <summary>Creates the connection string's database when the server says it does not exist.</summary>
    private static async Task EnsureDatabaseAsync(string connectionString, CancellationToken cancellationToken)
    {
        try
        {
            await using var probe = new NpgsqlConnection(connectionString);
            await probe.OpenAsync(cancellationToken);
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.InvalidCatalogName)
        {
            var builder = new NpgsqlConnectionStringBuilder(connectionString);
            string database = builder.Database ?? throw new SchemaException("the PostgreSQL connection string names no Database");
            builder.Database = "postgres";
            builder.Pooling = false;
            await using var admin = new NpgsqlConnection(builder.ConnectionString);
            await admin.OpenAsync(cancellationToken);
            try
            {
                await ExecuteAsync(admin, $"CREATE DATABASE \"{database.Replace("\"", "\"\"")}\"", cancellationToken);
            }
            catch (PostgresException race) when (race.SqlState is PostgresErrorCodes.DuplicateDatabase or PostgresErrorCodes.UniqueViolation)
            {
                // Another silo created it a moment ago (or is creating it: the catalogue's unique index says so).
            }
        }
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, string sql, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private static IReadOnlyList<SchemaScript> Load()
    {
        var assembly = typeof(PostgresSchema).Assembly;
        var scripts = new List<SchemaScript>();
        foreach (string resource in assembly.GetManifestResourceNames().Where(n => n.StartsWith(ResourcePrefix, StringComparison.Ordinal) && n.EndsWith(".sql", StringComparison.Ordinal)))
        {
            string name = resource[ResourcePrefix.Length..];
            int dash = name.IndexOf('-');
            if (dash <= 0 || !int.TryParse(name.AsSpan(0, dash), out int version))
                throw new InvalidOperationException($"schema script {name} does not start with its version number");
            using var stream = assembly.GetManifestResourceStream(resource)!;
            using var reader = new StreamReader(stream);
            scripts.Add(new SchemaScript(version, name, reader.ReadToEnd()));
        }
        scripts.Sort((a, b) => a.Version.CompareTo(b.Version));
        for (int i = 0; i < scripts.Count; i++)
            if (scripts[i].Version != i + 1)
                throw new InvalidOperationException($"schema scripts must be numbered 1, 2, 3, ... without gaps; found {string.Join(", ", scripts.Select(s => s.Name))}");
        return scripts;
    }
}

/// <summary>The database cannot be brought to FedSim's schema (a newer schema, no database name).</summary>
public sealed class SchemaException(string message) : Exception(message);
