using System.Text.RegularExpressions;
using FedSim.GrainInterfaces;
using FedSim.Scenario;
using FedSim.Scenarios.Compare;

namespace FedSim.Tests.Compare;

public sealed partial class CompareReportTests
{
    private static readonly SweepConfiguration Mean = new(1, [("strategy.aggregator.kind", "mean"), ("byzantine", "null")]);
    private static readonly SweepConfiguration Median = new(2, [("strategy.aggregator.kind", "median"), ("byzantine", "null")]);

    /// <summary>A run whose test accuracy per round is <paramref name="accuracy"/>; 1,768,800 bytes each way in all, 21.2 s simulated.</summary>
    private static CompareRunResult Run(SweepConfiguration config, ulong seed, params double[] accuracy)
    {
        var reports = accuracy.Select((a, i) => new RoundReport(i + 1, a, 1 - a, 10, 0, 0.5, 100, 884_400 / accuracy.Length, 884_400 / accuracy.Length,
            2, 10.6 * (i + 1), 1.0)).ToList();
        return new CompareRunResult(new SweepRun(config, seed, new ScenarioSpec()), reports, 63.551906);
    }

    private static readonly IReadOnlyList<CompareRow> Rows =
    [
        new(Mean, [Run(Mean, 1, 0.5, 0.84), Run(Mean, 2, 0.6, 0.8575)], 0.8),
        new(Median, [Run(Median, 1, 0.3, 0.7), Run(Median, 2, 0.2, 0.1)], 0.8),
    ];

    private static string Report(Func<string, bool> exists) => CompareReport.Build(new CompareReportInput("FedSim comparison: t <1>",
        ["strategy.aggregator.kind", "byzantine"], Rows, ["note & more"], [new ReportFigure("Accuracy per round", "accuracy", [1, 2, 3])], exists));

    [Fact]
    public void Each_grid_key_is_its_own_column_and_numbers_are_rounded_with_units()
    {
        // Execute
        string html = Report(_ => true);

        // Assert: the keys' columns and no "config" column repeating them.
        var headers = Header().Matches(html).Select(m => m.Groups[1].Value).ToList();
        Assert.Equal(["strategy.aggregator.kind", "byzantine", "final accuracy", "rounds to 80 %", "traffic", "simulated time", "wall time", "runs"], headers);
        Assert.DoesNotContain("config", headers);
        Assert.Contains("<td>median</td>", html);
        // Mean of 0.84 and 0.8575 with its 95% half-width t(0.975, 1)·s/√2 = 12.706·0.012374/1.4142 = 0.1112: in points.
        Assert.Contains("84.9 % ± 11.1", html);
        Assert.Contains("data-sort=\"0.84875\"", html); // sorted by the value, not the text
        Assert.Contains(">1.8 MB<", html);
        Assert.Contains(">21.2 s<", html);
        Assert.Contains(">63.6 s<", html);
        Assert.Contains(">2 (2/2)<", html);              // rounds to the target and how many seeds reached it
        Assert.Contains("t &lt;1&gt;", html);
        Assert.Contains("<li>note &amp; more</li>", html);
    }

    [Fact]
    public void Each_configuration_has_its_seeds_values_on_demand_and_links_to_its_runs()
    {
        // Execute
        string html = Report(_ => true);
        string withoutRuns = Report(path => !path.EndsWith(".html", StringComparison.Ordinal) && !path.EndsWith(".png", StringComparison.Ordinal));

        // Assert: a hidden details row per configuration, one line per seed with its own values and links.
        Assert.Equal(2, Regex.Count(html, "<tr class=\"details\" hidden>"));
        Assert.Contains("<button type=\"button\" class=\"toggle\" aria-expanded=\"false\">2 seed(s)</button>", html);
        Assert.Contains(">85.8 %<", html);                // seed 2 of mean: 0.8575
        Assert.Contains("href=\"runs/c01-mean-null/\"", html);
        Assert.Contains("href=\"runs/c01-mean-null/seed-2/report.html\"", html);
        Assert.Contains("href=\"runs/c02-median-null/seed-1/metrics.png\"", html);
        Assert.DoesNotContain("report.html\"", withoutRuns); // a run folder without a report gets no link to one
        Assert.Contains("href=\"runs/c02-median-null/seed-1/\"", withoutRuns);
    }

    [Fact]
    public void The_page_is_self_contained_with_its_figures_inline_and_a_sorting_script()
    {
        string html = Report(_ => true);

        Assert.Contains("<img alt=\"accuracy\" src=\"data:image/png;base64,AQID\">", html);
        Assert.Contains("<table class=\"data sortable\">", html);
        Assert.Contains("<script>", html);
        Assert.DoesNotContain("http", html);
        Assert.DoesNotContain("<link", html);
        Assert.DoesNotContain("<script src", html);
        Assert.DoesNotContain("url(", html);
    }

    [Fact]
    public void Accuracy_figure_leaves_out_a_band_that_would_swamp_it_and_says_why()
    {
        // Prepare: median's two seeds end 60 points apart; mean's agree closely.
        var rows = new List<CompareRow>
        {
            new(Mean, [Run(Mean, 1, 0.80, 0.84), Run(Mean, 2, 0.81, 0.85), Run(Mean, 3, 0.80, 0.86)], null),
            new(Median, [Run(Median, 1, 0.7, 0.7), Run(Median, 2, 0.2, 0.1), Run(Median, 3, 0.5, 0.6)], null),
        };

        // Execute
        var (png, notes) = CompareFigures.AccuracyPerRound(rows, "strategy.aggregator.kind", "t");

        // Assert
        Assert.Equal([0x89, 0x50, 0x4E, 0x47], png[..4]);
        Assert.Contains(notes, n => n.StartsWith("Accuracy per round: one panel per value of strategy.aggregator.kind", StringComparison.Ordinal));
        var omitted = Assert.Single(notes, n => n.Contains("no band", StringComparison.Ordinal));
        Assert.Contains("strategy.aggregator.kind=median", omitted);
        Assert.Contains("over 3 seeds", omitted);
    }

    [GeneratedRegex("<button type=\"button\" class=\"sort\">([^<]*)</button>")]
    private static partial Regex Header();
}
