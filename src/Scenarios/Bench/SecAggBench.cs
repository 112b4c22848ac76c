using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Globalization;
using System.Text.Json;
using FedSim.GrainInterfaces;
using FedSim.Determinism;
using FedSim.Privacy.SecureAggregation;
using FedSim.Strategies;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Serialization;
using Spectre.Console;

namespace FedSim.Scenarios.Bench;

/// <summary>What <c>fedsim bench secagg</c> measures.</summary>
/// <param name="Cohorts">Cohort sizes (devices per round).</param>
/// <param name="VectorLength">Coordinates per update.</param>
/// <param name="CompleteGraphUpTo">Cohorts up to this size run the complete graph (Bonawitz et al.); cohorts from
/// <paramref name="SparseFrom"/> run SecAgg+ (both where they overlap).</param>
/// <param name="SparseFrom">Smallest cohort that also runs SecAgg+.</param>
/// <param name="DropoutFraction">Share of the cohort that drops after key sharing in the "with dropouts" rows.</param>
/// <param name="WarmUp">Run a few unmeasured rounds first (skipped by --quick, whose figures are not for quoting).</param>
public sealed record SecAggBenchOptions(
    IReadOnlyList<int> Cohorts, int VectorLength = 100_000, int CompleteGraphUpTo = 100, int SparseFrom = 100,
    double DropoutFraction = 0.1, double ClipRange = 1.0, bool WarmUp = true)
{
    public static SecAggBenchOptions Default { get; } = new([10, 100, 1_000]);

    /// <summary>Seconds, not minutes: checks that every row runs; the figures are not worth quoting.</summary>
    public static SecAggBenchOptions Quick { get; } = new([6, 12], VectorLength: 1_000, CompleteGraphUpTo: 12, SparseFrom: 12, DropoutFraction: 0.2, WarmUp: false);
}

/// <summary>One protocol at one cohort size: traffic per device and per round, and time on each side.</summary>
/// <param name="Protocol">plain (FedAvg's weighted mean of float updates), secagg (complete graph) or secagg+ (k neighbours).</param>
/// <param name="Dropped">Devices that dropped after key sharing (their pairwise masks are rebuilt by the server).</param>
/// <param name="UpBytesPerDevice">Mean Orleans-serialized bytes a device that completed the round sends (all stages).</param>
/// <param name="DownBytesPerDevice">Mean bytes the server sends such a device, beyond the model broadcast both protocols share.</param>
/// <param name="RoundBytes">All bytes of the round, up and down, over the cohort.</param>
/// <param name="ClientSecondsPerDevice">Mean time of one device's protocol work (quantization, keys, shares, masks), over the cohort.</param>
/// <param name="ServerSeconds">The server's time for the round (for plain: the weighted mean).</param>
public sealed record SecAggBenchRow(
    int Cohort, string Protocol, int Neighbours, int Threshold, int Dropped,
    double UpBytesPerDevice, double DownBytesPerDevice, long RoundBytes, double ClientSecondsPerDevice, double ServerSeconds);

/// <summary>Everything one <c>fedsim bench secagg</c> run measured.</summary>
public sealed record SecAggBenchReport(int VectorLength, double ClipRange, int ProcessorCount, IReadOnlyList<SecAggBenchRow> Rows, IReadOnlyList<string> Notes)
{
    public string ToJson() => JsonSerializer.Serialize(this, BenchReport.JsonOptions);

    public void Render(IAnsiConsole console)
    {
        var table = new Table().Border(TableBorder.Rounded)
            .Title($"fedsim bench secagg: {VectorLength:N0}-coordinate updates, clip ±{ClipRange.ToString(CultureInfo.InvariantCulture)}, {ProcessorCount} cores, one thread");
        foreach (string column in new[] { "Cohort", "Protocol", "k", "t", "Dropped" }) table.AddColumn(column);
        foreach (string column in new[] { "Up / device", "Down / device", "Round traffic", "Up vs plain", "Client / device", "Server / round" })
            table.AddColumn(new TableColumn(column).RightAligned());
        foreach (var group in Rows.GroupBy(r => r.Cohort))
        {
            var plain = group.FirstOrDefault(r => r.Protocol == "plain");
            foreach (var r in group)
                table.AddRow(r.Cohort.ToString("N0", CultureInfo.InvariantCulture), r.Protocol,
                    r.Protocol == "plain" ? "" : r.Neighbours.ToString(CultureInfo.InvariantCulture),
                    r.Protocol == "plain" ? "" : r.Threshold.ToString(CultureInfo.InvariantCulture),
                    r.Dropped.ToString(CultureInfo.InvariantCulture),
                    Bytes(r.UpBytesPerDevice), Bytes(r.DownBytesPerDevice), Bytes(r.RoundBytes),
                    plain is null ? "" : $"{(r.UpBytesPerDevice / plain.UpBytesPerDevice).ToString("F3", CultureInfo.InvariantCulture)}x",
                    r.Protocol == "plain" ? "—" : Seconds(r.ClientSecondsPerDevice), Seconds(r.ServerSeconds));
            table.AddEmptyRow();
        }
        console.Write(table);
        foreach (string note in Notes) console.MarkupLine($"[grey]note:[/] {Markup.Escape(note)}");
    }

