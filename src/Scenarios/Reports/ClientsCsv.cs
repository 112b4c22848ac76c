using System.Globalization;
using System.Text;
using FedSim.GrainInterfaces;

namespace FedSim.Scenarios.Reports;

/// <summary>
/// clients.csv: every sampled device in every round: its status (used, not used by the aggregator, failed, dropped,
/// late, surplus), examples, local steps, mean local training loss (nats, mean over its steps) and the L2 norm of
/// the update it sent; with per-device evaluation also <c>test_accuracy</c>, the accuracy of the model after the round
/// on the device's own test records (evaluation rounds, evaluated devices). Rewritten with metrics.csv after every round.
/// </summary>
public static class ClientsCsv
{
    public const string FileName = "clients.csv";

    public const string Header = "round,device,status,examples,steps,train_loss,update_norm";

    public static string Format(IEnumerable<RoundReport> reports)
    {
        var inv = CultureInfo.InvariantCulture;
        var ordered = reports.OrderBy(r => r.Round).ToList();
        // The column exists only in runs that evaluate per device, so every other run's file keeps its shape.
        bool perDevice = ordered.Any(r => r.DeviceAccuracies is not null);
        var sb = new StringBuilder(Header).Append(perDevice ? ",test_accuracy\n" : "\n");
        foreach (var report in ordered)
        {
            var accuracy = report.DeviceAccuracies?.ToDictionary(a => a.Device, a => a.Accuracy);
            foreach (var c in report.AllClients)
            {
                sb.Append(report.Round.ToString(inv)).Append(',')
                  .Append(c.Device.ToString(inv)).Append(',')
                  .Append(DevicesCsv.Quote(c.Status)).Append(',')
                  .Append(c.Examples.ToString(inv)).Append(',')
                  .Append(c.Steps.ToString(inv)).Append(',')
                  .Append(double.IsNaN(c.TrainLoss) ? "" : MetricsCsv.Num(c.TrainLoss)).Append(',')
                  .Append(double.IsNaN(c.UpdateNorm) ? "" : MetricsCsv.Num(c.UpdateNorm));
                if (perDevice) sb.Append(',').Append(accuracy?.TryGetValue(c.Device, out double a) == true ? MetricsCsv.Num(a) : "");
                sb.Append('\n');
            }
        }
        return sb.ToString();
    }

    public static void Write(string path, IEnumerable<RoundReport> reports) => AtomicFile.WriteAllText(path, Format(reports));
}

/// <summary>
/// device_accuracy.csv (per-device evaluation only): every evaluated device in every evaluation round, sampled or not:
/// <c>round</c>, <c>device</c>, <c>test_examples</c> (its own test records), <c>test_accuracy</c> (of the model after the round),
/// and with personalization <c>personalized_accuracy</c> (of its personalized model, on the same records).
/// </summary>
public static class DeviceAccuracyCsv
{
    public const string FileName = "device_accuracy.csv";

    public static string Format(IEnumerable<RoundReport> reports)
    {
        var inv = CultureInfo.InvariantCulture;
        var ordered = reports.OrderBy(r => r.Round).ToList();
        bool personalized = ordered.Any(r => r.DeviceAccuracies?.Any(a => a.Personalized is not null) == true);
        var sb = new StringBuilder("round,device,test_examples,test_accuracy").Append(personalized ? ",personalized_accuracy\n" : "\n");
        foreach (var report in ordered)
            foreach (var a in report.DeviceAccuracies ?? (IEnumerable<FedSim.Rounds.DeviceAccuracy>)[])
            {
                sb.Append(report.Round.ToString(inv)).Append(',').Append(a.Device.ToString(inv)).Append(',')
                  .Append(a.Examples.ToString(inv)).Append(',').Append(MetricsCsv.Num(a.Accuracy));
                if (personalized) sb.Append(',').Append(a.Personalized is { } p ? MetricsCsv.Num(p) : "");
                sb.Append('\n');
            }
        return sb.ToString();
    }
}
