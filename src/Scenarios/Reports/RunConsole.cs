using System.Globalization;
using FedSim.GrainInterfaces;
using Spectre.Console;

namespace FedSim.Scenarios.Reports;

/// <summary>
/// What a run shows on the terminal. Interactive: a live progress bar over rounds whose caption carries the
/// latest accuracy, loss, participants and simulated time. Redirected (not a TTY): one plain line per round,
/// so logs stay readable. Quiet: nothing until the single final line. The runner reports each finished round
/// through <see cref="IProgress{T}"/> (any thread) and ends with <see cref="WriteSummary"/>.
/// </summary>
public sealed class RunConsole : IProgress<RoundReport>
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    private readonly IAnsiConsole _console;
    private readonly string _name;
    private readonly int _totalRounds;
    private readonly object _gate = new();
    private ProgressTask? _task;
    private int _completed;

    /// <param name="console">Where to write; <see cref="AnsiConsole.Console"/> for the terminal, a captured one in tests.</param>
    /// <param name="name">Experiment name shown in the caption.</param>
    /// <param name="totalRounds">Planned rounds (the bar's length).</param>
    /// <param name="quiet">Print only the final line.</param>
    public RunConsole(IAnsiConsole console, string name, int totalRounds, bool quiet = false)
    {
        _console = console;
        _name = name;
        _totalRounds = Math.Max(totalRounds, 1);
        Quiet = quiet;
    }

    /// <summary>A console on the process's terminal.</summary>
    public static RunConsole ForTerminal(string name, int totalRounds, bool quiet = false) =>
        new(AnsiConsole.Console, name, totalRounds, quiet);

    public bool Quiet { get; }

    /// <summary>True when a live progress bar is drawn (interactive terminal, not quiet).</summary>
    public bool IsLive => !Quiet && _console.Profile.Capabilities.Interactive;

    /// <summary>
    /// Runs <paramref name="work"/> (the experiment) under the live progress bar when the terminal allows one;
    /// otherwise just runs it. <paramref name="work"/> receives this console as its progress sink.
    /// </summary>
    public async Task<T> RunAsync<T>(Func<IProgress<RoundReport>, Task<T>> work)
    {
        if (!IsLive) return await work(this).ConfigureAwait(false);

        // The experiment name goes in a header rule so the bar's caption has room for the figures.
        _console.Write(new Rule(Markup.Escape(_name)).LeftJustified());
        return await _console.Progress()
            .AutoClear(false)
            .HideCompleted(false)
            .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn { Width = 24 },
                     new PercentageColumn(), new RemainingTimeColumn())
            .StartAsync(async ctx =>
            {
                lock (_gate) _task = ctx.AddTask($"round 0/{_totalRounds}", maxValue: _totalRounds);
                try { return await work(this).ConfigureAwait(false); }
                finally { lock (_gate) _task = null; }
            }).ConfigureAwait(false);
    }

    /// <summary>One finished round: updates the bar, or prints a line when output is redirected.</summary>
    public void Report(RoundReport report)
    {
        lock (_gate)
        {
            _completed++;
            if (Quiet) return;
            if (_task is not null)
            {
                _task.Value = Math.Min(_completed, _totalRounds);
                _task.Description = Markup.Escape(RoundCaption(report, compact: _console.Profile.Width < 110));
                return;
            }
            // Written past Spectre's renderer so long lines are not wrapped at the assumed 80 columns of a pipe.
            WriteRaw(RoundLine(report));
        }
    }

    /// <summary>
    /// The end of the run: a table of the headline figures and the output folder, or (quiet) one line.
    /// </summary>
    public void WriteSummary(RunSummary summary, string outputDirectory)
    {
        if (Quiet)
        {
            WriteRaw(FinalLine(summary, outputDirectory));
            return;
        }

        var table = new Table().Border(TableBorder.Rounded).Title(Markup.Escape($"{summary.Name} (seed {summary.Seed})"));
        table.AddColumn("[bold]Result[/]");
        table.AddColumn("[bold]Value[/]");
        void Row(string k, string v) => table.AddRow(Markup.Escape(k), Markup.Escape(v));

        Row("Rounds", $"{summary.Rounds} / {summary.RoundsPlanned}");
        if (summary.FinishReason is { } why) Row("Finished early", why);
        Row("Final accuracy", summary.FinalAccuracy is { } fa ? $"{Acc(fa)} (round {summary.FinalEvaluatedRound})" : "not evaluated");
        Row("Final loss", summary.FinalLoss is { } fl ? Loss(fl) : "not evaluated");
        Row("Best accuracy", summary.BestAccuracy is { } ba ? $"{Acc(ba)} (round {summary.BestAccuracyRound})" : "not evaluated");
        Row("Accuracy reached", Reached(summary));
        Row("Simulated time", Duration(summary.TotalSimulatedSeconds));
        Row("Wall time", Duration(summary.WallSeconds));
        Row("Updates (failed)", $"{summary.Participants} ({summary.Failed})");
        if (summary.FailureReasons.Count > 0)
            Row("No usable update", string.Join("; ", summary.FailureReasons.Take(4).Select(p => $"{p.Value} x {p.Key}")) + " (failures.csv)");
        Row("Traffic sent / received", $"{Bytes(summary.BytesSent)} / {Bytes(summary.BytesReceived)}");
        if (summary.Privacy is { } privacy)
        {
            Row("Privacy", privacy.Mechanism);
            if (privacy.Epsilon is { } epsilon) Row("Privacy spent", string.Create(Inv, $"ε = {epsilon:0.###} at δ = {privacy.Delta:G3}"));
        }
        Row("Output folder", outputDirectory);
        _console.Write(table);
        // Also as a plain line: a narrow terminal may wrap the path inside the table, and scripts grep for it.
        WriteRaw($"Results written to {outputDirectory}");
    }

    /// <summary>"round 3/20  accuracy 0.9123  loss 0.3012  participants 10  failed 0  simulated 12.5 s".</summary>
    public string RoundLine(RoundReport r) =>
        string.Create(Inv, $"{_name} round {r.Round}/{_totalRounds}  accuracy {OptAcc(r.TestAccuracy)}  loss {OptLoss(r.TestLoss)}  " +
                           $"train_loss {Loss(r.MeanTrainLoss)}  participants {r.Participants}  failed {r.Failed}  " +
                           $"simulated {Duration(r.SimulatedTotalSeconds)}");

    /// <summary>The quiet-mode line.</summary>
    public static string FinalLine(RunSummary s, string outputDirectory) =>
        string.Create(Inv, $"{s.Name}: {s.Rounds}/{s.RoundsPlanned} rounds, final accuracy {OptAcc(s.FinalAccuracy)}, " +
                           $"best {OptAcc(s.BestAccuracy)}{(s.BestAccuracyRound is { } br ? $" (round {br})" : "")}, " +
                           $"loss {OptLoss(s.FinalLoss)}, simulated {Duration(s.TotalSimulatedSeconds)}, " +
                           $"wall {Duration(s.WallSeconds)} -> {outputDirectory}");

    /// <summary>The live bar's caption; compact on narrow terminals so bar and percentage stay on one line.</summary>
    internal string RoundCaption(RoundReport r, bool compact) => compact
        ? string.Create(Inv, $"{r.Round}/{_totalRounds} acc {OptAcc(r.TestAccuracy)} loss {OptLoss(r.TestLoss)} sim {Duration(r.SimulatedTotalSeconds)}")
        : string.Create(Inv, $"round {r.Round}/{_totalRounds}  acc {OptAcc(r.TestAccuracy)}  loss {OptLoss(r.TestLoss)}  " +
                             $"{r.Participants} clients  sim {Duration(r.SimulatedTotalSeconds)}");

    private void WriteRaw(string line)
    {
        var writer = _console.Profile.Out.Writer;
        writer.WriteLine(line);
        writer.Flush();
    }

    private static string Reached(RunSummary s)
    {
        var hit = s.FirstRoundReaching.Where(kv => kv.Value is not null).Select(kv => $"{kv.Key} at round {kv.Value}").ToList();
        return hit.Count == 0 ? "none of " + string.Join(", ", s.FirstRoundReaching.Keys) : string.Join(", ", hit);
    }

    private static string Acc(double a) => a.ToString("0.0000", Inv);
    private static string Loss(double l) => l.ToString("0.0000", Inv);
    private static string OptAcc(double? a) => a is { } x ? Acc(x) : "-";
    private static string OptLoss(double? l) => l is { } x ? Loss(x) : "-";

    /// <summary>"12.3 s", "4m 05s", "2h 03m 04s".</summary>
    internal static string Duration(double seconds)
    {
        if (!double.IsFinite(seconds)) return seconds.ToString(Inv);
        if (seconds < 60) return seconds.ToString("0.0", Inv) + " s";
        var t = TimeSpan.FromSeconds(Math.Round(seconds));
        return t.TotalHours >= 1
            ? string.Create(Inv, $"{(int)t.TotalHours}h {t.Minutes:00}m {t.Seconds:00}s")
            : string.Create(Inv, $"{t.Minutes}m {t.Seconds:00}s");
    }

    /// <summary>Decimal units (kB = 1000 B), as network traffic is usually quoted.</summary>
    internal static string Bytes(long b)
    {
        string[] units = ["B", "kB", "MB", "GB", "TB"];
        double v = b;
        int u = 0;
        while (Math.Abs(v) >= 1000 && u < units.Length - 1) { v /= 1000; u++; }
        return u == 0 ? $"{b} B" : v.ToString("0.0", Inv) + " " + units[u];
    }
}