    private static string Bytes(double bytes) => bytes switch
    {
        >= 1 << 30 => $"{(bytes / (1 << 30)).ToString("F2", CultureInfo.InvariantCulture)} GiB",
        >= 1 << 20 => $"{(bytes / (1 << 20)).ToString("F2", CultureInfo.InvariantCulture)} MiB",
        >= 1 << 10 => $"{(bytes / (1 << 10)).ToString("F1", CultureInfo.InvariantCulture)} KiB",
        _ => $"{bytes.ToString("F0", CultureInfo.InvariantCulture)} B",
    };

    private static string Seconds(double s)
        => s >= 1 ? $"{s.ToString("F2", CultureInfo.InvariantCulture)} s" : $"{(s * 1e3).ToString("F1", CultureInfo.InvariantCulture)} ms";
}

/// <summary>
/// Measures secure aggregation's overhead against plain aggregation: the whole protocol played in one process
/// (<see cref="SecAggRoundSimulator"/>, one thread, so each side's clock is its own), every message sized by the
/// Orleans serializer the grains use.
/// </summary>
public static class SecAggBench
{
    public const ulong Seed = 20240601;

    public static SecAggBenchReport Measure(SecAggBenchOptions options, Action<string>? progress = null)
    {
        progress ??= _ => { };
        var serializer = new ServiceCollection().AddSerializer().BuildServiceProvider().GetRequiredService<Serializer>();
        var rows = new List<SecAggBenchRow>();
        // Warm-up, so the first measured row is not charged for OpenSSL's first calls or for running tier-0 JIT code:
        // enough rounds for the hot methods to pass the runtime's 30-call tier-up mark, then a pause for the
        // background recompilation to land.
        if (options.WarmUp)
        {
            for (int i = 0; i < 4; i++)
            {
                MeasurePlain(10, options, serializer);
                MeasureSecAgg(10, 1, SecAggParameters.Complete("bench/warm-up", options.VectorLength, 10, options.ClipRange), serializer);
            }
            Thread.Sleep(TimeSpan.FromMilliseconds(500));
        }
        foreach (int n in options.Cohorts)
        {
            if (n < 3) throw new BenchUsageException($"cohort size {n} is too small; secure aggregation needs at least 3 devices to hide anyone.");
            progress($"plain aggregation, {n} devices");
            rows.Add(MeasurePlain(n, options, serializer));
            var variants = new List<SecAggParameters>();
            string session = $"bench/{n}";
            if (n <= options.CompleteGraphUpTo) variants.Add(SecAggParameters.Complete(session, options.VectorLength, n, options.ClipRange));
            if (n >= options.SparseFrom && SecAggParameters.Sparse(session, options.VectorLength, n, options.ClipRange, Seed) is { NeighbourCount: > 0 } sparse)
                variants.Add(sparse);
            if (variants.Count == 0)
                throw new BenchUsageException($"cohort {n} is above --complete-up-to {options.CompleteGraphUpTo} and below --sparse-from {options.SparseFrom}: no protocol would run.");
            foreach (var parameters in variants)
                foreach (int dropped in new[] { 0, (int)Math.Floor(n * options.DropoutFraction) }.Distinct())
                {
                    string protocol = parameters.NeighbourCount == 0 ? "secagg" : "secagg+";
                    progress($"{protocol}, {n} devices, {dropped} dropping after key sharing");
                    rows.Add(MeasureSecAgg(n, dropped, parameters, serializer));
                }
        }
        var notes = new List<string>
        {
            "Bytes are Orleans-serialized message sizes; the model broadcast, the same with or without secure aggregation, is left out.",
            "Orleans writes each float[] and uint[] element with a one-byte field header: 5 bytes per coordinate, plain or masked.",
            ThreadCpuClock.Description + "; every device's work and the server's run one after another on one thread. Devices would run in parallel, so a round's client latency is about one device's time.",
            "Up / down per device: means over the devices that completed the round; round traffic: every device, dropped ones included.",
            "secagg = Bonawitz et al. 2017 over the complete graph; secagg+ = Bell et al. 2020 with k neighbours in a seeded Harary graph. t = majority of each client's share holders.",
            $"Dropped devices leave after sharing keys (the costly case: the server rebuilds their masking keys and re-expands their pairwise masks).",
        };
        if (options.Cohorts.Any(n => n > options.CompleteGraphUpTo))
            notes.Add($"Cohorts above {options.CompleteGraphUpTo} run SecAgg+ only: the complete graph costs each device n − 1 key agreements, mask expansions and " +
                      "shares (O(n²) per round); raise --complete-up-to to measure it anyway.");
        return new SecAggBenchReport(options.VectorLength, options.ClipRange, Environment.ProcessorCount, rows, notes);
    }

