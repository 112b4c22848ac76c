using FedSim.GrainInterfaces;
using FedSim.Scenarios.Reports;

namespace FedSim.Tests.Reports;

public class MetricsCsvTests
{
    [Fact]
    public void Metrics_csv_has_exact_header_and_rows_with_empty_cells_for_unevaluated_rounds()
    {
        // Prepare
        var reports = ReportFixtures.FourRounds();

        // Execute
        string text = MetricsCsv.Format(reports);

        // Assert
        Assert.Equal(
            "round,test_accuracy,test_loss,selected,participants,failed,dropped,late,surplus,train_loss,train_examples,bytes_sent,bytes_received,simulated_round_seconds,simulated_total_seconds,used,backdoor_accuracy,wall_seconds\n" +
            "1,0.5,1.25,11,10,0,0,0,1,2,600,1000,900,12.5,12.5,10,0.125,0.75\n" +
            "2,,,12,9,1,1,1,0,1.5,540,1000,810,10,22.5,9,,1.5\n" +
            "3,0.91,0.30000000000000004,10,10,0,0,0,0,0.8,600,1000,900,11.25,33.75,10,0.5,2.25\n" +
            "4,0.9,0.32,10,10,0,0,0,0,0.7,600,1000,900,11.25,45,10,0.75,3\n",
            text);
    }

    [Fact]
    public void Metrics_csv_ignores_the_current_culture()
    {
        // Prepare: a culture with a decimal comma would break the CSV if it leaked in.
        var reports = ReportFixtures.FourRounds();
        var saved = System.Globalization.CultureInfo.CurrentCulture;
        string text;

        // Execute
        try
        {
            System.Globalization.CultureInfo.CurrentCulture = new System.Globalization.CultureInfo("de-DE");
            text = MetricsCsv.Format(reports);
        }
        finally { System.Globalization.CultureInfo.CurrentCulture = saved; }

        // Assert
        Assert.Equal(MetricsCsv.Format(reports), text);
        Assert.Contains("0.30000000000000004", text);
    }

    [Fact]
    public void Metrics_csv_read_back_gives_the_same_reports()
    {
        // Prepare
        using var dir = new TempDir();
        var reports = ReportFixtures.FourRounds();
        string path = dir.File(MetricsCsv.FileName);

        // Execute
        MetricsCsv.Write(path, reports);
        var read = MetricsCsv.Read(path);

        // Assert: record equality compares every double bit for bit, nulls included.
        Assert.Equal(reports, read);
        Assert.Empty(Directory.GetFiles(dir.Path, "*.tmp"));
    }

    [Fact]
    public void Metrics_without_wall_time_is_equal_for_runs_differing_only_in_wall_time()
    {
        // Prepare
        var first = ReportFixtures.FourRounds(wallScale: 1.0);
        var second = ReportFixtures.FourRounds(wallScale: 7.3);

        // Execute
        string a = MetricsCsv.FormatWithoutWallTime(first);
        string b = MetricsCsv.FormatWithoutWallTime(second);

        // Assert
        Assert.NotEqual(MetricsCsv.Format(first), MetricsCsv.Format(second));
        Assert.Equal(a, b);
        Assert.DoesNotContain("wall_seconds", a);
        Assert.StartsWith(MetricsCsv.HeaderFor(["used", "backdoor_accuracy"], includeWall: false) + "\n", a);
        Assert.Equal(a, MetricsCsv.WithoutWallTime(MetricsCsv.Format(second)));
    }

    [Fact]
    public void Metrics_without_wall_time_differs_when_a_metric_differs()
    {
        // Prepare
        var first = ReportFixtures.FourRounds();
        var second = first.Select(r => r.Round == 3 ? r with { TestLoss = 0.3 } : r).ToList();

        // Execute / Assert: 0.3 vs 0.30000000000000004 must not be rounded away.
        Assert.NotEqual(MetricsCsv.FormatWithoutWallTime(first), MetricsCsv.FormatWithoutWallTime(second));
    }

    [Fact]
    public void Metrics_csv_reader_names_the_file_and_line_of_a_bad_value()
    {
        // Prepare
        string text = MetricsCsv.Header + "\n" + "1,0.5,1.25,10,ten,0,0,0,0,2,600,1000,900,12.5,12.5,0.75\n";

        // Execute
        var e = Assert.Throws<ResultsException>(() => MetricsCsv.Parse(text, "run/metrics.csv"));

        // Assert
        Assert.Contains("run/metrics.csv:2", e.Message);
        Assert.Contains("participants", e.Message);
    }

    [Fact]
    public void Metrics_csv_reader_rejects_a_file_without_the_header()
    {
        var e = Assert.Throws<ResultsException>(() => MetricsCsv.Parse("a,b,c\n1,2,3\n", "x.csv"));
        Assert.Contains("x.csv:1", e.Message);
    }

    [Fact]
    public void Metrics_csv_keeps_non_finite_losses_readable()
    {
        // Prepare: a diverged run.
        var reports = new List<RoundReport> { new(1, 0.1, double.NaN, 10, 0, double.PositiveInfinity, 600, 1, 1, 1, 1, 1) };

        // Execute
        var read = MetricsCsv.Parse(MetricsCsv.Format(reports));

        // Assert
        Assert.True(double.IsNaN(read[0].TestLoss!.Value));
        Assert.True(double.IsPositiveInfinity(read[0].MeanTrainLoss));
    }
}

public class ClientsCsvTests
{
    [Fact]
    public void Clients_csv_has_one_line_per_sampled_device_with_empty_cells_for_devices_that_sent_nothing()
    {
        var report = new RoundReport(3, 0.5, 1.0, 1, 0, 0.5, 10, 1, 1, 1, 1, 1,
            Clients: new FedSim.ValueList<DeviceRoundRecord>([new(4, "used", 10, 2, 0.25, 1.5), new(9, "dropped", 0, 0, double.NaN, double.NaN)]));

        string csv = ClientsCsv.Format([report]);

        Assert.Equal("round,device,status,examples,steps,train_loss,update_norm\n3,4,used,10,2,0.25,1.5\n3,9,dropped,0,0,,\n", csv);
    }
}
