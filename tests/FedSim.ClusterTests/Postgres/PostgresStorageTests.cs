using System.Diagnostics;
using FedSim.GrainInterfaces;
using FedSim.Coordination;
using FedSim.Scenarios.Running;
using FedSim.Silo.Schema;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Orleans.Serialization;
using Orleans.Storage;
using FedSim.Persistence;

namespace FedSim.ClusterTests.Postgres;

/// <summary>
/// FedSim's own PostgreSQL schema against the Orleans ADO.NET providers' contract: applied once and idempotently, the
/// query catalogue complete, checkpoints stored with the Orleans binary serializer and read back by a new silo, and the
/// ETag (version) check refusing a stale write.
/// </summary>
[Collection(nameof(PostgresCollection))]
public sealed class PostgresStorageTests(PostgresServer server)
{
    /// <summary>Every query key the 10.4 providers read (clustering, grain storage, reminders).</summary>
    private static readonly string[] ProviderQueryKeys =
    [
        "InsertMembershipVersionKey", "InsertMembershipKey", "UpdateMembershipKey", "UpdateIAmAlivetimeKey", "MembershipReadRowKey",
        "MembershipReadAllKey", "DeleteMembershipTableEntriesKey", "GatewaysQueryKey", "CleanupDefunctSiloEntriesKey",
        "ReadFromStorageKey", "WriteToStorageKey", "ClearStorageKey",
        "UpsertReminderRowKey", "ReadReminderRowsKey", "ReadReminderRowKey", "ReadRangeRows1Key", "ReadRangeRows2Key",
        "DeleteReminderRowKey", "DeleteReminderRowsKey",
    ];

    private static string NewDatabase() => $"fedsim_{Guid.NewGuid():N}"[..30];

    [PostgresFact]
    public async Task The_schema_is_applied_once_and_applying_it_again_changes_nothing()
    {
        // Prepare
        string connection = server.ConnectionString(NewDatabase());

        // Execute
        var first = await PostgresSchema.ApplyAsync(connection);
        var again = await PostgresSchema.ApplyAsync(connection);

        // Assert
        Assert.Equal([1, 2, 3, 4], first.Applied);
        Assert.Empty(again.Applied);
        Assert.Equal(PostgresSchema.LatestVersion, await PostgresSchema.VersionAsync(connection));
        Assert.Equal(4L, await ScalarAsync<long>(connection, "SELECT COUNT(*) FROM fedsim_schema_version"));
        var keys = await ColumnAsync(connection, "SELECT QueryKey FROM OrleansQuery");
        Assert.Empty(ProviderQueryKeys.Except(keys));
    }

