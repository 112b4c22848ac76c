using System.Text.Json;
using FedSim.GrainInterfaces;
using FedSim.Scenarios.Reports;
using FedSim.Strategies;

namespace FedSim.Tests.Reports;

public class RunSummaryTests
{
    [Fact]
    public void Summary_final_accuracy_is_the_last_evaluated_round_and_best_is_the_maximum()
    {
        // Prepare: round 5 is not evaluated, so round 4 gives the final figures.
        var reports = ReportFixtures.FourRounds().Append(new RoundReport(5, null, null, 10, 0, 0.6, 600, 1000, 900, 10, 55, 4)).ToList();

        // Execute
        var s = RunSummary.Build(ReportFixtures.Input(), reports);

        // Assert
        Assert.Equal(0.9, s.FinalAccuracy);
        Assert.Equal(0.32, s.FinalLoss);
        Assert.Equal(4, s.FinalEvaluatedRound);
        Assert.Equal(0.91, s.BestAccuracy);
        Assert.Equal(3, s.BestAccuracyRound);
        Assert.Equal(5, s.Rounds);
        Assert.Equal(55, s.TotalSimulatedSeconds);
    }

    [Fact]
    public void Summary_reports_first_round_and_simulated_time_reaching_each_threshold()
    {
        // Execute
        var s = RunSummary.Build(ReportFixtures.Input(), ReportFixtures.FourRounds());

        // Assert
        Assert.Equal(["0.50", "0.80", "0.90", "0.95", "0.97", "0.99"], s.FirstRoundReaching.Keys);
        Assert.Equal(1, s.FirstRoundReaching["0.50"]);
        Assert.Equal(3, s.FirstRoundReaching["0.80"]);
        Assert.Equal(3, s.FirstRoundReaching["0.90"]);
        Assert.Null(s.FirstRoundReaching["0.95"]);
        Assert.Equal(33.75, s.SimulatedSecondsToReach["0.90"]);
        Assert.Null(s.SimulatedSecondsToReach["0.99"]);
    }

    [Fact]
    public void Summary_best_accuracy_tie_keeps_the_earlier_round()
    {
        var reports = ReportFixtures.FourRounds().Select(r => r.Round == 4 ? r with { TestAccuracy = 0.91 } : r).ToList();
        var s = RunSummary.Build(ReportFixtures.Input(), reports);
        Assert.Equal(3, s.BestAccuracyRound);
    }

    [Fact]
    public void Summary_totals_traffic_participants_and_failures()
    {
        var s = RunSummary.Build(ReportFixtures.Input(), ReportFixtures.FourRounds());
        Assert.Equal(39, s.Participants);
        Assert.Equal(1, s.Failed);
        Assert.Equal(2340, s.TrainExamples);
        Assert.Equal(4000, s.BytesSent);
        Assert.Equal(3510, s.BytesReceived);
        Assert.Equal(3.5, s.WallSeconds);
    }

    [Fact]
    public void Summary_of_a_run_without_evaluation_has_null_accuracies()
    {
        var reports = ReportFixtures.FourRounds().Select(r => r with { TestAccuracy = null, TestLoss = null }).ToList();
        var s = RunSummary.Build(ReportFixtures.Input(), reports);
        Assert.Null(s.FinalAccuracy);
        Assert.Null(s.BestAccuracyRound);
        Assert.All(s.FirstRoundReaching.Values, Assert.Null);
    }

