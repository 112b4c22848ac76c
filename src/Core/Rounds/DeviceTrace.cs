using System.Globalization;

namespace FedSim.Rounds;

/// <summary>One device's measured speed, bandwidth and availability, from a trace file.</summary>
/// <param name="Windows">Seconds of a simulated day ([start, end) pairs) the device is online; empty means always.</param>
public sealed record TraceEntry(long Device, double SamplesPerSecond, double UplinkBytesPerSecond, double DownlinkBytesPerSecond,
    IReadOnlyList<(double Start, double End)> Windows)
{
    public const double Day = 86_400;

    public bool AvailableAt(double simulatedSeconds)
    {
        if (Windows.Count == 0) return true;
        double t = simulatedSeconds % Day;
        return Windows.Any(w => t >= w.Start && t < w.End);
    }
}

/// <summary>
/// A per-device trace CSV (header <c>device,samples_per_second,uplink_bytes_per_second,downlink_bytes_per_second[,availability]</c>,
/// availability as ';'-separated <c>start-end</c> second ranges of a day). Devices it does not list keep their
/// generated profiles. Errors name the file and line.
/// </summary>
public sealed class DeviceTrace
{
    private static readonly string[] Required = ["device", "samples_per_second", "uplink_bytes_per_second", "downlink_bytes_per_second"];

    private readonly Dictionary<long, TraceEntry> _entries;

    private DeviceTrace(Dictionary<long, TraceEntry> entries) => _entries = entries;

    public static DeviceTrace Empty { get; } = new([]);

    public int Count => _entries.Count;

    /// <summary>Whether any device has availability windows (otherwise the trace only sets speeds).</summary>
    public bool HasWindows => _entries.Values.Any(e => e.Windows.Count > 0);

    public TraceEntry? Find(long device) => _entries.GetValueOrDefault(device);

    public static DeviceTrace Load(string path)
    {
        string[] lines;
        try { lines = File.ReadAllLines(path); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new TraceException($"{path}: cannot read the device trace: {e.Message}");
        }
        return Parse(lines, path);
    }

    public static DeviceTrace Parse(IReadOnlyList<string> lines, string source)
    {
        if (lines.Count == 0 || string.IsNullOrWhiteSpace(lines[0]))
            throw new TraceException($"{source}:1: the trace is empty; its first line must be the header {string.Join(',', Required)}[,availability]");
        var header = lines[0].Split(',').Select(h => h.Trim().ToLowerInvariant()).ToArray();
        int[] at = Required.Select(name => Array.IndexOf(header, name)).ToArray();
        for (int i = 0; i < Required.Length; i++)
            if (at[i] < 0)
                throw new TraceException($"{source}:1: the header has no '{Required[i]}' column; expected {string.Join(',', Required)}[,availability]");
        int windows = Array.IndexOf(header, "availability");
        var entries = new Dictionary<long, TraceEntry>();
        for (int n = 1; n < lines.Count; n++)
        {
            if (string.IsNullOrWhiteSpace(lines[n])) continue;
            var cells = lines[n].Split(',');
            if (cells.Length != header.Length)
                throw new TraceException($"{source}:{n + 1}: expected {header.Length} comma-separated values, found {cells.Length}");
            long device = long.TryParse(cells[at[0]].Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var d) && d >= 0 ? d
                : throw new TraceException($"{source}:{n + 1}: device '{cells[at[0]]}' is not a non-negative integer");
            double Positive(int column)
            {
                string text = cells[at[column]].Trim();
                return double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) && double.IsFinite(v) && v > 0 ? v
                    : throw new TraceException($"{source}:{n + 1}: {Required[column]} '{text}' must be a positive number");
            }
            var entry = new TraceEntry(device, Positive(1), Positive(2), Positive(3),
                windows < 0 ? [] : ParseWindows(cells[windows], source, n + 1));
            if (!entries.TryAdd(device, entry))
                throw new TraceException($"{source}:{n + 1}: device {device} is listed twice; keep one line per device");
        }
        return new DeviceTrace(entries);
    }

    private static List<(double, double)> ParseWindows(string text, string source, int line)
    {
        var result = new List<(double, double)>();
        foreach (var part in text.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var bounds = part.Split('-');
            if (bounds.Length == 2
                && double.TryParse(bounds[0], NumberStyles.Float, CultureInfo.InvariantCulture, out var start)
                && double.TryParse(bounds[1], NumberStyles.Float, CultureInfo.InvariantCulture, out var end)
                && start >= 0 && end > start && end <= TraceEntry.Day)
                result.Add((start, end));
            else
                throw new TraceException($"{source}:{line}: availability window '{part}' must be start-end seconds within a day (0 <= start < end <= 86400)");
        }
        return result;
    }
}

/// <summary>A device trace file is unreadable or malformed; the message names the file and line.</summary>
public sealed class TraceException(string message) : Exception(message);

/// <summary>Device profiles for an experiment: generated from the seed and classes, or taken from the trace.</summary>
public sealed class DeviceProfileSource(ulong experimentSeed, DeviceClassSpec[] classes, DeviceTrace trace)
{
    public DeviceTrace Trace => trace;

    public DeviceProfile Profile(long device)
    {
        var generated = DeviceProfiles.Generate(experimentSeed, device, classes);
        return trace.Find(device) is { } t
            ? generated with { DeviceClass = "trace", SamplesPerSecond = t.SamplesPerSecond, UplinkBytesPerSecond = t.UplinkBytesPerSecond, DownlinkBytesPerSecond = t.DownlinkBytesPerSecond }
            : generated;
    }
}
