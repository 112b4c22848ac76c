using System.Diagnostics;
using FedSim.Scenarios.Reports;

namespace FedSim.ClusterTests.Postgres;

/// <summary>
/// Standalone silo processes (<c>FedSim.Silo.dll</c>) forming one cluster in a fresh database of the test server: the
/// topology of the README's "Run on a cluster" and of docker/compose.yaml, on loopback ports. The silos apply the
/// schema themselves at start, as they do in production.
/// </summary>
internal sealed class LocalCluster : IDisposable
{
    private LocalCluster(string connectionString, string clusterId, List<SiloProcess> silos)
    {
        ConnectionString = connectionString;
        ClusterId = clusterId;
        Silos = silos;
    }

    public string ConnectionString { get; }
    public string ClusterId { get; }
    public IReadOnlyList<SiloProcess> Silos { get; }

    /// <param name="connectionString">The silos' connection string; default: the fedsim role on a fresh database.</param>
    public static async Task<LocalCluster> StartAsync(PostgresServer server, int siloCount, string? connectionString = null)
    {
        string connection = connectionString ?? server.ConnectionString(NewDatabase());
        string clusterId = $"test-{Guid.NewGuid():N}"[..13];
        var silos = Enumerable.Range(0, siloCount).Select(_ => SiloProcess.Start(connection, clusterId)).ToList();
        var cluster = new LocalCluster(connection, clusterId, silos);
        try
        {
            await Task.WhenAll(silos.Select(s => s.WaitStartedAsync(TimeSpan.FromMinutes(2))));
        }
        catch
        {
            cluster.Dispose();
            throw;
        }
        return cluster;
    }

    public static string NewDatabase() => $"fedsim_{Guid.NewGuid():N}"[..30];

    /// <summary>The silo whose log says it started (or resumed) the coordinator of an experiment last.</summary>
    public SiloProcess CoordinatorSilo() =>
        Silos.Where(s => !s.HasExited).FirstOrDefault(s => s.Lines.Any(l => l.Contains("Coordinator of experiment", StringComparison.Ordinal)))
        ?? throw new InvalidOperationException("no live silo logged a coordinator start:\n" + Transcript());

    /// <summary>Waits until metrics.csv in <paramref name="folder"/> has <paramref name="rounds"/> rounds.</summary>
    public static async Task WaitForRoundsAsync(string folder, int rounds, Task run)
    {
        string metrics = Path.Combine(folder, MetricsCsv.FileName);
        var clock = Stopwatch.StartNew();
        while (!File.Exists(metrics) || File.ReadAllLines(metrics).Length < 1 + rounds)
        {
            if (run.IsCompleted) throw new InvalidOperationException($"the run ended before round {rounds}: {run.Exception?.GetBaseException().Message}");
            if (clock.Elapsed > TimeSpan.FromMinutes(3)) throw new TimeoutException($"round {rounds} not reached in 3 minutes");
            await Task.Delay(20);
        }
    }

    public string Transcript() => string.Join("\n", Silos.Select(s => $"--- {s.Name} (exited: {s.HasExited})\n{s.Tail(40)}"));

    /// <summary>Kills every silo outright: the database is the test's own, nothing needs a graceful leave.</summary>
    public void Dispose()
    {
        foreach (var silo in Silos)
        {
            silo.Kill();
            silo.Dispose();
        }
    }
}