    [Fact]
    public void Summary_json_has_snake_case_fields_with_the_computed_values()
    {
        // Prepare
        using var dir = new TempDir();
        string path = dir.File(SummaryJson.FileName);
        var summary = RunSummary.Build(ReportFixtures.Input(), ReportFixtures.FourRounds());

        // Execute
        SummaryJson.Write(path, summary);
        string text = File.ReadAllText(path);
        using var doc = JsonDocument.Parse(text);
        var root = doc.RootElement;

        // Assert
        Assert.Contains("\n  \"name\": \"mnist-iid\"", text); // indented
        Assert.Equal(42UL, root.GetProperty("seed").GetUInt64());
        Assert.Equal(4, root.GetProperty("rounds").GetInt32());
        Assert.Equal(0.9, root.GetProperty("final_accuracy").GetDouble());
        Assert.Equal(0.32, root.GetProperty("final_loss").GetDouble());
        Assert.Equal(0.91, root.GetProperty("best_accuracy").GetDouble());
        Assert.Equal(3, root.GetProperty("best_accuracy_round").GetInt32());
        Assert.Equal(3, root.GetProperty("first_round_reaching").GetProperty("0.90").GetInt32());
        Assert.Equal(JsonValueKind.Null, root.GetProperty("first_round_reaching").GetProperty("0.97").ValueKind);
        Assert.Equal(45.0, root.GetProperty("total_simulated_seconds").GetDouble());
        Assert.Equal(3.5, root.GetProperty("wall_seconds").GetDouble());
        Assert.Equal(100, root.GetProperty("devices").GetInt32());
        Assert.Equal(10, root.GetProperty("devices_per_round").GetInt32());
        Assert.Equal(4000, root.GetProperty("bytes_sent").GetInt64());
        Assert.Equal(3510, root.GetProperty("bytes_received").GetInt64());
        Assert.Equal("mnist", root.GetProperty("dataset").GetProperty("kind").GetString());
        Assert.StartsWith("100 devices", root.GetProperty("dataset").GetProperty("partition_statistics").GetString());
        Assert.Equal(159010, root.GetProperty("model").GetProperty("parameters").GetInt64());
        Assert.Equal("cpu", root.GetProperty("compute").GetProperty("device").GetString());
        Assert.Equal(2, root.GetProperty("compute").GetProperty("workers").GetInt32());
        Assert.Equal("fedavg", root.GetProperty("strategy").GetString());
        Assert.False(string.IsNullOrEmpty(root.GetProperty("fedsim_version").GetString()));
    }

    [Fact]
    public void Summary_json_reads_back()
    {
        using var dir = new TempDir();
        string path = dir.File(SummaryJson.FileName);
        var summary = RunSummary.Build(ReportFixtures.Input(), ReportFixtures.FourRounds());
        SummaryJson.Write(path, summary);

        var read = SummaryJson.Read(path);

        Assert.Equal(summary.BestAccuracy, read.BestAccuracy);
        Assert.Equal(summary.FirstRoundReaching, read.FirstRoundReaching);
        Assert.Equal(summary.Dataset, read.Dataset);
        Assert.Equal(summary.Model, read.Model);
        Assert.Equal(summary.FedSimVersion, read.FedSimVersion);
    }

    [Fact]
    public void Summary_json_keeps_version_and_names_readable()
    {
        var input = ReportFixtures.Input() with { Name = "café-run", FedSimVersion = "1.2.3+abc123" };
        string json = SummaryJson.Serialize(RunSummary.Build(input, ReportFixtures.FourRounds()));
        Assert.Contains("\"fedsim_version\": \"1.2.3+abc123\"", json);
        Assert.Contains("\"name\": \"café-run\"", json);
    }

    [Fact]
    public void Summary_json_survives_a_diverged_run_with_nan_loss()
    {
        var reports = new List<RoundReport> { new(1, 0.1, double.NaN, 10, 0, double.NaN, 600, 1, 1, 1, 1, 1) };
        string json = SummaryJson.Serialize(RunSummary.Build(ReportFixtures.Input(), reports));
        Assert.Contains("\"final_loss\": \"NaN\"", json);
    }

    [Fact]
    public void Threshold_keys_keep_two_decimals_and_extra_precision()
    {
        Assert.Equal("0.90", RunSummary.ThresholdKey(0.9));
        Assert.Equal("0.975", RunSummary.ThresholdKey(0.975));
    }

