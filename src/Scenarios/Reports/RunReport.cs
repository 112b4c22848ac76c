using System.Globalization;
using System.Text.Json;

namespace FedSim.Scenarios.Reports;

/// <summary>What <c>fedsim attack</c> adds to a run's report: attack.json's entries and the ROC figure.</summary>
public sealed record AttackSection(IReadOnlyList<AttackEntry> Entries, byte[] RocPng);

/// <summary>
/// report.html in a run's results folder: the run for a person to read, on one page that opens offline. It shows
/// summary.json (how the run ended, accuracy, time, traffic, privacy), the accuracy and loss curves (metrics.png,
/// embedded), the spread of accuracy over devices (devices.png, with per-device evaluation), the data's statistics, for <c>fedsim attack</c> the attack table and the ROC figure, any section
/// summary.json holds that this page does not know by name (provenance, for one) as a key/value table, and links
/// to the folder's files. It is written from the folder's summary.json after it, so it shows exactly what that says.
/// </summary>
public static class RunReport
{
    public const string FileName = "report.html";

    /// <summary>summary.json's sections shown by name; any other object-valued section is shown as it is.</summary>
    private static readonly string[] KnownSections =
        ["first_round_reaching", "simulated_seconds_to_reach", "failure_reasons", "dataset", "data_quality", "model", "compute", "privacy"];

    /// <summary>Writes report.html into a run's folder from what the folder holds; returns its path.</summary>
    public static string Write(string directory, AttackSection? attack = null)
    {
        string summaryPath = Path.Combine(directory, SummaryJson.FileName), plotPath = Path.Combine(directory, MetricsPlot.FileName),
            devicesPath = Path.Combine(directory, DevicesPlot.FileName);
        JsonDocument? summary = null;
        try
        {
            if (File.Exists(summaryPath)) summary = JsonDocument.Parse(File.ReadAllText(summaryPath));
            byte[]? plot = File.Exists(plotPath) ? File.ReadAllBytes(plotPath) : null;
            byte[]? devices = File.Exists(devicesPath) ? File.ReadAllBytes(devicesPath) : null;
            var files = FileNames(attack is not null).Where(f => Path.Exists(Path.Combine(directory, f))).ToList();
            string path = Path.Combine(directory, FileName);
            AtomicFile.WriteAllText(path, Build(summary?.RootElement, plot, attack, files, devices));
            return path;
        }
        catch (JsonException e)
        {
            throw new ResultsException($"Cannot write {FileName}: '{summaryPath}' is not valid JSON: {e.Message}", e);
        }
        finally
        {
            summary?.Dispose();
        }
    }

    /// <summary>
    /// The page for a run's summary.json (null when the folder has none), its plot, its attack results, the files beside
    /// it and, with per-device evaluation, devices.png.
    /// </summary>
    public static string Build(JsonElement? summary, byte[]? metricsPng, AttackSection? attack, IReadOnlyList<string> files, byte[]? devicesPng = null)
    {
        string name = summary is { } s && Text(s, "name") is { } n ? n : "run";
        var page = new HtmlPage($"FedSim {(attack is null ? "run" : "attack")}: {name}");
        if (summary is { } root) Summary(page, root);
        else page.Paragraph($"This folder has no {SummaryJson.FileName}: the run was killed before it could write one.", "warn");
        if (metricsPng is not null) page.Heading("Accuracy and loss per round").Figure(metricsPng, "test accuracy and loss per round");
        if (devicesPng is not null)
            page.Heading("Accuracy over devices", "each evaluated device on its own test records: mean, 10th to 90th percentile, worst device")
                .Figure(devicesPng, "accuracy over devices per evaluated round");
        if (attack is not null) Attack(page, attack);
        if (summary is { } data) Details(page, data);
        if (files.Count > 0) page.Heading("Files").Links(files.Select(f => (f, f)));
        return page.ToString();
    }