    /// <summary>A seeded update in [−c, c]; generated outside the timed regions.</summary>
    private static float[] UpdateOf(long device, int length, double clip)
    {
        var random = new DeterministicRandom(Seeds.Derive(Seed, 1, device, SeedPurpose.LocalTraining));
        var update = new float[length];
        for (int i = 0; i < length; i++) update[i] = (float)((2 * random.NextDouble() - 1) * clip);
        return update;
    }

    private static SecAggBenchRow MeasurePlain(int n, SecAggBenchOptions options, Serializer serializer)
    {
        var results = new List<DeviceResult>(n);
        long up = 0;
        for (int d = 0; d < n; d++)
        {
            var delta = UpdateOf(d, options.VectorLength, options.ClipRange);
            up += serializer.SerializeToArray(new DeviceUpdate(d, 1, delta, 600, 60, 0.5f, 1.0, 0, 0)).Length;
            results.Add(new DeviceResult(d, delta, 600));
        }
        var start = ThreadCpuClock.Read();
        AggregationMath.WeightedMean(results.Select(r => r.Delta).ToList(), results.Select(r => (double)r.Examples).ToList());
        var elapsed = ThreadCpuClock.Read() - start;
        return new SecAggBenchRow(n, "plain", 0, 0, 0, (double)up / n, 0, up, 0, elapsed.TotalSeconds);
    }

    private static SecAggBenchRow MeasureSecAgg(int n, int dropped, SecAggParameters parameters, Serializer serializer)
    {
        var devices = Enumerable.Range(0, n).Select(d => (long)d).ToArray();
        // Spread the dropouts over the cohort so sparse neighbourhoods each lose about the same share.
        var dropouts = new SecAggDropouts(BeforeMaskedInput: Enumerable.Range(0, dropped).Select(i => (long)(i * n / Math.Max(1, dropped))).ToHashSet());
        var traffic = new TrafficMeter(serializer);
        var outcome = SecAggRoundSimulator.Run(parameters, devices, d => UpdateOf(d, parameters.VectorLength, parameters.ClipRange),
            d => Seeds.Derive(Seed, 1, d, SeedPurpose.SecureAggregation), dropouts, traffic, ThreadCpuClock.Read);
        if (outcome.Result.Contributors.Length != n - dropped)
            throw new InvalidOperationException($"secure aggregation kept {outcome.Result.Contributors.Length} of {n - dropped} contributors");
        // Per-device figures are those of a device that completed the round; the round total counts everyone.
        var contributors = outcome.Result.Contributors;
        return new SecAggBenchRow(n, parameters.NeighbourCount == 0 ? "secagg" : "secagg+", parameters.NeighbourCount == 0 ? n - 1 : parameters.NeighbourCount,
            parameters.Threshold, dropped, contributors.Average(d => (double)traffic.Up[d]), contributors.Average(d => (double)traffic.Down[d]),
            traffic.Up.Values.Sum() + traffic.Down.Values.Sum(), outcome.ClientTime.TotalSeconds / n, outcome.ServerTime.TotalSeconds);
    }

    private sealed class TrafficMeter(Serializer serializer) : ISecAggRoundObserver
    {
        public Dictionary<long, long> Up { get; } = new();
        public Dictionary<long, long> Down { get; } = new();
        public void Uplink(long client, object message) => Add(Up, client, serializer.SerializeToArray(message).Length);
        public void Downlink(long client, object message) => Add(Down, client, serializer.SerializeToArray(message).Length);
        private static void Add(Dictionary<long, long> bytes, long client, int size) => bytes[client] = bytes.GetValueOrDefault(client) + size;
    }
}

/// <summary>
/// The calling thread's CPU time (Linux: clock_gettime(CLOCK_THREAD_CPUTIME_ID)), so figures measured on a shared
/// machine count this work and not other processes'. Elsewhere it falls back to wall time and says so.
/// </summary>
internal static class ThreadCpuClock
{
    private const int ClockThreadCpuTimeId = 3;
    private static readonly Stopwatch Wall = Stopwatch.StartNew();
    private static readonly bool Available = OperatingSystem.IsLinux() && Environment.Is64BitProcess && TryRead(out _);

    public static string Description => Available ? "Times are the measuring thread's CPU time" : "Times are wall time (no thread CPU clock on this platform)";

    public static TimeSpan Read() => Available && TryRead(out var t) ? t : Wall.Elapsed;

    private static bool TryRead(out TimeSpan time)
    {
        time = default;
        try
        {
            if (clock_gettime(ClockThreadCpuTimeId, out var spec) != 0) return false;
            time = TimeSpan.FromTicks(spec.Seconds * TimeSpan.TicksPerSecond + spec.Nanoseconds / 100);
            return true;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return false;
        }
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct TimeSpec
    {
        public long Seconds;
        public long Nanoseconds;
    }

    [DllImport("libc", SetLastError = true)]
    private static extern int clock_gettime(int clockId, out TimeSpec time);
}
