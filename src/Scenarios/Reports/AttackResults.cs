using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using FedSim.Attacks.Auditing;
using FedSim.Attacks.Inference;

namespace FedSim.Scenarios.Reports;

/// <summary>The DP bound check of one audit as attack.json writes it.</summary>
public sealed record DpBoundEntry(
    [property: JsonPropertyName("epsilon")] double Epsilon,
    [property: JsonPropertyName("delta")] double Delta,
    [property: JsonPropertyName("holds")] bool Holds,
    [property: JsonPropertyName("points_checked")] int PointsChecked,
    [property: JsonPropertyName("violations")] int Violations,
    [property: JsonPropertyName("point_estimate_exceedances")] int PointEstimateExceedances);

/// <summary>
/// A one-run audit's own figures in its attack.json entry (Steinke, Nasr and Jagielski 2023): its canaries and their
/// unit, the guess counts that proved most, the tally, and the ε lower bound beside the accountant's ε of the canaries'
/// unit (<see cref="AttackEntry.Epsilon"/>).
/// </summary>
public sealed record OneRunEntry(
    [property: JsonPropertyName("unit")] string Unit,
    [property: JsonPropertyName("canaries")] int Canaries,
    [property: JsonPropertyName("included")] int Included,
    [property: JsonPropertyName("positive_guesses")] int PositiveGuesses,
    [property: JsonPropertyName("negative_guesses")] int NegativeGuesses,
    [property: JsonPropertyName("correct")] int Correct,
    [property: JsonPropertyName("pairs_searched")] int PairsSearched,
    [property: JsonPropertyName("confidence")] double Confidence,
    [property: JsonPropertyName("delta")] double Delta,
    [property: JsonPropertyName("epsilon_lower_bound")] double EpsilonLowerBound,
    [property: JsonPropertyName("epsilon")] double? Epsilon,
    [property: JsonPropertyName("below_epsilon")] bool? BelowEpsilon);