    private static void Summary(HtmlPage page, JsonElement s)
    {
        string status = Text(s, "status") ?? RunStatuses.Completed;
        page.Heading("Summary", $"seed {Text(s, "seed")} · {status}");
        if (status != RunStatuses.Completed)
            page.Paragraph(Text(s, "error") is { } error ? $"The run {status}: {error}" : $"The run was {status}; the figures below cover its finished rounds.", "warn");
        var items = new List<(string, HtmlCell)>
        {
            ("status", HtmlCell.Text(Text(s, "finish_reason") is { } why ? $"{status} ({why})" : status)),
            ("rounds", HtmlCell.Text($"{Text(s, "rounds")} of {Text(s, "rounds_planned")}")),
        };
        if (Text(s, "strategy") is { } strategy) items.Add(("strategy", HtmlCell.Text(strategy)));
        items.Add(("final accuracy", HtmlCell.Text(AtRound(Number(s, "final_accuracy"), Text(s, "final_evaluated_round")))));
        items.Add(("best accuracy", HtmlCell.Text(AtRound(Number(s, "best_accuracy"), Text(s, "best_accuracy_round")))));
        items.Add(("final test loss", HtmlCell.Text(ReportUnits.Number(Number(s, "final_loss")))));
        if (Reached(s) is { Length: > 0 } reached) items.Add(("first round reaching", HtmlCell.Text(reached)));
        items.Add(("simulated time", HtmlCell.Text(ReportUnits.Seconds(Number(s, "total_simulated_seconds")))));
        items.Add(("wall time", HtmlCell.Text(ReportUnits.Seconds(Number(s, "wall_seconds")))));
        items.Add(("traffic", HtmlCell.Text($"{ReportUnits.Bytes(Number(s, "bytes_sent"))} sent, {ReportUnits.Bytes(Number(s, "bytes_received"))} received")));
        items.Add(("devices", HtmlCell.Text($"{ReportUnits.Count((long?)Number(s, "devices"))}, {Text(s, "devices_per_round")} a round; " +
            $"{ReportUnits.Count((long?)Number(s, "participants"))} updates received, {ReportUnits.Count((long?)Number(s, "failed"))} missing")));
        if (s.TryGetProperty("failure_reasons", out var reasons) && reasons.ValueKind == JsonValueKind.Object && reasons.EnumerateObject().Any())
            items.Add(("missing updates", HtmlCell.Text(string.Join("; ", reasons.EnumerateObject().Select(r => $"{r.Name}: {r.Value}")))));
        items.Add(("privacy", HtmlCell.Text(Privacy(s))));
        if (Text(s, "fedsim_version") is { } version) items.Add(("FedSim", HtmlCell.Text(version)));
        page.KeyValues(items);
    }

    /// <summary>The data, the model and compute, and any section this page does not know by name (provenance, for one).</summary>
    private static void Details(HtmlPage page, JsonElement s)
    {
        if (Section(s, "dataset") is { } dataset) page.Heading("Data").Json(dataset);
        if (Section(s, "data_quality") is { } quality) page.Heading("Data quality").Json(quality);
        if (Section(s, "model") is { } model) page.Heading("Model").Json(model);
        if (Section(s, "compute") is { } compute) page.Heading("Compute").Json(compute);
        foreach (var other in s.EnumerateObject().Where(p => p.Value.ValueKind == JsonValueKind.Object && !KnownSections.Contains(p.Name)))
            page.Heading(other.Name.Replace('_', ' ')).Json(other.Value);
    }

    private static void Attack(HtmlPage page, AttackSection attack)
    {
        page.Heading("Membership inference", "one row per attack, threat model and audited round (attack.json); click a column to sort");
        var columns = new List<HtmlColumn>
        {
            new("attack"), new("threat model"), new("round", true), new("members / non-members", true, "records audited on each side"),
            new("AUC [95% CI]", true, "area under the ROC curve with its Hanley–McNeil interval; 0.5 is chance"),
            new("TPR at 0.1% FPR", true, "share of members found while at most 0.1% of non-members are flagged"),
            new("TPR at 1% FPR", true), new("advantage", true, "max TPR − FPR"),
            new("empirical ε", true, "the ε the audit proves at 95% confidence (a lower bound)"),
            new("DP bound", Description: "whether every ROC point stays under e^ε·FPR + δ (at the run's privacy δ), for a run with an ε"),
        };
        var rows = attack.Entries.Select(e => new HtmlRow(
        [
            HtmlCell.Text(e.Attack), HtmlCell.Text(e.ThreatModel), HtmlCell.Number(e.Round.ToString(CultureInfo.InvariantCulture), e.Round),
            HtmlCell.Number($"{ReportUnits.Count(e.Members)} / {ReportUnits.Count(e.NonMembers)}", e.Members + e.NonMembers),
            HtmlCell.Number(string.Create(CultureInfo.InvariantCulture, $"{e.Auc:0.000} [{e.AucInterval[0]:0.000}, {e.AucInterval[1]:0.000}]"), e.Auc),
            HtmlCell.Number(ReportUnits.Percent(e.TprAt01PctFpr), e.TprAt01PctFpr), HtmlCell.Number(ReportUnits.Percent(e.TprAt1PctFpr), e.TprAt1PctFpr),
            HtmlCell.Number(ReportUnits.Number(e.Advantage), e.Advantage), HtmlCell.Number(ReportUnits.Number(e.EmpiricalEpsilon, 2), e.EmpiricalEpsilon),
            HtmlCell.Text(e.DpBound is { } d
                ? $"{(d.Holds ? "holds" : $"violated at {d.Violations} of {d.PointsChecked} points")} (ε = {ReportUnits.Number(d.Epsilon, 2)})"
                : $"n/a: {e.EpsilonBasis}"),
        ])).ToList();
        page.Table(new HtmlTable(columns, rows));
        page.Notes(attack.Entries.Where(e => e.Note is not null).Select(e => $"{e.ThreatModel} {e.Attack} (round {e.Round}): {e.Note}").Distinct());
        if (attack.Entries.Any(e => e.OneRun is not null)) OneRun(page, attack.Entries);
        page.Heading("ROC curves", "the last audit of each attack, log-log; the dash-dotted line, where drawn, is the DP bound e^ε·FPR + δ")
            .Figure(attack.RocPng, "membership inference ROC curves");
    }

