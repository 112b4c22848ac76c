using System.Text.Json;
using System.Text.Json.Nodes;
using FedSim.Attacks.Auditing;
using FedSim.Attacks.Inference;
using FedSim.Scenarios.Reports;

namespace FedSim.Tests.Reports;

public sealed class RunReportTests
{
    [Theory]
    [InlineData(0.84875, "84.9 %")]
    [InlineData(1.0, "100.0 %")]
    [InlineData(double.NaN, "–")]
    public void Percent_rounds_to_one_decimal(double fraction, string expected) => Assert.Equal(expected, ReportUnits.Percent(fraction));

    [Fact]
    public void Units_round_and_name_their_unit()
    {
        Assert.Equal("84.9 % ± 1.2", ReportUnits.PercentPlusMinus(0.84875, 0.0123));
        Assert.Equal("84.9 %", ReportUnits.PercentPlusMinus(0.84875, null));
        Assert.Equal("49.8 % [0.0, 100.0]", ReportUnits.PercentPlusMinus(0.498, 2.827)); // two seeds that disagree: clipped ends
        Assert.Equal("3.5 MB", ReportUnits.Bytes(3_537_600));
        Assert.Equal("812 B", ReportUnits.Bytes(812));
        Assert.Equal("1.0 MB", ReportUnits.Bytes(999_999));   // not "1000.0 kB"
        Assert.Equal("63.6 s", ReportUnits.Seconds(63.551906));
        Assert.Equal("15.0 min", ReportUnits.Seconds(900));
        Assert.Equal("3.0 h", ReportUnits.Seconds(10_800));
        Assert.Equal("80 %", ReportUnits.Level(0.8));
        Assert.Equal("1e-05", ReportUnits.Probability(1e-5));
        Assert.Equal("12,000", ReportUnits.Count(12_000));
        Assert.Equal("–", ReportUnits.Number(null));
    }

    /// <summary>summary.json of the fixture run, with <paramref name="edit"/> applied to it as JSON.</summary>
    private static JsonElement Summary(Action<JsonObject>? edit = null)
    {
        var node = JsonNode.Parse(SummaryJson.Serialize(RunSummary.Build(ReportFixtures.Input(), ReportFixtures.FourRounds())))!.AsObject();
        edit?.Invoke(node);
        return JsonDocument.Parse(node.ToJsonString()).RootElement;
    }

    [Fact]
    public void Run_report_shows_the_summary_rounded_with_units_the_data_and_links_to_the_files()
    {
        // Execute
        string html = RunReport.Build(Summary(), [1, 2, 3], null, ["metrics.csv", "summary.json"]);

        // Assert
        Assert.Contains("<title>FedSim run: mnist-iid</title>", html);
        Assert.Contains("<td>90.0 % (round 4)</td>", html);   // final accuracy
        Assert.Contains("<td>91.0 % (round 3)</td>", html);   // best
        Assert.Contains("<td>4 of 4</td>", html);
        Assert.Contains("<td>3.5 s</td>", html);              // wall time
        Assert.Contains("50 %: round 1", html);
        Assert.Contains("<h2>Data</h2>", html);
        Assert.Contains("<th>partition statistics</th>", html);
        Assert.Contains("<th>train samples</th><td>60,000</td>", html);
        Assert.Contains("data:image/png;base64,AQID", html);
        Assert.Contains("<a href=\"metrics.csv\">metrics.csv</a>", html);
        Assert.DoesNotContain("Membership inference", html);
        Assert.DoesNotContain("provenance", html);
        Assert.DoesNotContain("http", html);
    }

    [Fact]
    public void A_summary_section_the_report_does_not_know_such_as_provenance_is_shown_as_a_table()
    {
        // Prepare: provenance as summary.json may hold it, data files with their hashes.
        var summary = Summary(s => s["provenance"] = JsonNode.Parse("""
            {"fedsim_commit": "abc123", "runtime": ".NET 10.0.1", "data_files": [{"path": "mnist/train.gz", "sha256": "ff00"}]}
            """));

        // Execute
        string html = RunReport.Build(summary, null, null, []);

        // Assert
        Assert.Contains("<h2>provenance</h2>", html);
        Assert.Contains("<th>fedsim commit</th><td>abc123</td>", html);
        Assert.Contains("<td>mnist/train.gz</td><td>ff00</td>", html);
    }

    [Fact]
    public void A_failed_run_says_why_at_the_top()
    {
        string html = RunReport.Build(Summary(s => { s["status"] = "failed"; s["error"] = "disk full <2>"; }), null, null, []);

        Assert.Contains("<p class=\"warn\">The run failed: disk full &lt;2&gt;</p>", html);
    }

    [Fact]
    public void Attack_writes_a_report_with_the_run_the_attack_table_and_the_roc_figure()
    {
        // Prepare: a finished run's folder, then its attack results.
        using var dir = new TempDir();
        SummaryJson.Write(dir.File(SummaryJson.FileName), RunSummary.Build(ReportFixtures.Input(), ReportFixtures.FourRounds()));
        var examples = Enumerable.Range(0, 60).Select(i => new AuditExample(i, i % 2 == 0, i / 20)).ToArray();
        var scores = examples.Select(e => (e.IsMember ? 0.6 : 0) + (e.Index % 7) * 0.1).ToArray();
        var audits = new[]
        {
            AuditJudge.Judge(AttackNames.Loss, ThreatModels.Outsider, 0, 10, examples, scores, new ViewGuarantee(4, 1e-5, "central DP"), 1e-5),
            AuditJudge.Judge(AttackNames.Confidence, ThreatModels.Outsider, 0, 10, examples, scores, new ViewGuarantee(4, 1e-5, "central DP"), 1e-5),
        };

        // Execute
        var written = AttackResults.Write(dir.Path, "t", audits);

        // Assert
        string html = File.ReadAllText(dir.File(RunReport.FileName));
        Assert.Contains(dir.File(RunReport.FileName), written);
        Assert.Contains("<title>FedSim attack: mnist-iid</title>", html);
        Assert.Contains("<h2>Membership inference</h2>", html);
        Assert.Contains("<td>confidence</td><td>outsider</td>", html);
        Assert.Contains("<td>holds (ε = 4)</td>", html);
        Assert.Contains("<td>90.0 % (round 4)</td>", html);
        Assert.Contains("<a href=\"attack.json\">attack.json</a>", html);
        Assert.Contains("<a href=\"audit_sets/\">audit_sets/</a>", html);
        Assert.Single(System.Text.RegularExpressions.Regex.Matches(html, "data:image/png;base64,")); // the ROC (this folder has no metrics.png)
    }

    [Fact]
    public void Roc_plot_draws_the_dp_bound_where_an_epsilon_applies()
    {
        var audit = AuditScores.FromGroups([0.9, 0.8, 0.7, 0.4], [0.5, 0.3, 0.2, 0.1]);

        var without = RocPlot.Render([new RocSeries("loss", RocCurve.From(audit))], "t");
        var with = RocPlot.Render([new RocSeries("loss", RocCurve.From(audit), Epsilon: 1, Delta: 1e-5)], "t");

        Assert.NotEqual(without, with);
    }
}