/// <summary>
/// One entry of attack.json: one attack, threat model and audited round. <see cref="Epsilon"/> is the ε of the DP
/// mechanism that covers this threat model's view (null when none does, <see cref="EpsilonBasis"/> saying why), and
/// <see cref="DpBound"/> checks the audit against it.
/// </summary>
public sealed record AttackEntry(
    [property: JsonPropertyName("attack")] string Attack,
    [property: JsonPropertyName("threat_model")] string ThreatModel,
    [property: JsonPropertyName("attacker")] int Attacker,
    [property: JsonPropertyName("round")] int Round,
    [property: JsonPropertyName("members")] int Members,
    [property: JsonPropertyName("non_members")] int NonMembers,
    [property: JsonPropertyName("auc")] double Auc,
    [property: JsonPropertyName("auc_interval_95")] double[] AucInterval,
    [property: JsonPropertyName("tpr_at_0_1pct_fpr")] double TprAt01PctFpr,
    [property: JsonPropertyName("tpr_at_1pct_fpr")] double TprAt1PctFpr,
    [property: JsonPropertyName("advantage")] double Advantage,
    [property: JsonPropertyName("balanced_accuracy")] double BalancedAccuracy,
    [property: JsonPropertyName("empirical_epsilon_lower_bound")] double EmpiricalEpsilon,
    [property: JsonPropertyName("delta")] double Delta,
    [property: JsonPropertyName("dp_bound")] DpBoundEntry? DpBound,
    [property: JsonPropertyName("note")] string? Note,
    [property: JsonPropertyName("epsilon")] double? Epsilon,
    [property: JsonPropertyName("epsilon_basis")] string EpsilonBasis,
    [property: JsonPropertyName("tpr_at_fpr_convention")] string TprAtFprConvention,
    [property: JsonPropertyName("one_run"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] OneRunEntry? OneRun = null);

/// <summary>
/// What <c>fedsim attack</c> writes beside the usual results: attack.json (one entry per attack, threat model and
/// audited round), attack_devices.csv (which devices leak most), roc.png (the last audit of each attack, log-log),
/// audit_sets/ (the audited records and their truth, one CSV per attacker and round) and report.html (the run's
/// report with the attack table and the ROC figure), plus the console table.
/// </summary>
public static class AttackResults
{
    public const string JsonFileName = "attack.json";
    public const string DevicesFileName = "attack_devices.csv";
    public const string AuditSetsFolder = "audit_sets";
    public const string DevicesHeader = "attack,threat_model,attacker,round,device,scope,members,non_members,auc,tpr_at_1pct_fpr,advantage";

    /// <summary>Members and non-members a device needs in an audit for its own row in attack_devices.csv.</summary>
    public const int MinPerDeviceSide = 5;

    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    /// <summary>Writes every file into <paramref name="directory"/>; returns the paths written.</summary>
    public static IReadOnlyList<string> Write(string directory, string title, IReadOnlyList<AuditRecord> audits)
    {
        var written = new List<string>();
        string json = Path.Combine(directory, JsonFileName);
        AtomicFile.WriteAllText(json, Json(audits));
        written.Add(json);
        string devices = Path.Combine(directory, DevicesFileName);
        AtomicFile.WriteAllText(devices, DevicesCsv(audits));
        written.Add(devices);
        string roc = Path.Combine(directory, RocPlot.FileName);
        byte[] rocPng = RocPlot.Render(Curves(audits), title);
        AtomicFile.WriteAllBytes(roc, rocPng);
        written.Add(roc);
        string sets = Path.Combine(directory, AuditSetsFolder);
        Directory.CreateDirectory(sets);
        foreach (var audit in Headline(audits).GroupBy(a => (a.Attacker, a.ThreatModel, a.Round)).Select(g => g.First()))
        {
            string path = Path.Combine(sets, string.Create(Inv, $"attacker{audit.Attacker}-{audit.ThreatModel}-round{audit.Round}.csv"));
            AtomicFile.WriteAllText(path, AuditSetText(audit));
            written.Add(path);
        }
        written.Add(RunReport.Write(directory, new AttackSection(Entries(audits), rocPng)));
        return written;
    }

    /// <summary>The headline audits: everything but the per-device ones (those go to attack_devices.csv).</summary>
    public static IEnumerable<AuditRecord> Headline(IEnumerable<AuditRecord> audits)
        => audits.Where(a => a.Device is null).OrderBy(a => a.Attacker).ThenBy(a => a.Round);

    public static IReadOnlyList<AttackEntry> Entries(IEnumerable<AuditRecord> audits) => Headline(audits).Select(a =>
    {
        var m = a.Metrics;
        var dp = a.Dp is { } d ? new DpBoundEntry(d.Epsilon, d.Delta, d.Holds, d.PointsChecked, d.Violations, d.PointEstimateExceedances) : null;
        return new AttackEntry(a.Attack, a.ThreatModel, a.Attacker, a.Round, m.Members, m.NonMembers, m.Auc, [a.AucLower, a.AucUpper],
            m.TprAt0_1PctFpr, m.TprAt1PctFpr, m.Advantage, m.BalancedAccuracy, a.EmpiricalEpsilon, a.Delta, dp, a.Note,
            a.Guarantee.Epsilon, a.Guarantee.Basis, RocCurve.TprAtFprConvention, OneRun(a));
    }).ToArray();

    private static OneRunEntry? OneRun(AuditRecord a) => a.OneRun is not { } r ? null : new OneRunEntry(r.Unit ?? OneRunAuditUnits.Record, r.Canaries, r.Included, r.PositiveGuesses, r.NegativeGuesses, r.Correct, r.PairsSearched, r.Confidence, r.Delta, r.EpsilonLowerBound,
        a.Guarantee.Epsilon, a.Guarantee.Epsilon is { } eps ? r.EpsilonLowerBound <= eps : null);

    public static string Json(IEnumerable<AuditRecord> audits) => JsonSerializer.Serialize(Entries(audits), SummaryJson.Options) + "\n";

    /// <summary>
    /// One row per (audit, device): a server's single-device audits as they are (scope "own update"), and every other
    /// audit broken down by the device that holds each record (scope "global model"), for devices with at least
    /// <see cref="MinPerDeviceSide"/> records on each side. Sorted by round, then most leaking first.
    /// </summary>
    public static string DevicesCsv(IEnumerable<AuditRecord> audits)
    {
        var rows = new List<(AuditRecord Audit, long Device, string Scope, MembershipMetrics Metrics)>();
        foreach (var a in audits)
        {
            if (a.Device is { } own)
            {
                rows.Add((a, own, "own update", a.Metrics));
                continue;
            }
            if (a.Note is { } note && note.StartsWith("single updates", StringComparison.Ordinal)) continue; // its devices have rows of their own
            foreach (var group in Enumerable.Range(0, a.Scores.Length).GroupBy(i => a.Devices[i]))
            {
                var idx = group.ToArray();
                int members = idx.Count(i => a.IsMember[i]);
                if (members < MinPerDeviceSide || idx.Length - members < MinPerDeviceSide) continue;
                var metrics = MembershipMetrics.Of(new AuditScores(idx.Select(i => a.Scores[i]).ToArray(), idx.Select(i => a.IsMember[i]).ToArray()));
                rows.Add((a, group.Key, a.ThreatModel == ThreatModels.Server ? "aggregate" : "global model", metrics));
            }
        }
        var sb = new StringBuilder(DevicesHeader).Append('\n');
        foreach (var (a, device, scope, m) in rows.OrderBy(r => r.Audit.Round).ThenBy(r => r.Audit.Attacker).ThenBy(r => r.Audit.Attack, StringComparer.Ordinal)
                     .ThenByDescending(r => r.Metrics.Auc).ThenBy(r => r.Device))
            sb.Append(string.Create(Inv, $"{a.Attack},{a.ThreatModel},{a.Attacker},{a.Round},{device},{scope},{m.Members},{m.NonMembers},")
                  ).Append(MetricsCsv.Num(m.Auc)).Append(',').Append(MetricsCsv.Num(m.TprAt1PctFpr)).Append(',').Append(MetricsCsv.Num(m.Advantage)).Append('\n');
        return sb.ToString();
    }

    /// <summary>The ROC of each attack's last audit (per attacker), named for the legend.</summary>
    public static IReadOnlyList<RocSeries> Curves(IEnumerable<AuditRecord> audits) => Headline(audits)
        .GroupBy(a => (a.Attacker, a.Attack))
        .Select(g => g.MaxBy(a => a.Round)!)
        .Select(a => new RocSeries($"{a.ThreatModel} {a.Attack} (r{a.Round})", RocCurve.From(a.ToScores()), a.Dp?.Epsilon, a.Dp?.Delta ?? 0))
        .ToArray();

    public static string AuditSetText(AuditRecord audit)
    {
        var examples = audit.Records.Select((r, i) => new AuditExample(r, audit.IsMember[i], audit.Devices[i])).OrderBy(e => e.Index);
        var writer = new StringWriter(Inv) { NewLine = "\n" };
        AuditSetCsv.Write(writer, examples);
        return writer.ToString();
    }

    /// <summary>The console table: one line per headline audit, then the devices that leak most in the last audited round.</summary>
    public static string Table(IReadOnlyList<AuditRecord> audits)
    {
        var entries = Entries(audits);
        var header = new[] { "attack", "threat", "round", "members", "non-members", "AUC [95% CI]", "TPR@0.1%FPR", "TPR@1%FPR", "advantage", "eps lower bound", "DP bound" };
        var lines = entries.Select(e => new[]
        {
            e.Attack, e.ThreatModel, e.Round.ToString(Inv), e.Members.ToString(Inv), e.NonMembers.ToString(Inv),
            string.Create(Inv, $"{e.Auc:F3} [{e.AucInterval[0]:F3}, {e.AucInterval[1]:F3}]"),
            string.Create(Inv, $"{e.TprAt01PctFpr:P2}"), string.Create(Inv, $"{e.TprAt1PctFpr:P2}"), string.Create(Inv, $"{e.Advantage:F3}"),
            string.Create(Inv, $"{e.EmpiricalEpsilon:F2}"),
            e.DpBound is { } d ? string.Create(Inv, $"{(d.Holds ? "holds" : "VIOLATED")} (eps {d.Epsilon:F2})") : "n/a",
        }).ToList();
        var widths = header.Select((h, c) => lines.Select(l => l[c].Length).Append(h.Length).Max()).ToArray();
        var sb = new StringBuilder();
        void Line(string[] cells) => sb.Append(string.Join("  ", cells.Select((c, i) => i < 2 ? c.PadRight(widths[i]) : c.PadLeft(widths[i])))).Append('\n');
        Line(header);
        foreach (var l in lines) Line(l);
        foreach (var note in entries.Where(e => e.Note is not null).Select(e => $"{e.ThreatModel} {e.Attack}: {e.Note}").Distinct())
            sb.Append("note: ").Append(note).Append('\n');
        // Say once per threat model why its DP bound is n/a, where a DP run leaves its view uncovered.
        if (entries.Any(e => e.Epsilon is not null))
            foreach (var uncovered in entries.Where(e => e.Epsilon is null).Select(e => $"{e.ThreatModel}: DP bound n/a: {e.EpsilonBasis}").Distinct())
                sb.Append("note: ").Append(uncovered).Append('\n');
        sb.Append(OneRunTable(entries));
        return sb.ToString();
    }

    /// <summary>The one-run audits' own table (empty without one): the tally and its ε lower bound beside the accountant's ε.</summary>
    public static string OneRunTable(IReadOnlyList<AttackEntry> entries)
    {
        var audits = entries.Where(e => e.OneRun is not null).ToList();
        if (audits.Count == 0) return "";
        var header = new[] { "attacker", "round", "unit", "canaries (in)", "guesses k+/k-", "correct", "eps lower bound", "eps (accountant)" };
        var lines = audits.Select(e =>
        {
            var r = e.OneRun!;
            return new[]
            {
                e.Attacker.ToString(Inv), e.Round.ToString(Inv), r.Unit, string.Create(Inv, $"{r.Canaries} ({r.Included})"),
                string.Create(Inv, $"{r.PositiveGuesses}/{r.NegativeGuesses}"), string.Create(Inv, $"{r.Correct}/{r.PositiveGuesses + r.NegativeGuesses}"),
                string.Create(Inv, $"{r.EpsilonLowerBound:F3}"),
                r.Epsilon is { } eps ? string.Create(Inv, $"{eps:F3}{(r.BelowEpsilon == true ? "" : "  EXCEEDED")}") : "n/a",
            };
        }).ToList();
        var widths = header.Select((h, c) => lines.Select(l => l[c].Length).Append(h.Length).Max()).ToArray();
        var confidence = audits.Select(e => e.OneRun!.Confidence).Distinct().Select(c => c.ToString("P0", Inv));
        var sb = new StringBuilder("\n").Append(string.Create(Inv,
            $"One-run audit (Steinke, Nasr and Jagielski 2023; ε lower bound at {string.Join("/", confidence)} confidence, δ = the accountant's):\n"));
        void Line(string[] cells) => sb.Append(string.Join("  ", cells.Select((c, i) => i == 2 ? c.PadRight(widths[i]) : c.PadLeft(widths[i])))).Append('\n');
        Line(header);
        foreach (var l in lines) Line(l);
        foreach (var gap in audits.Where(e => e.Epsilon is null).Select(e => e.EpsilonBasis).Distinct())
            sb.Append("note: one-run eps (accountant) n/a: ").Append(gap).Append('\n');
        return sb.ToString();
    }
}
