using System.Numerics;
using FedSim.Scenarios.Cli;
using FedSim.Scenarios.Compare;

namespace FedSim.Tests.Compare;

/// <summary>
/// A comparison is counted before any run is made, refused over <c>--max-runs</c>, and expanded lazily: nothing about
/// a grid's size may cost memory or time before the user has agreed to it.
/// </summary>
public sealed class SweepLimitTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("fedsim-sweep-limit-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private const string Base = """
        name: base
        seed: 5
        devices: 20
        training:
          rounds: 3
          devices_per_round: 10
        """;

    /// <summary>A sweep of <paramref name="axes"/> axes of <paramref name="values"/> learning rates each (distinct keys: local epochs, batch size, ...).</summary>
    private string Sweep(int axes, int values, string seeds = "[1, 2]")
    {
        string[] keys = ["training.learning_rate", "training.batch_size", "training.local_epochs", "training.devices_per_round", "training.rounds", "evaluation.every"];
        var grid = keys.Take(axes).Select((key, a) => $"  {key}: [{string.Join(", ", Enumerable.Range(1, values).Select(v => a == 0 ? $"0.{v:000}" : $"{v}"))}]");
        File.WriteAllText(Path.Combine(_dir, "base.yaml"), Base);
        string path = Path.Combine(_dir, "sweep.yaml");
        File.WriteAllText(path, $"base: base.yaml\ngrid:\n{string.Join('\n', grid)}\nseeds: {seeds}\n");
        return path;
    }

    [Fact]
    public void The_count_is_exact_for_grids_beyond_any_integer_type()
    {
        // Prepare: six axes of 2,000 values, ten seeds: 6.4e20 runs, more than a long holds.
        var (sweep, errors) = SweepFile.Load(Sweep(axes: 6, values: 2000, seeds: "[1, 2, 3, 4, 5, 6, 7, 8, 9, 10]"));

        // Execute
        var (configurations, runs) = SweepExpansion.Count(sweep!);

        // Assert
        Assert.Empty(errors);
        Assert.Equal(BigInteger.Pow(2000, 6), configurations);
        Assert.Equal(BigInteger.Pow(2000, 6) * 10, runs);
        Assert.True(runs > long.MaxValue);
    }

    [Fact]
    public async Task A_grid_over_max_runs_is_refused_with_exit_2_and_its_count_before_any_run_is_made()
    {
        // Prepare: 100 x 100 x 100 configurations x 2 seeds = 2,000,000 runs.
        string file = Sweep(axes: 3, values: 100);
        var (stdout, stderr) = (new StringWriter(), new StringWriter());

        // Execute
        int exit = await FedSimCli.RunAsync(["compare", file, "--dry-run"], stdout, stderr);

        // Assert: the count on stdout, the refusal on stderr naming the flag that raises the limit.
        Assert.Equal(ExitCodes.InvalidInput, exit);
        Assert.Contains("1,000,000 configuration(s) x 2 seed(s) = 2,000,000 run(s)", stdout.ToString());
        Assert.Contains("the grid expands to 2,000,000 runs (1,000,000 configurations x 2 seeds), more than --max-runs 1,000", stderr.ToString());
        Assert.Contains("--max-runs 2000000", stderr.ToString());
        Assert.DoesNotContain("c0", stdout.ToString()); // no run was listed
    }

    [Fact]
    public async Task Max_runs_raises_the_limit_and_a_dry_run_lists_exactly_that_many()
    {
        // Prepare: 10 x 10 configurations x 2 seeds = 200 runs.
        string file = Sweep(axes: 2, values: 10);

        // Execute
        var refusedErr = new StringWriter();
        int refused = await FedSimCli.RunAsync(["compare", file, "--dry-run", "--max-runs", "199"], new StringWriter(), refusedErr);
        var listed = new StringWriter();
        int allowed = await FedSimCli.RunAsync(["compare", file, "--dry-run", "--max-runs", "200"], listed, new StringWriter());
        var badErr = new StringWriter();
        int bad = await FedSimCli.RunAsync(["compare", file, "--max-runs", "0"], new StringWriter(), badErr);

        // Assert
        Assert.Equal(ExitCodes.InvalidInput, refused);
        Assert.Contains("more than --max-runs 199", refusedErr.ToString());
        Assert.Equal(ExitCodes.Success, allowed);
        Assert.Equal(200, listed.ToString().Split('\n').Count(l => l.StartsWith("  c", StringComparison.Ordinal)));
        Assert.Equal(ExitCodes.InvalidInput, bad);
        Assert.Contains("--max-runs must be a positive integer", badErr.ToString());
    }

    [Fact]
    public async Task A_dry_run_streams_and_a_stop_ends_it_where_it_is_with_exit_130()
    {
        // Prepare: 1,000,000 runs allowed; the writer asks for the stop once 500 runs are listed.
        string file = Sweep(axes: 3, values: 100, seeds: "[1]");
        using var stop = new CancellationTokenSource();
        var stdout = new StopAfterLines(500, stop);
        var stderr = new StringWriter();

        // Execute
        int exit = await FedSimCli.RunAsync(["compare", file, "--dry-run", "--max-runs", "1000000"], stdout, stderr, cancellationToken: stop.Token);

        // Assert: the runs were written as they were made (none held back), and the stop came right after.
        Assert.Equal(ExitCodes.Cancelled, exit);
        Assert.InRange(stdout.Lines, 500, 502);
        Assert.Equal("fedsim: interrupted after listing 500 of 1,000,000 runs (a dry run writes nothing)", stderr.ToString().Trim());
    }

    [Fact]
    public void Expansion_stops_between_runs_when_cancelled()
    {
        // Prepare
        var (sweep, _) = SweepFile.Load(Sweep(axes: 2, values: 10));
        using var stop = new CancellationTokenSource();
        int made = 0;

        // Execute
        var thrown = Record.Exception(() => SweepExpansion.Expand(sweep!, validated: n =>
        {
            made = n;
            if (n == 7) stop.Cancel();
        }, stop.Token));

        // Assert
        Assert.IsType<OperationCanceledException>(thrown);
        Assert.Equal(7, made);
    }

    /// <summary>A console that cancels <c>stop</c> once it has taken <c>limit</c> run lines (the count line aside).</summary>
    private sealed class StopAfterLines(int limit, CancellationTokenSource stop) : StringWriter
    {
        public int Lines { get; private set; }

        public override void WriteLine(string? value)
        {
            if (value?.StartsWith("  c", StringComparison.Ordinal) == true && ++Lines == limit) stop.Cancel();
            base.WriteLine(value);
        }
    }
}
