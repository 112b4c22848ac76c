using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using FedSim.Strategies;
using FedSim.Strategies.Aggregators;

namespace FedSim.Scenarios.Bench;

/// <summary>
/// <c>fedsim bench aggregators [--sizes 100,1000] [--length 199210] [--reference-up-to 100]</c>: the robust
/// aggregators' time per round, the scalar reference (<see cref="ScalarAggregation"/>, the code they replace)
/// before and the vectorized aggregators after, on random updates the size of an MNIST MLP (784-200-200-10).
/// </summary>
public static class AggregatorBenchCommand
{
    private const int Success = 0, InvalidInput = 2;

    /// <summary>Parameters of the 784-200-200-10 MLP.</summary>
    private const int MlpLength = 784 * 200 + 200 + 200 * 200 + 200 + 200 * 10 + 10;

    public static Command Create(TextWriter? stdout = null, TextWriter? stderr = null)
    {
        var sizes = new Option<string?>("--sizes") { Description = "Comma-separated numbers of updates per round (default 100,1000)." };
        var length = new Option<int?>("--length") { Description = $"Values per update (default {MlpLength}, the 784-200-200-10 MLP)." };
        var referenceUpTo = new Option<int?>("--reference-up-to")
        {
            Description = "Largest round the scalar reference runs in (default 100); larger rounds show its time scaled from there, marked est.",
        };
        var command = new Command("aggregators", "Time Krum, Multi-Krum, Bulyan, median and trimmed mean against their scalar reference.");
        foreach (Option o in new Option[] { sizes, length, referenceUpTo }) command.Options.Add(o);
        command.SetAction(parse =>
        {
            var @out = stdout ?? Console.Out;
            var err = stderr ?? Console.Error;
            try
            {
                int[] ns = ParseSizes(parse.GetValue(sizes) ?? "100,1000");
                int d = parse.GetValue(length) ?? MlpLength;
                if (d < 1) throw new BenchUsageException($"--length must be positive, got {d}.");
                var rows = AggregatorBench.Measure(ns, d, parse.GetValue(referenceUpTo) ?? 100, line => err.WriteLine($"bench aggregators: {line}"));
                AggregatorBench.Render(rows, d, @out);
                return Success;
            }
            catch (BenchUsageException e)
            {
                err.WriteLine($"fedsim bench aggregators: {e.Message}");
                return InvalidInput;
            }
        });
        return command;
    }

    private static int[] ParseSizes(string list)
    {
        var sizes = list.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
            .Select(p => int.TryParse(p, out int n) && n >= 7 ? n : -1).ToArray();
        return sizes.Length > 0 && !sizes.Contains(-1) ? sizes
            : throw new BenchUsageException($"--sizes takes comma-separated round sizes of at least 7 updates (e.g. 100,1000), got '{list}'.");
    }
}

/// <summary>The measurements behind <see cref="AggregatorBenchCommand"/>.</summary>
public static class AggregatorBench
{
    /// <param name="Before">The scalar reference's seconds; scaled from a smaller round when <paramref name="Estimated"/>.</param>
    public sealed record Row(string Aggregator, int Updates, int F, double Before, bool Estimated, double After);

    private sealed record Case(string Name, Func<IReadOnlyList<float[]>, int, double> Reference, Func<int, IAggregator> Create, bool Quadratic);

    /// <summary>f as a scenario sets it by default: byzantine.fraction's default 0.2 of the round, rounded up.</summary>
    public static int DefaultF(int n) => (int)Math.Ceiling(0.2 * n - 1e-9);

    private static readonly Case[] Cases =
    [
        new("krum", (v, f) => ScalarAggregation.Krum(v, Math.Min(f, KrumAggregator.TolerableF(v.Count))), f => new KrumOptions().Create(f), true),
        new("multi-krum", (v, f) =>
        {
            int kf = Math.Min(f, KrumAggregator.TolerableF(v.Count));
            return ScalarAggregation.MultiKrum(v, kf, v.Count - kf).Mean[0];
        }, f => new MultiKrumOptions().Create(f), true),
        new("bulyan", (v, f) => ScalarAggregation.Bulyan(v, Math.Min(f, BulyanAggregator.TolerableF(v.Count))).Update[0], f => new BulyanOptions().Create(f), true),
        new("median", (v, _) => ScalarAggregation.Median(v)[0], _ => new MedianOptions().Create(0), false),
        new("trimmed-mean", (v, _) => ScalarAggregation.TrimmedMean(v, TrimmedMeanAggregator.TrimCount(0.2, v.Count))[0],
            _ => new TrimmedMeanOptions().Create(0), false),
    ];