    [Fact]
    public void Summary_json_carries_the_data_quality_summary_in_snake_case()
    {
        // Prepare
        var train = new FedSim.Data.Dataset("q", [1, 1, 2, 3], [0, 0, 1, 1], 1, 2);
        var quality = FedSim.Data.DataQuality.Compute(new FedSim.Data.DatasetSplit(train, train.Subset([0])), [[0, 1], [2, 3]]);
        var summary = RunSummary.Build(ReportFixtures.Input() with { DataQuality = quality }, ReportFixtures.FourRounds());

        // Execute
        var json = System.Text.Json.Nodes.JsonNode.Parse(SummaryJson.Serialize(summary))!["data_quality"]!;

        // Assert
        Assert.Equal(1, (long)json["duplicate_rows"]!);
        Assert.Equal(4, (long)json["train_samples"]!);
        Assert.Equal(0.5, (double)json["devices"]!["mean_distance_from_global"]!, 12); // each device holds one of two equal classes
        Assert.Equal(2, json["class_counts"]!.AsArray().Count);
    }

    [Fact]
    public void Summary_json_says_how_the_run_ended_and_why_a_failed_run_stopped()
    {
        // Prepare
        var interrupted = RunSummary.Build(ReportFixtures.Input() with { Status = RunStatuses.Interrupted }, ReportFixtures.FourRounds().Take(2));
        var failed = RunSummary.Build(ReportFixtures.Input() with { Status = RunStatuses.Failed, Error = "disk full", Dataset = null, Model = null }, []);

        // Execute
        using var a = JsonDocument.Parse(SummaryJson.Serialize(interrupted));
        using var b = JsonDocument.Parse(SummaryJson.Serialize(failed));

        // Assert
        Assert.Equal(("interrupted", 2, 4), (a.RootElement.GetProperty("status").GetString(), a.RootElement.GetProperty("rounds").GetInt32(),
            a.RootElement.GetProperty("rounds_planned").GetInt32()));
        Assert.Equal(JsonValueKind.Null, a.RootElement.GetProperty("error").ValueKind);
        Assert.Equal(("failed", "disk full"), (b.RootElement.GetProperty("status").GetString(), b.RootElement.GetProperty("error").GetString()));
        Assert.Equal(JsonValueKind.Null, b.RootElement.GetProperty("dataset").ValueKind);
    }

    [Fact]
    public void Summary_json_written_before_the_status_field_reads_as_completed()
    {
        // Prepare: a summary from an older FedSim, which wrote summary.json only when a run completed.
        using var dir = new TempDir();
        string path = dir.File(SummaryJson.FileName);
        var node = System.Text.Json.Nodes.JsonNode.Parse(SummaryJson.Serialize(RunSummary.Build(ReportFixtures.Input(), ReportFixtures.FourRounds())))!.AsObject();
        node.Remove("status");
        node.Remove("error");
        File.WriteAllText(path, node.ToJsonString());

        // Execute
        var read = SummaryJson.Read(path);

        // Assert
        Assert.Equal(RunStatuses.Completed, read.Status);
    }
}

public class FailureReasonTests
{
    [Fact]
    public void Failure_reasons_are_counted_with_their_details_cut_off()
    {
        var failures = new FedSim.ValueList<DeviceFailure>([
            new(1, 1, "update has a non-finite value at index 12; rejected"),
            new(2, 1, "update has a non-finite value at index 40; rejected"),
            new(3, 1, "dropped out during the round"),
        ]);
        var report = new RoundReport(1, null, null, 0, 2, 0, 0, 0, 0, 0, 0, 0, Failures: failures);

        var counts = RunSummary.FailureReasonCounts([report]);

        Assert.Equal([("update has a non-finite value at index N", 2), ("dropped out during the round", 1)],
            counts.Select(p => (p.Key, p.Value)));
    }
}