    /// <summary>The one-run audits (Steinke, Nasr and Jagielski 2023): the tally on the canaries and the ε it proves beside the accountant's.</summary>
    private static void OneRun(HtmlPage page, IReadOnlyList<AttackEntry> entries)
    {
        page.Heading("One-run audit", "canaries each included by a fair coin; guesses from the released model; the ε lower bound of Steinke, Nasr and Jagielski (2023) from this one run");
        var columns = new List<HtmlColumn>
        {
            new("round", true), new("unit", Description: "what one canary is: a record (DP-SGD's unit) or a whole device (DP-FedAvg's)"),
            new("canaries (included)", true), new("guesses k+ / k−", true, "canaries guessed included (best fitted) and left out (worst fitted)"),
            new("correct", true), new("ε lower bound", true, "the largest ε whose (ε, δ) claim the tally rejects, over the whole search of guess counts"),
            new("ε (accountant)", true, "the ε of the mechanism that protects the canaries' unit; the lower bound must not exceed it"),
        };
        var rows = entries.Where(e => e.OneRun is not null).Select(e =>
        {
            var r = e.OneRun!;
            return new HtmlRow(
            [
                HtmlCell.Number(e.Round.ToString(CultureInfo.InvariantCulture), e.Round), HtmlCell.Text(r.Unit),
                HtmlCell.Number($"{ReportUnits.Count(r.Canaries)} ({ReportUnits.Count(r.Included)})", r.Canaries),
                HtmlCell.Number($"{ReportUnits.Count(r.PositiveGuesses)} / {ReportUnits.Count(r.NegativeGuesses)}", r.PositiveGuesses + r.NegativeGuesses),
                HtmlCell.Number($"{ReportUnits.Count(r.Correct)} of {ReportUnits.Count(r.PositiveGuesses + r.NegativeGuesses)}", r.Correct),
                HtmlCell.Number(ReportUnits.Number(r.EpsilonLowerBound, 3), r.EpsilonLowerBound),
                r.Epsilon is { } eps ? HtmlCell.Number(ReportUnits.Number(eps, 3), eps) : HtmlCell.Text($"n/a: {e.EpsilonBasis}"),
            ]);
        }).ToList();
        page.Table(new HtmlTable(columns, rows));
    }

    /// <summary>The files a report links to, in reading order; those absent from the folder are left out by the caller.</summary>
    private static IEnumerable<string> FileNames(bool attack)
    {
        var run = ResultsFolder.RunFileNames.Where(f => f != FileName);
        return attack ? run.Concat([AttackResults.JsonFileName, AttackResults.DevicesFileName, RocPlot.FileName, AttackResults.AuditSetsFolder + "/"]) : run;
    }

    private static string Privacy(JsonElement s)
    {
        if (Section(s, "privacy") is not { } p) return "none";
        string mechanism = Text(p, "mechanism") ?? "";
        string spent = Number(p, "epsilon") is { } epsilon
            ? $"ε = {ReportUnits.Number(epsilon, 2)} at δ = {ReportUnits.Probability(Number(p, "delta"))}" : "no ε (nothing spends one)";
        string budget = Number(p, "epsilon_budget") is { } b ? $", budget ε = {ReportUnits.Number(b, 2)}" : "";
        string local = Number(p, "local_epsilon") is { } l ? $", largest device's local ε = {ReportUnits.Number(l, 2)}" : "";
        return $"{mechanism}: {spent}{budget}{local}";
    }

    private static string AtRound(double? accuracy, string? round)
        => accuracy is null ? ReportUnits.Missing : $"{ReportUnits.Percent(accuracy)} (round {round})";

    /// <summary>"50 %: round 3, 80 %: round 12, 90 %: not reached".</summary>
    private static string Reached(JsonElement s)
    {
        if (Section(s, "first_round_reaching") is not { } reaching) return "";
        return string.Join(", ", reaching.EnumerateObject().Select(p =>
        {
            string level = double.TryParse(p.Name, NumberStyles.Float, CultureInfo.InvariantCulture, out double t) ? ReportUnits.Level(t) : p.Name;
            return p.Value.ValueKind == JsonValueKind.Number ? $"{level}: round {p.Value}" : $"{level}: not reached";
        }));
    }

    private static JsonElement? Section(JsonElement s, string name)
        => s.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Object ? v : null;

    private static string? Text(JsonElement s, string name) => s.TryGetProperty(name, out var v) ? v.ValueKind switch
    {
        JsonValueKind.String => v.GetString(),
        JsonValueKind.Number or JsonValueKind.True or JsonValueKind.False => v.GetRawText(),
        _ => null,
    } : null;

    private static double? Number(JsonElement s, string name)
        => s.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetDouble() : null;
}