    public static IReadOnlyList<Row> Measure(IReadOnlyList<int> sizes, int length, int referenceUpTo, Action<string> progress)
    {
        // Warm-up on a small round, so that no figure includes compiling the loops.
        var small = Updates(9, 4096, seed: 1);
        foreach (var c in Cases)
        {
            c.Reference(small, 1);
            c.Create(1).Aggregate(Input(small));
        }
        var rows = new List<Row>();
        var measuredBefore = new Dictionary<string, (int N, double Seconds)>();
        foreach (int n in sizes.Order())
        {
            progress($"{n} updates of {length} values");
            var updates = Updates(n, length, seed: n);
            var input = Input(updates);
            int f = DefaultF(n);
            foreach (var c in Cases)
            {
                double before;
                bool estimated = n > referenceUpTo && measuredBefore.ContainsKey(c.Name);
                if (estimated)
                {
                    var (n0, t0) = measuredBefore[c.Name];
                    before = t0 * (c.Quadratic ? (double)n * (n - 1) / (n0 * (n0 - 1.0)) : n * Math.Log(n) / (n0 * Math.Log(n0)));
                }
                else
                {
                    before = Time(() => c.Reference(updates, f));
                    measuredBefore[c.Name] = (n, before);
                }
                var aggregator = c.Create(f);
                double after = Time(() => aggregator.Aggregate(input));
                progress($"{c.Name}, n = {n}: before {before:F3} s{(estimated ? " (est.)" : "")}, after {after:F3} s");
                rows.Add(new Row(c.Name, n, f, before, estimated, after));
            }
        }
        return rows;
    }

    public static void Render(IReadOnlyList<Row> rows, int length, TextWriter @out)
    {
        var ci = CultureInfo.InvariantCulture;
        @out.WriteLine(string.Create(ci, $"Robust aggregation, one round, {length} values per update ({Environment.ProcessorCount} cores)"));
        @out.WriteLine(string.Create(ci, $"{"aggregator",-14}{"n",6}{"f",5}{"before s",14}{"after s",10}{"speed-up",10}"));
        foreach (var r in rows)
        {
            string before = r.Before.ToString(r.Before >= 100 ? "F0" : "F3", ci) + (r.Estimated ? " est." : "");
            @out.WriteLine(string.Create(ci, $"{r.Aggregator,-14}{r.Updates,6}{r.F,5}{before,14}{r.After,10:F3}{r.Before / r.After,9:F0}×"));
        }
        @out.WriteLine("before: the scalar reference (ScalarAggregation); est.: scaled from the largest round it ran in (n² for the Krum family, n log n per coordinate)");
    }

    private static double Time(Action action)
    {
        var watch = Stopwatch.StartNew();
        action();
        return watch.Elapsed.TotalSeconds;
    }

    private static AggregationInput Input(IReadOnlyList<float[]> updates)
        => new(new RoundContext(1, 1, 100, updates.Count, 0, new ServerState(), 0),
            updates.Select((u, i) => new DeviceResult(i, u, 1)).ToArray(), [], null);

    /// <summary>Honest-looking updates: a shared direction plus per-device noise, seeded.</summary>
    private static List<float[]> Updates(int n, int length, int seed)
    {
        var rng = new Random(seed);
        var shared = new float[length];
        for (int i = 0; i < length; i++) shared[i] = (rng.NextSingle() - 0.5f) * 0.02f;
        return Enumerable.Range(0, n).Select(_ =>
        {
            var u = new float[length];
            for (int i = 0; i < length; i++) u[i] = shared[i] + (rng.NextSingle() - 0.5f) * 0.01f;
            return u;
        }).ToList();
    }
}
