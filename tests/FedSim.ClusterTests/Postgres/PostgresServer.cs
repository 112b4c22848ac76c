using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Npgsql;

namespace FedSim.ClusterTests.Postgres;

/// <summary>
/// A private PostgreSQL server for the tests, run by the repository's own <c>build/local-postgres.sh</c> (the script the
/// README uses): its data in a folder of its own, on a free port, as the <c>postgres</c> user when the tests run as
/// root. <c>.ci/run</c> starts one and names it in <see cref="FolderVariable"/>; otherwise the fixture starts (and
/// later stops) its own. Each test takes a fresh database on it.
/// </summary>
public sealed class PostgresServer : IAsyncLifetime
{
    /// <summary>Folder of a server started before the tests (by .ci/run); unset: the fixture starts one.</summary>
    public const string FolderVariable = "FEDSIM_TEST_POSTGRES_DIR";

    private bool _ownsServer;

    public string Folder { get; private set; } = "";

    /// <summary>The fedsim role's connection string to <paramref name="database"/> (created on first use by the schema).</summary>
    public string ConnectionString(string database) =>
        new NpgsqlConnectionStringBuilder(_baseConnection) { Database = database, Pooling = true }.ConnectionString;

    private string _baseConnection = "";

    public static string ScriptPath => Path.Combine(RepositoryRoot, "build", "local-postgres.sh");

    /// <summary>True when PostgreSQL's server programs are installed (the script can start a server).</summary>
    public static bool Available => Run("available").Exit == 0;

    public static string MissingMessage =>
        "PostgreSQL's server programs are not installed: install them (Debian: apt-get install postgresql) to run the cluster tests; .ci/run does.";

    public async Task InitializeAsync()
    {
        if (Environment.GetEnvironmentVariable(FolderVariable) is { Length: > 0 } given)
        {
            Folder = given;
        }
        else
        {
            // Not a 0700 temp folder: the server's user must be able to reach it.
            Folder = Path.Combine(Path.GetTempPath(), $"fedsim-test-pg-{Guid.NewGuid():N}");
            _ownsServer = true;
        }
        var (exit, output) = Run("start", Folder, _ownsServer ? FreePort().ToString() : "");
        if (exit != 0) throw new InvalidOperationException($"local-postgres.sh start failed ({exit}): {output}");
        _baseConnection = output.Split('\n').Last(l => l.StartsWith("Host=", StringComparison.Ordinal)).Trim();
        await Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        if (!_ownsServer) return;
        Run("stop", Folder);
        try { Directory.Delete(Folder, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        await Task.CompletedTask;
    }

    /// <summary>Stops the server (fast shutdown: every session is cut), for tests of an outage.</summary>
    public void Stop()
    {
        var (exit, output) = Run("stop", Folder);
        if (exit != 0) throw new InvalidOperationException($"stopping PostgreSQL failed: {output}");
    }

    public void Start()
    {
        var (exit, output) = Run("start", Folder);
        if (exit != 0) throw new InvalidOperationException($"starting PostgreSQL failed: {output}");
        // This process's pooled connections died with the old server; later tests must not draw one.
        NpgsqlConnection.ClearAllPools();
    }

    /// <summary>A new role with its own password (for checks that a password never reaches a log).</summary>
    public async Task<string> CreateRoleAsync(string database, string role, string password)
    {
        await using var connection = new NpgsqlConnection(ConnectionString("postgres"));
        await connection.OpenAsync();
        await using (var create = new NpgsqlCommand($"CREATE ROLE \"{role}\" LOGIN CREATEDB PASSWORD '{password}'", connection))
            await create.ExecuteNonQueryAsync();
        return new NpgsqlConnectionStringBuilder(ConnectionString(database)) { Username = role, Password = password }.ConnectionString;
    }

    private static (int Exit, string Output) Run(params string[] args)
    {
        var info = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add(ScriptPath);
        foreach (string a in args.Where(a => a.Length > 0)) info.ArgumentList.Add(a);
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(120_000))
        {
            process.Kill(entireProcessTree: true);
            return (-1, "timed out");
        }
        return (process.ExitCode, stdout.Result + stderr.Result);
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    internal static string RepositoryRoot
    {
        get
        {
            for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
                if (File.Exists(Path.Combine(dir.FullName, "build", "local-postgres.sh"))) return dir.FullName;
            throw new DirectoryNotFoundException("build/local-postgres.sh not found above the test binaries");
        }
    }
}

/// <summary>
/// A fact that needs a real PostgreSQL: skipped with a message saying how to enable it when the server programs are not
/// installed, except under CI=true, where it runs (and fails without a server).
/// </summary>
public sealed class PostgresFactAttribute : FactAttribute
{
    public PostgresFactAttribute()
    {
        if (!OnCi && !PostgresServer.Available) Skip = PostgresServer.MissingMessage;
    }

    internal static bool OnCi => string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase);
}

/// <summary>
/// A theory that runs FedSim silos against a real PostgreSQL on MNIST: skipped (saying how to enable it) when the server
/// programs or ../shared/datasets/mnist are missing, except under CI=true, where it runs and fails loudly.
/// </summary>
public sealed class ClusterTheoryAttribute : TheoryAttribute
{
    public ClusterTheoryAttribute()
    {
        if (PostgresFactAttribute.OnCi) return;
        if (!PostgresServer.Available) Skip = PostgresServer.MissingMessage;
        else if (SharedMnist.Folder is null) Skip = SharedMnist.MissingMessage;
    }
}

/// <summary>A fact with the same requirements as <see cref="ClusterTheoryAttribute"/>.</summary>
public sealed class ClusterFactAttribute : FactAttribute
{
    public ClusterFactAttribute()
    {
        if (PostgresFactAttribute.OnCi) return;
        if (!PostgresServer.Available) Skip = PostgresServer.MissingMessage;
        else if (SharedMnist.Folder is null) Skip = SharedMnist.MissingMessage;
    }
}

/// <summary>
/// MNIST from the project's read-only datasets: $FEDSIM_SHARED_DATASETS/mnist, else shared/datasets/mnist in the first
/// ancestor of the test binaries that has one (the checkout sits beside shared/).
/// </summary>
public static class SharedMnist
{
    public static string? Folder { get; } = Locate();

    public static string MissingMessage =>
        "MNIST not found in ../shared/datasets/mnist beside the checkout (or $FEDSIM_SHARED_DATASETS/mnist); the multi-silo tests train on it.";

    public static string Require() => Folder ?? throw new DirectoryNotFoundException(MissingMessage);

    private static string? Locate()
    {
        if (Environment.GetEnvironmentVariable("FEDSIM_SHARED_DATASETS") is { Length: > 0 } root)
            return Directory.Exists(Path.Combine(root, "mnist")) ? Path.GetFullPath(Path.Combine(root, "mnist")) : null;
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (Directory.Exists(Path.Combine(dir.FullName, "shared", "datasets", "mnist"))) return Path.Combine(dir.FullName, "shared", "datasets", "mnist");
        return null;
    }
}

/// <summary>
/// One PostgreSQL server for all tests that need one; they run one after another (one restarts it) and never beside other
/// collections' tests (they start silo processes).
/// </summary>
[CollectionDefinition(nameof(PostgresCollection), DisableParallelization = true)]
public sealed class PostgresCollection : ICollectionFixture<PostgresServer>;
