using System.Globalization;
using System.Text;
using FedSim.GrainInterfaces;
using FedSim.Rounds;

namespace FedSim.Scenarios.Reports;

/// <summary>One device that took part in a run, as written to devices.csv.</summary>
/// <param name="Index">Device id (grain key).</param>
/// <param name="Profile">Its generated hardware and network profile.</param>
/// <param name="Samples">Training samples in its shard.</param>
/// <param name="RoundsParticipated">Rounds whose update it delivered; null when the runner does not track it.</param>
/// <param name="RoundsSelected">Rounds it was sampled in (over-selection included); null when not tracked.</param>
/// <param name="Malicious">The Byzantine attack it runs, or null for an honest device.</param>
public sealed record DeviceRecord(long Index, DeviceProfile Profile, int Samples, int? RoundsParticipated = null, int? RoundsSelected = null,
    string? Malicious = null);

/// <summary>devices.csv: who took part, with the profile that drove their simulated time.</summary>
public static class DevicesCsv
{
    public const string FileName = "devices.csv";

    public const string Header =
        "device,name,region,device_class,samples,samples_per_second,uplink_bytes_per_second,downlink_bytes_per_second,rounds_selected,rounds_participated,malicious";

    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    /// <summary>Header plus one row per device, ordered by index ('\n' line endings).</summary>
    public static string Format(IEnumerable<DeviceRecord> devices)
    {
        var sb = new StringBuilder(Header).Append('\n');
        foreach (var d in devices.OrderBy(d => d.Index))
        {
            var p = d.Profile;
            sb.Append(d.Index.ToString(Inv)).Append(',')
              .Append(Quote(p.Name)).Append(',')
              .Append(Quote(p.Region)).Append(',')
              .Append(Quote(p.DeviceClass)).Append(',')
              .Append(d.Samples.ToString(Inv)).Append(',')
              .Append(MetricsCsv.Num(p.SamplesPerSecond)).Append(',')
              .Append(MetricsCsv.Num(p.UplinkBytesPerSecond)).Append(',')
              .Append(MetricsCsv.Num(p.DownlinkBytesPerSecond)).Append(',')
              .Append(d.RoundsSelected?.ToString(Inv) ?? "").Append(',')
              .Append(d.RoundsParticipated?.ToString(Inv) ?? "").Append(',')
              .Append(d.Malicious is null ? "" : Quote(d.Malicious))
              .Append('\n');
        }
        return sb.ToString();
    }

    public static void Write(string path, IEnumerable<DeviceRecord> devices) => AtomicFile.WriteAllText(path, Format(devices));

    // RFC 4180: generated names may hold commas or quotes ("O'Kon, Hahn and Sons").
    internal static string Quote(string s) =>
        s.AsSpan().IndexOfAny(",\"\r\n") < 0 ? s : "\"" + s.Replace("\"", "\"\"") + "\"";
}