    [PostgresFact]
    public async Task Silos_starting_together_apply_the_schema_once()
    {
        string connection = server.ConnectionString(NewDatabase());

        var outcomes = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => Task.Run(() => PostgresSchema.ApplyAsync(connection))));

        Assert.Equal([1, 2, 3, 4], outcomes.SelectMany(o => o.Applied).Order());
        Assert.Equal(4L, await ScalarAsync<long>(connection, "SELECT COUNT(*) FROM fedsim_schema_version"));
    }

    [PostgresFact]
    public async Task A_database_initialised_by_psql_from_the_same_files_is_current()
    {
        // Prepare: what the docker image's PostgreSQL does at first start (psql over the folder's files, in order).
        string database = NewDatabase();
        string connection = server.ConnectionString(database);
        await using (var admin = new NpgsqlConnection(server.ConnectionString("postgres")))
        {
            await admin.OpenAsync();
            await using var create = new NpgsqlCommand($"CREATE DATABASE {database}", admin);
            await create.ExecuteNonQueryAsync();
        }
        var builder = new NpgsqlConnectionStringBuilder(connection);
        foreach (string file in Directory.GetFiles(Path.Combine(AppContext.BaseDirectory, "Schema"), "*.sql").Order())
        {
            var psql = new ProcessStartInfo("psql") { RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (string a in new[] { "-v", "ON_ERROR_STOP=1", "-q", "-h", builder.Host!, "-p", builder.Port.ToString(), "-U", builder.Username!, "-d", database, "-f", file })
                psql.ArgumentList.Add(a);
            psql.Environment["PGPASSWORD"] = builder.Password;
            using var process = Process.Start(psql)!;
            string errors = await process.StandardError.ReadToEndAsync();
            await process.WaitForExitAsync();
            Assert.True(process.ExitCode == 0, $"psql -f {Path.GetFileName(file)}: {errors}");
        }

        // Execute
        var outcome = await PostgresSchema.ApplyAsync(connection);

        // Assert
        Assert.Empty(outcome.Applied);
        Assert.Equal(PostgresSchema.LatestVersion, outcome.Version);
    }

    [PostgresFact]
    public async Task Checkpoints_are_Orleans_binary_in_PostgreSQL_and_a_new_silo_resumes_from_them()
    {
        // Prepare
        string connection = server.ConnectionString(NewDatabase());
        await PostgresSchema.ApplyAsync(connection);
        var scenario = TestScenarios.SmallSynthetic(rounds: 2, seed: 31);
        ExperimentStatus status;
        GlobalModel model;
        await using (var first = await EmbeddedSilo.StartAsync(o => o.PostgresConnectionString = connection, CancellationToken.None))
        {
            status = await ExperimentDriver.RunToCompletionAsync(first.Grains, "pg-checkpoint", scenario, _ => { }, TestScenarios.Deadline());
            model = await first.Grains.GetGrain<IExperimentGrain>("pg-checkpoint").GetGlobalModelAsync();
        }

        // Execute: a new silo (process-wide state gone with the old one) reads the experiment from the database.
        await using var second = await EmbeddedSilo.StartAsync(o => o.PostgresConnectionString = connection, CancellationToken.None);
        var again = await second.Grains.GetGrain<IExperimentGrain>("pg-checkpoint").GetStatusAsync();
        var reloaded = await second.Grains.GetGrain<IExperimentGrain>("pg-checkpoint").GetGlobalModelAsync();
        byte[] payload = await ScalarAsync<byte[]>(connection,
            "SELECT payload FROM orleans_grain_state WHERE grain_type LIKE '%experiment%' ORDER BY modified_at DESC LIMIT 1");
        var decoded = second.Services.GetRequiredService<Serializer>().Deserialize<ExperimentCheckpoint>(payload);

        // Assert
        Assert.Equal(TestScenarios.WithoutWallTime(status.Reports), TestScenarios.WithoutWallTime(again.Reports));
        Assert.Equal(model.Weights, reloaded.Weights);
        Assert.NotEqual((byte)'{', payload[0]); // not JSON
        Assert.Equal(2, decoded!.CompletedRounds);
        Assert.Equal(model.Weights, decoded.Weights);
    }

    [PostgresFact]
    public async Task A_write_with_a_stale_version_is_refused_and_a_current_one_advances_it()
    {
        // Prepare
        string connection = server.ConnectionString(NewDatabase());
        await PostgresSchema.ApplyAsync(connection);
        await using var silo = await EmbeddedSilo.StartAsync(o => o.PostgresConnectionString = connection, CancellationToken.None);
        var storage = silo.Services.GetRequiredKeyedService<IGrainStorage>(FedSimStorage.Checkpoints);
        var grain = GrainId.Create("test", "etag");
        var mine = new GrainState<ExperimentCheckpoint>(new ExperimentCheckpoint { CompletedRounds = 1 });
        var theirs = new GrainState<ExperimentCheckpoint>(new ExperimentCheckpoint { CompletedRounds = 7 });

        // Execute
        await storage.WriteStateAsync("experiment", grain, mine);              // first write: version 1
        var secondFirstWrite = await Record.ExceptionAsync(() => storage.WriteStateAsync("experiment", grain, theirs)); // also "first"
        mine.State!.CompletedRounds = 2;
        await storage.WriteStateAsync("experiment", grain, mine);              // version 1 -> 2
        var stale = new GrainState<ExperimentCheckpoint>(new ExperimentCheckpoint()) { ETag = "1" };
        var staleWrite = await Record.ExceptionAsync(() => storage.WriteStateAsync("experiment", grain, stale));
        var read = new GrainState<ExperimentCheckpoint>();
        await storage.ReadStateAsync("experiment", grain, read);

        // Assert
        Assert.IsType<InconsistentStateException>(secondFirstWrite);
        Assert.IsType<InconsistentStateException>(staleWrite);
        Assert.Equal("2", mine.ETag);
        Assert.Equal(("2", 2, true), (read.ETag, read.State!.CompletedRounds, read.RecordExists));
    }

    private static async Task<T> ScalarAsync<T>(string connection, string sql)
    {
        await using var c = new NpgsqlConnection(connection);
        await c.OpenAsync();
        await using var command = new NpgsqlCommand(sql, c);
        return (T)(await command.ExecuteScalarAsync())!;
    }

    private static async Task<List<string>> ColumnAsync(string connection, string sql)
    {
        await using var c = new NpgsqlConnection(connection);
        await c.OpenAsync();
        await using var command = new NpgsqlCommand(sql, c);
        await using var reader = await command.ExecuteReaderAsync();
        var values = new List<string>();
        while (await reader.ReadAsync()) values.Add(reader.GetString(0));
        return values;
    }
}
