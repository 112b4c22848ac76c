using System.Diagnostics;
using FedSim.Scenarios.Cli;
using FedSim.Scenarios.Reports;
using Npgsql;

namespace FedSim.ClusterTests.Postgres;

/// <summary>
/// Three real silo processes clustered through a real PostgreSQL run an MNIST experiment submitted with
/// <c>fedsim run --cluster</c>, and survive what clusters do: a silo killed with SIGKILL in the middle of a round (the
/// coordinator's own, or another; and the coordinator's under secure aggregation), a database restart, and a coordinator nobody follows whose silo died (the revival
/// reminder finishes it). Each time metrics.csv ends equal, wall time aside, to an embedded run of the same scenario.
/// </summary>
[Collection(nameof(PostgresCollection))]
public sealed class MultiSiloTests(PostgresServer server, Xunit.Abstractions.ITestOutputHelper output) : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("fedsim-cluster-").FullName;

    public void Dispose()
    {
        try { Directory.Delete(_folder, recursive: true); } catch (IOException) { }
    }

    /// <summary>
    /// Small enough for CI (a round takes about a second), large enough that a kill lands inside a round. With
    /// <paramref name="secureAggregation"/> the devices' updates travel masked (Bonawitz et al. 2017): a round is then
    /// several exchanges between coordinator and devices, whose state a replayed round must not trip over.
    /// </summary>
    private static string Scenario(int rounds, bool secureAggregation = false) => $"""
        name: mnist-cluster
        seed: 5
        devices: 30
        dataset:
          kind: mnist
          path: {SharedMnist.Require()}
          partition:
            kind: iid
        model:
          kind: mlp
          hidden: [64]
        training:
          rounds: {rounds}
          devices_per_round: 6
          local_epochs: 1
          batch_size: 20
          learning_rate: 0.1
        evaluation:
          max_samples: 2000
        {(secureAggregation ? "privacy:\n  secure_aggregation:\n    graph: complete" : "")}
        """;

    [ClusterFact]
    public async Task A_run_submitted_to_three_silos_writes_the_embedded_runs_metrics_and_status_and_cancel_manage_runs()
    {
        // Prepare: a role of its own whose password must appear in no log.
        string scenario = await WriteScenarioAsync(rounds: 6), endless = await WriteScenarioAsync(rounds: 500);
        string reference = await EmbeddedRunAsync(scenario);
        string password = $"pw{Guid.NewGuid():N}";
        string connection = await server.CreateRoleAsync(LocalCluster.NewDatabase(), $"r{Guid.NewGuid():N}"[..20], password);
        using var cluster = await LocalCluster.StartAsync(server, 3, connection);
        string submitted = Path.Combine(_folder, "submitted"), cancelled = Path.Combine(_folder, "cancelled");

        // Execute: one run to its end (then the silos' telemetry), then one cancelled while it runs.
        var (exit, errors) = await RunAsync(["run", scenario, "--cluster", cluster.ConnectionString, "--cluster-id", cluster.ClusterId, "--output", submitted, "--quiet"]);
        using var http = new HttpClient();
        var scrapes = await Task.WhenAll(cluster.Silos.Select(s => http.GetStringAsync($"http://127.0.0.1:{s.HttpPort}/metrics")));
        using var dashboard = await http.GetAsync($"http://127.0.0.1:{cluster.Silos[0].HttpPort}/dashboard");
        var second = RunAsync(["run", endless, "--cluster", cluster.ConnectionString, "--cluster-id", cluster.ClusterId, "--output", cancelled, "--quiet"]);
        await LocalCluster.WaitForRoundsAsync(cancelled, 1, second);
        string finishedId = ExperimentIdOf(submitted), cancelledId = ExperimentIdOf(cancelled);
        var cancel = new StringWriter();
        int cancelExit = await FedSimCli.RunAsync(["cancel", cancelledId, "--cluster", cluster.ConnectionString, "--cluster-id", cluster.ClusterId], cancel, TextWriter.Null);
        var (secondExit, secondErrors) = await second;
        var status = new StringWriter();
        int statusExit = await FedSimCli.RunAsync(["status", "--cluster", cluster.ConnectionString, "--cluster-id", cluster.ClusterId], status, TextWriter.Null);

        // Assert
        Assert.True(exit == 0, errors + cluster.Transcript());
        Assert.Equal(reference, MetricsOf(submitted));
        Assert.Equal(RunStatuses.Completed, SummaryJson.Read(Path.Combine(submitted, SummaryJson.FileName)).Status);
        Assert.Equal(0, cancelExit);
        Assert.Contains("cancelled after", cancel.ToString());
        Assert.NotEqual(0, secondExit);
        Assert.Contains("cancelled", secondErrors);
        Assert.Equal(0, statusExit);
        var lines = status.ToString().Split('\n');
        Assert.Contains(lines, line => line.Contains(finishedId) && line.Contains("completed") && line.Contains("6/6"));
        Assert.Contains(lines, line => line.Contains(cancelledId) && line.Contains("cancelled") && line.Contains("/500"));
        // Telemetry: the FedSim meter's counters over the three silos' Prometheus endpoints add up to the run.
        Assert.Equal(6, scrapes.Sum(s => Counter(s, "fedsim_rounds_completed_total")));
        Assert.Equal(6 * 6, scrapes.Sum(s => Counter(s, "fedsim_devices_trained_total")));
        Assert.Equal(6 * 6, scrapes.Sum(s => Counter(s, "fedsim_updates_received_total")));
        Assert.True(dashboard.IsSuccessStatusCode, $"dashboard: {dashboard.StatusCode}");
        // Structured logs (one JSON object a line, with the message's fields) and no password in any of them.
        var started = cluster.Silos.SelectMany(s => s.Lines).First(l => l.Contains("Coordinator of experiment") && l.Contains(finishedId));
        using (var json = System.Text.Json.JsonDocument.Parse(started))
            Assert.Equal(finishedId, json.RootElement.GetProperty("State").GetProperty("Experiment").GetString());
        Assert.DoesNotContain(cluster.Silos.SelectMany(s => s.Lines), l => l.Contains(password));
        Assert.DoesNotContain(password, await File.ReadAllTextAsync(Path.Combine(submitted, "fedsim.log")));
    }

    /// <summary>A counter's value in a Prometheus scrape (0 when the silo never recorded it).</summary>
    private static double Counter(string scrape, string name) => scrape.Split('\n')
        .Where(l => l.StartsWith(name + "{", StringComparison.Ordinal) || l.StartsWith(name + " ", StringComparison.Ordinal))
        .Sum(l => double.Parse((l[name.Length] == '{' ? l[(l.IndexOf('}') + 1)..] : l[name.Length..]).Trim().Split(' ')[0],
            System.Globalization.CultureInfo.InvariantCulture));

    [ClusterTheory]
    [InlineData(true, false)]
    [InlineData(false, false)]
    [InlineData(true, true)]
    public async Task A_silo_killed_mid_round_costs_time_but_no_round_and_the_metrics_equal_an_uninterrupted_run(bool coordinatorsSilo, bool secureAggregation)
    {
        // Prepare
        string scenario = await WriteScenarioAsync(rounds: 6, secureAggregation);
        string reference = await EmbeddedRunAsync(scenario);
        using var cluster = await LocalCluster.StartAsync(server, 3);
        string submitted = Path.Combine(_folder, "submitted");
        var run = RunAsync(["run", scenario, "--cluster", cluster.ConnectionString, "--cluster-id", cluster.ClusterId, "--output", submitted, "--quiet"]);

        // Execute: SIGKILL right after round 2 was reported, while round 3 trains.
        await LocalCluster.WaitForRoundsAsync(submitted, 2, run);
        var coordinator = cluster.CoordinatorSilo();
        var victim = coordinatorsSilo ? coordinator : cluster.Silos.First(s => s != coordinator);
        victim.Kill();
        var (exit, errors) = await run;

        // Assert
        Assert.True(exit == 0, errors + cluster.Transcript());
        Assert.True(victim.HasExited);
        Assert.Equal(reference, MetricsOf(submitted));
        Assert.Equal([FailuresCsv.Header], File.ReadAllLines(Path.Combine(submitted, FailuresCsv.FileName))); // no device counted as failed
        if (coordinatorsSilo)
            Assert.Contains(cluster.Silos.Where(s => s != victim).SelectMany(s => s.Lines), l => l.Contains("resumed at round"));
    }

    [ClusterFact]
    public async Task A_PostgreSQL_restart_mid_run_is_ridden_out_without_losing_a_round()
    {
        // Prepare
        string scenario = await WriteScenarioAsync(rounds: 6);
        string reference = await EmbeddedRunAsync(scenario);
        using var cluster = await LocalCluster.StartAsync(server, 3);
        string submitted = Path.Combine(_folder, "submitted");
        var run = RunAsync(["run", scenario, "--cluster", cluster.ConnectionString, "--cluster-id", cluster.ClusterId, "--output", submitted, "--quiet"]);

        // Execute: the database goes away (every session cut) in the middle of the run, until a checkpoint has had to wait.
        await LocalCluster.WaitForRoundsAsync(submitted, 2, run);
        server.Stop();
        var outage = Stopwatch.StartNew();
        while (!cluster.Silos.SelectMany(s => s.Lines).Any(l => l.Contains("failed (attempt")) && outage.Elapsed < TimeSpan.FromSeconds(60))
            await Task.Delay(100);
        server.Start();
        var (exit, errors) = await run;

        // Assert
        Assert.True(exit == 0, errors + cluster.Transcript());
        Assert.Equal(reference, MetricsOf(submitted));
        Assert.All(cluster.Silos, s => Assert.False(s.HasExited, $"{s.Name} died:\n{s.Tail()}"));
        Assert.Contains(cluster.Silos.SelectMany(s => s.Lines), l => l.Contains("succeeded after"));
    }

    [ClusterFact]
    public async Task The_revival_reminder_finishes_an_experiment_nobody_follows_after_its_coordinators_silo_died()
    {
        // Prepare: submit, stop following, pause the coordinator (so no device's late answer can wake it), and kill its silo.
        string scenario = await WriteScenarioAsync(rounds: 6);
        string reference = await EmbeddedRunAsync(scenario);
        using var cluster = await LocalCluster.StartAsync(server, 3);
        string submitted = Path.Combine(_folder, "submitted");
        using var detach = new CancellationTokenSource();
        var follow = RunAsync(["run", scenario, "--cluster", cluster.ConnectionString, "--cluster-id", cluster.ClusterId, "--output", submitted, "--quiet"], detach.Token);
        await LocalCluster.WaitForRoundsAsync(submitted, 2, follow);
        await detach.CancelAsync();
        var (detachedExit, _) = await follow;
        string experimentId = ExperimentIdOf(submitted);
        await using (var client = await Scenarios.Running.ClusterClient.ConnectAsync(cluster.ConnectionString, cluster.ClusterId, "fedsim", null, CancellationToken.None))
            await client.Grains.GetGrain<GrainInterfaces.IExperimentGrain>(experimentId).SuspendAsync();
        await Task.Delay(TimeSpan.FromSeconds(2));
        long remindersBefore = await RemindersAsync(cluster.ConnectionString, experimentId);
        var coordinator = cluster.CoordinatorSilo();
        coordinator.Kill();

        // Execute: nothing calls the experiment; only its reminder can wake it on another silo.
        var clock = Stopwatch.StartNew();
        while (!cluster.Silos.Where(s => s != coordinator).SelectMany(s => s.Lines).Any(l => l.Contains("resumed at round")) && clock.Elapsed < TimeSpan.FromMinutes(2))
            await Task.Delay(200);
        var (exit, errors) = await RunAsync(["run", scenario, "--cluster", cluster.ConnectionString, "--cluster-id", cluster.ClusterId, "--output", submitted, "--resume", "--quiet"]);

        // Assert
        Assert.Equal(130, detachedExit);
        Assert.Equal(1, remindersBefore);
        Assert.True(clock.Elapsed < TimeSpan.FromMinutes(2), "no silo revived the experiment:\n" + cluster.Transcript());
        Assert.True(exit == 0, errors + cluster.Transcript());
        Assert.Equal(reference, MetricsOf(submitted));
        Assert.Equal(0, await RemindersAsync(cluster.ConnectionString, experimentId)); // a finished run stops its reminder
    }

    [ClusterFact]
    public async Task Ctrl_C_on_a_process_following_the_cluster_stops_following_and_resume_follows_it_to_the_embedded_metrics()
    {
        // Prepare
        string scenario = await WriteScenarioAsync(rounds: 6);
        string reference = await EmbeddedRunAsync(scenario);
        using var cluster = await LocalCluster.StartAsync(server, 2);
        string submitted = Path.Combine(_folder, "followed");

        // Execute: a real `fedsim run --cluster` process gets Ctrl+C after round 2; the experiment goes on in the cluster.
        using var follower = Processes.FedSimProcess.Start(_folder, "run", scenario, "--cluster", cluster.ConnectionString,
            "--cluster-id", cluster.ClusterId, "--output", submitted);
        await LocalCluster.WaitForRoundsAsync(submitted, 2, Task.Delay(Timeout.Infinite));
        var clock = Stopwatch.StartNew();
        follower.Signal(Processes.FedSimProcess.SigInt);
        int exit = await follower.WaitForExitAsync(TimeSpan.FromSeconds(60));
        double seconds = clock.Elapsed.TotalSeconds;
        output.WriteLine(FormattableString.Invariant($"signal-table | run --cluster (following) | SIGINT | exit {exit} | {seconds:0.00} s"));
        var (resumedExit, errors) = await RunAsync(["run", scenario, "--cluster", cluster.ConnectionString, "--cluster-id", cluster.ClusterId,
            "--output", submitted, "--resume", "--quiet"]);

        // Assert
        Assert.True(exit == 130, follower.Transcript());
        string line = Assert.Single(follower.Stderr, l => l.Trim().Length > 0);
        Assert.StartsWith("fedsim: stopped following after", line);
        Assert.Contains($"--output {submitted} --resume --cluster ...", line);
        Assert.True(resumedExit == 0, errors + cluster.Transcript());
        Assert.Equal(reference, MetricsOf(submitted));
    }

    [ClusterFact]
    public async Task A_silo_stops_on_SIGTERM_within_10_seconds_while_its_database_is_down()
    {
        // Prepare: a running silo, then its database gone.
        using var cluster = await LocalCluster.StartAsync(server, 1);
        var silo = cluster.Silos[0];
        server.Stop();
        try
        {
            // Execute
            var (exit, seconds) = silo.Terminate(TimeSpan.FromSeconds(30));
            output.WriteLine(FormattableString.Invariant($"silo SIGTERM with PostgreSQL down: exit {exit} after {seconds:0.00} s"));

            // Assert: bounded, and it says so.
            Assert.True(exit == 0 && seconds < 10, $"exit {exit} after {seconds:0.0} s\n{silo.Tail(20)}");
            Assert.Contains(silo.Lines, l => l.Contains("FedSim silo stopped", StringComparison.Ordinal));
        }
        finally
        {
            server.Start();
        }
    }

    private async Task<string> WriteScenarioAsync(int rounds, bool secureAggregation = false)
    {
        string path = Path.Combine(_folder, $"mnist-{rounds}{(secureAggregation ? "-secagg" : "")}.yaml");
        await File.WriteAllTextAsync(path, Scenario(rounds, secureAggregation));
        return path;
    }

    /// <summary>Embedded runs' metrics by scenario text: every test compares with the same uninterrupted run.</summary>
    private static readonly Dictionary<string, string> References = [];

    /// <summary>The uninterrupted reference: the same scenario on an embedded silo; its metrics.csv without wall time.</summary>
    private async Task<string> EmbeddedRunAsync(string scenario)
    {
        string text = await File.ReadAllTextAsync(scenario);
        lock (References)
            if (References.TryGetValue(text, out var known)) return known;
        string folder = Path.Combine(_folder, "embedded");
        var (exit, errors) = await RunAsync(["run", scenario, "--output", folder, "--quiet"]);
        Assert.True(exit == 0, errors);
        lock (References) return References[text] = MetricsOf(folder);
    }

    private static async Task<(int Exit, string Errors)> RunAsync(string[] args, CancellationToken cancellationToken = default)
    {
        var errors = new StringWriter();
        int exit = await Task.Run(() => FedSimCli.RunAsync(args, TextWriter.Null, errors, cancellationToken: cancellationToken));
        return (exit, errors.ToString());
    }

    private static string MetricsOf(string folder) => MetricsCsv.WithoutWallTime(File.ReadAllText(Path.Combine(folder, MetricsCsv.FileName)));

    private static string ExperimentIdOf(string folder) => File.ReadAllText(Path.Combine(folder, ".checkpoint", "experiment-id")).Trim();

    private static async Task<long> RemindersAsync(string connection, string experimentId)
    {
        await using var c = new NpgsqlConnection(connection);
        await c.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT COUNT(*) FROM orleans_reminders WHERE grain_id LIKE '%' || @id", c);
        command.Parameters.AddWithValue("id", experimentId);
        return (long)(await command.ExecuteScalarAsync())!;
    }
}
