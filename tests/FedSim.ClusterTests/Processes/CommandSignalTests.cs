using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using FedSim.ClusterTests.Postgres;
using FedSim.Scenarios.Compare;
using FedSim.Scenarios.Reports;
using Xunit.Abstractions;

namespace FedSim.ClusterTests.Processes;

/// <summary>
/// Ctrl+C and SIGTERM sent to real <c>fedsim</c> processes of every command other than <c>run</c> (whose own tests are
/// <see cref="ProcessSignalTests"/>), each in the phase where it spends its time: the exit code a shell expects, one
/// line that says what was kept and how to go on, nothing half-written, and a continuation that ends where an
/// uninterrupted command would. Each test prints its row of the signal table (command, signal, exit, seconds to exit).
/// </summary>
[Collection(nameof(ProcessCollection))]
public sealed class CommandSignalTests(ITestOutputHelper output) : IDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(120);

    private readonly string _folder = Directory.CreateTempSubdirectory("fedsim-command-signal-").FullName;

    [Fact]
    public async Task Compare_stopped_mid_sweep_keeps_finished_runs_marks_the_stopped_one_and_continues_from_them()
    {
        // Prepare: one short configuration that finishes, one long one that is stopped while it trains; one at a time.
        string sweep = Write("sweep.yaml", $"""
            name: sweep
            scenario:
            {Indent(ProcessSignalTests.LongScenario, 2)}
            grid:
              training.rounds: [3, 400]
            concurrency: 1
            """);
        string results = Path.Combine(_folder, "sweep-results");
        string stoppedRun = Path.Combine(results, CompareRunner.RunsFolder, "c02-400", "seed-3");

        // Execute: SIGINT once the long run has finished a round.
        using var fedsim = FedSimProcess.Start(_folder, "compare", sweep, "--output", results);
        Assert.True(await WaitForFileAsync(Path.Combine(stoppedRun, MetricsCsv.FileName), fedsim), fedsim.Transcript());
        var (exit, seconds) = await StopAsync(fedsim, FedSimProcess.SigInt);

        // Started again: the finished run is kept, the stopped one resumes (and is stopped again, by SIGTERM).
        using var again = FedSimProcess.Start(_folder, "compare", sweep, "--output", results);
        Assert.True(await again.WaitForStdoutAsync(l => l.Contains("c01-3/seed-3: already finished, kept", StringComparison.Ordinal), Patience), again.Transcript());
        var (againExit, againSeconds) = await StopAsync(again, FedSimProcess.SigTerm);

        // Assert
        Row("compare (training)", "SIGINT", exit, seconds, "finished runs; the stopped run's finished rounds");
        Row("compare (started again)", "SIGTERM", againExit, againSeconds, "the same");
        Assert.True(exit == 130, fedsim.Transcript());
        Assert.Equal(143, againExit);
        string line = Assert.Single(fedsim.Stderr, l => l.Trim().Length > 0);
        Assert.Contains("1 of 2 runs finished and kept", line);
        Assert.Contains("1 stopped mid-run", line);
        Assert.Contains($"`fedsim compare {sweep} --output {results}`", line);
        Assert.Equal(RunStatuses.Completed, SummaryJson.Read(Path.Combine(results, CompareRunner.RunsFolder, "c01-3", "seed-3", SummaryJson.FileName)).Status);
        Assert.Equal(RunStatuses.Interrupted, SummaryJson.Read(Path.Combine(stoppedRun, SummaryJson.FileName)).Status);
        foreach (var (process, code) in new[] { (fedsim, 130), (again, 143) })
        {
            var problems = ProcessChecks.Problems(process, code, code, stoppedRun);
            Assert.True(problems.Count == 0, string.Join("; ", problems) + process.Transcript());
        }
    }

    [Fact]
    public async Task Compare_of_a_million_runs_is_refused_at_once_and_a_dry_run_of_them_streams_until_stopped()
    {
        // Prepare: six axes of ten values.
        var axes = Enumerable.Range(0, 6).Select(a => $"  {new[] { "training.learning_rate", "training.batch_size", "training.local_epochs", "training.devices_per_round", "training.rounds", "evaluation.every" }[a]}: " +
                                                      $"[{string.Join(", ", Enumerable.Range(1, 10).Select(v => a == 0 ? $"0.0{v - 1}1" : $"{v}"))}]");
        string sweep = Write("million.yaml", $"scenario:\n{Indent(ProcessSignalTests.LongScenario, 2)}\ngrid:\n{string.Join('\n', axes)}\n");

        // Execute
        using var refused = FedSimProcess.Start(_folder, "compare", sweep);
        int refusedExit = await refused.WaitForExitAsync(Patience);
        double refusedSeconds = refused.Started.Elapsed.TotalSeconds;
        using var listing = FedSimProcess.Start(_folder, "compare", sweep, "--dry-run", "--max-runs", "1000000");
        Assert.True(await listing.WaitForStdoutAsync(l => l.StartsWith("  c2000-", StringComparison.Ordinal), Patience), listing.Transcript());
        var (listingExit, listingSeconds) = await StopAsync(listing, FedSimProcess.SigTerm);

        // Assert: the count, before any run is made; the listing stops where it is.
        Row("compare (1,000,000 runs)", "-", refusedExit, refusedSeconds, "nothing: refused with the count");
        Row("compare --dry-run (expanding)", "SIGTERM", listingExit, listingSeconds, "nothing (a dry run writes nothing)");
        Assert.Equal(2, refusedExit);
        Assert.Contains(refused.Stderr, l => l.Contains("expands to 1,000,000 runs", StringComparison.Ordinal) && l.Contains("--max-runs", StringComparison.Ordinal));
        Assert.Equal(143, listingExit);
        Assert.Contains(listing.Stderr, l => l.StartsWith("fedsim: interrupted after listing", StringComparison.Ordinal) && l.EndsWith("of 1,000,000 runs (a dry run writes nothing)", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Attack_stopped_while_training_and_auditing_resumes_to_the_uninterrupted_attack_results()
    {
        // Prepare: audits after rounds 3 and 6; the reference is the same attack uninterrupted.
        string scenario = Write("attack.yaml", AttackScenario);
        string reference = Path.Combine(_folder, "attack-reference"), stopped = Path.Combine(_folder, "attack-stopped");
        using (var uninterrupted = FedSimProcess.Start(_folder, "attack", scenario, "--output", reference, "--quiet"))
            Assert.True(await uninterrupted.WaitForExitAsync(Patience) == 0, uninterrupted.Transcript());

        // Execute: SIGTERM while round 4 trains and the round-3 audit's reference models train, then resume.
        using var fedsim = FedSimProcess.Start(_folder, "attack", scenario, "--output", stopped);
        Assert.True(await fedsim.WaitForStdoutAsync(l => l.Contains(" round 4/", StringComparison.Ordinal), Patience), fedsim.Transcript());
        var (exit, seconds) = await StopAsync(fedsim, FedSimProcess.SigTerm);
        var problems = ProcessChecks.Problems(fedsim, exit, 143, stopped);
        using var resumed = FedSimProcess.Start(_folder, "attack", scenario, "--output", stopped, "--resume", "--quiet");
        int resumedExit = await resumed.WaitForExitAsync(Patience);

        // Assert
        Row("attack (training, audit running)", "SIGTERM", exit, seconds, "finished rounds, finished audits, unfinished audits' inputs");
        Assert.True(problems.Count == 0, string.Join("; ", problems) + fedsim.Transcript());
        Assert.Contains($"`fedsim attack {scenario} --output {stopped} --resume`", fedsim.Stderr.Single(l => l.Trim().Length > 0));
        Assert.True(resumedExit == 0, resumed.Transcript());
        foreach (string file in new[] { AttackResults.JsonFileName, "attack_devices.csv", ClientsCsv.FileName })
            Assert.Equal(File.ReadAllText(Path.Combine(reference, file)), File.ReadAllText(Path.Combine(stopped, file)));
        Assert.Equal(MetricsCsv.WithoutWallTime(File.ReadAllText(Path.Combine(reference, MetricsCsv.FileName))),
            MetricsCsv.WithoutWallTime(File.ReadAllText(Path.Combine(stopped, MetricsCsv.FileName))));
    }

    [Fact]
    public async Task Attack_stopped_in_its_last_audits_resumes_them_and_a_second_signal_quits_at_once()
    {
        // Prepare
        string scenario = Write("attack.yaml", AttackScenario);
        string stopped = Path.Combine(_folder, "attack-audits"), twice = Path.Combine(_folder, "attack-twice");

        // Execute: SIGINT while the last audits run (training is over); then resume. Another run gets two signals.
        using var fedsim = FedSimProcess.Start(_folder, "attack", scenario, "--output", stopped);
        Assert.True(await fedsim.WaitForStdoutAsync(l => l.StartsWith("waiting for", StringComparison.Ordinal), Patience), fedsim.Transcript());
        var (exit, seconds) = await StopAsync(fedsim, FedSimProcess.SigInt);
        string statusAfterStop = SummaryJson.Read(Path.Combine(stopped, SummaryJson.FileName)).Status;
        bool attackWrittenAfterStop = File.Exists(Path.Combine(stopped, AttackResults.JsonFileName));
        using var resumed = FedSimProcess.Start(_folder, "attack", scenario, "--output", stopped, "--resume", "--quiet");
        int resumedExit = await resumed.WaitForExitAsync(Patience);
        using var hurried = FedSimProcess.Start(_folder, "attack", scenario, "--output", twice);
        Assert.True(await hurried.WaitForStdoutAsync(l => l.Contains(" round 2/", StringComparison.Ordinal), Patience), hurried.Transcript());
        hurried.Signal(FedSimProcess.SigInt);
        hurried.Signal(FedSimProcess.SigInt);
        int hurriedExit = await hurried.WaitForExitAsync(Patience);

        // Assert
        Row("attack (last audits)", "SIGINT", exit, seconds, "all rounds, unfinished audits' inputs");
        Assert.True(exit == 130, fedsim.Transcript());
        Assert.Equal(RunStatuses.Interrupted, statusAfterStop);
        Assert.False(attackWrittenAfterStop);
        Assert.True(resumedExit == 0, resumed.Transcript());
        Assert.True(File.Exists(Path.Combine(stopped, AttackResults.JsonFileName)));
        Assert.Equal(RunStatuses.Completed, SummaryJson.Read(Path.Combine(stopped, SummaryJson.FileName)).Status);
        var hurriedProblems = ProcessChecks.Problems(hurried, hurriedExit, 130, twice, summaryRequired: false);
        Assert.True(hurriedProblems.Count == 0, string.Join("; ", hurriedProblems) + hurried.Transcript());
    }

    [Fact]
    public async Task Bench_stopped_while_measuring_says_what_it_measured_and_writes_nothing()
    {
        // Prepare
        string json = Path.Combine(_folder, "bench.json");

        // Execute
        using var fedsim = FedSimProcess.Start(_folder, "bench", "--device", "cpu", "--quick", "--no-baseline", "--output", json);
        Assert.True(await WaitForStderrAsync(fedsim, l => l.StartsWith("bench: MLP", StringComparison.Ordinal)), fedsim.Transcript());
        var (exit, seconds) = await StopAsync(fedsim, FedSimProcess.SigInt);

        // Assert
        Row("bench (measuring)", "SIGINT", exit, seconds, "nothing: figures compare only within one whole run");
        Assert.True(exit == 130, fedsim.Transcript());
        Assert.StartsWith("fedsim: interrupted while measuring", fedsim.Stderr.Last(l => l.Trim().Length > 0));
        Assert.False(File.Exists(json));
    }

    [Fact]
    public async Task Data_fetch_stopped_mid_download_keeps_verified_files_and_deletes_the_partial_one()
    {
        // Prepare: a mirror that serves MNIST's first file whole and the second one byte by slow byte.
        string mnist = SharedMnist.Require();
        var files = FedSim.Data.DatasetFetcher.Find("mnist").Files;
        string target = Path.Combine(_folder, "mnist");
        using var mirror = new SlowMirror(name => name == files[0].FileName ? File.ReadAllBytes(Path.Combine(mnist, name)) : null);

        // Execute
        using var fedsim = FedSimProcess.Start(_folder, "data", "fetch", "mnist", "--to", target, "--mirror", mirror.Url);
        Assert.True(await WaitForStderrAsync(fedsim, l => l.StartsWith($"fetch: {files[1].FileName}: ", StringComparison.Ordinal)), fedsim.Transcript());
        var (exit, seconds) = await StopAsync(fedsim, FedSimProcess.SigTerm);

        // Assert
        Row("data fetch (downloading)", "SIGTERM", exit, seconds, "verified files; the partial download is deleted");
        Assert.True(exit == 143, fedsim.Transcript());
        Assert.Equal([files[0].FileName], Directory.GetFiles(target).Select(Path.GetFileName));
        string line = fedsim.Stderr.Last(l => l.Trim().Length > 0);
        Assert.StartsWith($"fedsim: interrupted; 1 of {files.Count} files of mnist are in {target} ({files[0].FileName})", line);
    }

    [Fact]
    public async Task Validate_stopped_between_files_says_how_many_it_checked()
    {
        // Prepare: many files, named relative to the working folder to keep the command line short.
        Directory.CreateDirectory(Path.Combine(_folder, "v"));
        var names = Enumerable.Range(0, 20_000).Select(i => Path.Combine("v", $"{i}.yaml")).ToArray();
        foreach (string name in names) File.WriteAllText(Path.Combine(_folder, name), ProcessSignalTests.LongScenario);

        // Execute
        using var fedsim = FedSimProcess.Start(_folder, ["validate", .. names]);
        Assert.True(await fedsim.WaitForStdoutAsync(l => l.EndsWith(": ok", StringComparison.Ordinal), Patience), fedsim.Transcript());
        var (exit, seconds) = await StopAsync(fedsim, FedSimProcess.SigInt);

        // Assert
        Row("validate (between files)", "SIGINT", exit, seconds, "nothing to keep: the files checked are printed");
        Assert.True(exit == 130, fedsim.Transcript());
        Assert.Matches(@"^fedsim: interrupted after validating \d+ of 20000 files", fedsim.Stderr.Single(l => l.Trim().Length > 0));
    }

    [Fact]
    public async Task Status_waiting_on_a_database_that_never_answers_stops_on_a_signal()
    {
        // Prepare: a port that accepts connections and says nothing, as a hung database would.
        using var silent = new TcpListener(IPAddress.Loopback, 0);
        silent.Start();
        int port = ((IPEndPoint)silent.LocalEndpoint).Port;
        var held = new List<TcpClient>();
        _ = Task.Run(async () =>
        {
            while (true) held.Add(await silent.AcceptTcpClientAsync());
        });

        // Execute
        using var fedsim = FedSimProcess.Start(_folder, "status", "--cluster", $"Host=127.0.0.1;Port={port};Username=u;Password=p;Database=d;Timeout=60");
        await Task.Delay(TimeSpan.FromSeconds(2));
        var (exit, seconds) = await StopAsync(fedsim, FedSimProcess.SigInt);

        // Assert
        Row("status (connecting)", "SIGINT", exit, seconds, "nothing to keep");
        Assert.True(exit == 130, fedsim.Transcript());
        Assert.Equal("fedsim: interrupted", fedsim.Stderr.Single(l => l.Trim().Length > 0));
        foreach (var client in held) client.Dispose();
    }

    /// <summary>Location data (IID over 5 devices), 6 rounds, audits after rounds 3 and 6 by all three threat models.</summary>
    private static string AttackScenario => $"""
        name: attack-signal
        seed: 1
        devices: 5
        dataset:
          kind: location
          path: {Path.Combine(Path.GetDirectoryName(SharedMnist.Require())!, "location")}
          partition:
            kind: iid
        model:
          kind: mlp
          hidden: [64]
        training:
          rounds: 6
          devices_per_round: 5
          local_epochs: 1
          batch_size: 10
          learning_rate: 0.05
          optimizer: momentum
        evaluation:
          every: 3
        audit:
          every: 3
          members: 500
          holdout: 0.5
        attacks:
          - kind: outsider
            reference_models: 4
            reference_epochs: 15
          - kind: server
            max_devices: 5
          - kind: client
        """;

    /// <summary>Sends <paramref name="signal"/> and waits for the exit: the exit code and the seconds it took.</summary>
    private static async Task<(int Exit, double Seconds)> StopAsync(FedSimProcess process, int signal)
    {
        var clock = Stopwatch.StartNew();
        Assert.True(process.Signal(signal), "the process had ended before the signal\n" + process.Transcript());
        int exit = await process.WaitForExitAsync(Patience);
        return (exit, clock.Elapsed.TotalSeconds);
    }

    private static async Task<bool> WaitForStderrAsync(FedSimProcess process, Func<string, bool> match)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < Patience && !process.Stderr.Any(match)) await Task.Delay(10);
        return process.Stderr.Any(match);
    }

    private static async Task<bool> WaitForFileAsync(string path, FedSimProcess process)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < Patience && !File.Exists(path) && process.Stderr.Count == 0) await Task.Delay(20);
        return File.Exists(path);
    }

    /// <summary>One row of the command × signal table (read with a detailed logger).</summary>
    private void Row(string command, string signal, int exit, double seconds, string kept)
        => output.WriteLine(FormattableString.Invariant($"signal-table | {command} | {signal} | exit {exit} | {seconds:0.00} s | kept: {kept}"));

    private string Write(string name, string text)
    {
        string path = Path.Combine(_folder, name);
        File.WriteAllText(path, text);
        return path;
    }

    private static string Indent(string text, int spaces)
        => string.Join('\n', text.Split('\n').Select(l => l.Length == 0 ? l : new string(' ', spaces) + l));

    public void Dispose()
    {
        try { Directory.Delete(_folder, recursive: true); }
        catch (IOException) { }
    }

    /// <summary>
    /// A mirror on a local port: files whose bytes <c>content</c> gives are served whole; any other file is announced
    /// as 50 MB and trickles a kilobyte every 50 ms, so a download is in flight when the signal comes.
    /// </summary>
    private sealed class SlowMirror : IDisposable
    {
        private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
        private readonly CancellationTokenSource _stop = new();

        public SlowMirror(Func<string, byte[]?> content)
        {
            _listener.Start();
            _ = Task.Run(async () =>
            {
                while (!_stop.IsCancellationRequested)
                {
                    var client = await _listener.AcceptTcpClientAsync(_stop.Token);
                    _ = Task.Run(() => ServeAsync(client, content));
                }
            });
        }

        public string Url => $"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}/";

        private async Task ServeAsync(TcpClient client, Func<string, byte[]?> content)
        {
            using (client)
            {
                var stream = client.GetStream();
                using var reader = new StreamReader(stream, Encoding.ASCII, leaveOpen: true);
                string request = await reader.ReadLineAsync() ?? "";
                while (!string.IsNullOrEmpty(await reader.ReadLineAsync())) { }
                string name = Path.GetFileName(request.Split(' ')[1]);
                var whole = content(name);
                long length = whole?.Length ?? 50_000_000;
                var header = Encoding.ASCII.GetBytes($"HTTP/1.1 200 OK\r\nContent-Length: {length}\r\nContent-Type: application/octet-stream\r\nConnection: close\r\n\r\n");
                try
                {
                    await stream.WriteAsync(header, _stop.Token);
                    if (whole is not null)
                    {
                        await stream.WriteAsync(whole, _stop.Token);
                        return;
                    }
                    var chunk = new byte[1024];
                    // The first megabyte at once, so the fetcher reports progress; then a trickle.
                    for (int i = 0; i < 1100; i++) await stream.WriteAsync(chunk, _stop.Token);
                    while (!_stop.IsCancellationRequested)
                    {
                        await stream.WriteAsync(chunk, _stop.Token);
                        await Task.Delay(50, _stop.Token);
                    }
                }
                catch (Exception e) when (e is IOException or OperationCanceledException or SocketException) { }
            }
        }

        public void Dispose()
        {
            _stop.Cancel();
            _listener.Stop();
            _stop.Dispose();
        }
    }
}
