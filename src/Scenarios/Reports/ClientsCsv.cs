using System.Globalization;
using System.Text;
using FedSim.GrainInterfaces;

namespace FedSim.Scenarios.Reports;

/// <summary>
/// clients.csv: every sampled device in every round: its status (used, not used by the aggregator, failed, dropped,
/// late, surplus), examples, local steps, mean local training loss (nats, mean over its steps) and the L2 norm of
/// the update it sent. Rewritten with metrics.csv after every round.
/// </summary>
public static class ClientsCsv
{
    public const string FileName = "clients.csv";

    public const string Header = "round,device,status,examples,steps,train_loss,update_norm";

    public static string Format(IEnumerable<RoundReport> reports)
    {
        var inv = CultureInfo.InvariantCulture;
        var sb = new StringBuilder(Header).Append('\n');
        foreach (var report in reports.OrderBy(r => r.Round))
            foreach (var c in report.AllClients)
                sb.Append(report.Round.ToString(inv)).Append(',')
                  .Append(c.Device.ToString(inv)).Append(',')
                  .Append(DevicesCsv.Quote(c.Status)).Append(',')
                  .Append(c.Examples.ToString(inv)).Append(',')
                  .Append(c.Steps.ToString(inv)).Append(',')
                  .Append(double.IsNaN(c.TrainLoss) ? "" : MetricsCsv.Num(c.TrainLoss)).Append(',')
                  .Append(double.IsNaN(c.UpdateNorm) ? "" : MetricsCsv.Num(c.UpdateNorm)).Append('\n');
        return sb.ToString();
    }

    public static void Write(string path, IEnumerable<RoundReport> reports) => AtomicFile.WriteAllText(path, Format(reports));
}
