using System.Globalization;
using System.Text;
using FedSim.GrainInterfaces;

namespace FedSim.Scenarios.Reports;

/// <summary>
/// failures.csv: every sampled device that gave no usable update, per round, with the reason (dropped out,
/// missed the deadline, over-selected, a training error, a rejected non-finite update). Rewritten with
/// metrics.csv after every round.
/// </summary>
public static class FailuresCsv
{
    public const string FileName = "failures.csv";

    public const string Header = "round,device,reason";

    public static string Format(IEnumerable<RoundReport> reports)
    {
        var sb = new StringBuilder(Header).Append('\n');
        foreach (var report in reports.OrderBy(r => r.Round))
            foreach (var f in report.AllFailures.OrderBy(f => f.DeviceId))
                sb.Append(report.Round.ToString(CultureInfo.InvariantCulture)).Append(',')
                  .Append(f.DeviceId.ToString(CultureInfo.InvariantCulture)).Append(',')
                  .Append(DevicesCsv.Quote(f.Reason.ReplaceLineEndings(" "))).Append('\n');
        return sb.ToString();
    }

    public static void Write(string path, IEnumerable<RoundReport> reports) => AtomicFile.WriteAllText(path, Format(reports));
}
