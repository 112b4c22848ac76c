using System.Text.Json.Nodes;
using FedSim.Attacks.Auditing;
using FedSim.Attacks.Inference;
using FedSim.Scenarios.Reports;

namespace FedSim.Tests.Reports;

public sealed class AttackResultsTests
{
    /// <summary>Records 0..59 of devices 0..2 (20 each): even records members; scores that favour members by <paramref name="edge"/>.</summary>
    private static AuditRecord Audit(string attack, string threat, int round, double edge, long? device = null, string? note = null, double? epsilon = null)
    {
        var examples = Enumerable.Range(0, 60).Select(i => new AuditExample(i, i % 2 == 0, device is { } d ? (int)d : i / 20)).ToArray();
        var scores = examples.Select(e => (e.IsMember ? edge : 0) + (e.Index % 7) * 0.1).ToArray();
        var guarantee = epsilon is null ? new ViewGuarantee(null, null, "no DP mechanism is on") : new ViewGuarantee(epsilon, 1e-5, "central DP");
        return AuditJudge.Judge(attack, threat, threat == ThreatModels.Server ? 1 : 0, round, examples, scores, guarantee, 1e-5, device, note);
    }

    private static readonly AuditRecord[] Audits =
    [
        Audit(AttackNames.Loss, ThreatModels.Outsider, 10, 0.3),
        Audit(AttackNames.LiraOnline, ThreatModels.Outsider, 10, 0.6, epsilon: 4),
        Audit(AttackNames.Loss, ThreatModels.Outsider, 5, 0.1),
        Audit(AttackNames.Update, ThreatModels.Server, 10, 1.0, device: 2),
        Audit(AttackNames.Update, ThreatModels.Server, 10, 0.2, device: 1),
        Audit(AttackNames.Update, ThreatModels.Server, 10, 0.6, note: "single updates of 2 devices, each record scored on its own device's update"),
    ];

    [Fact]
    public void Attack_json_has_one_entry_per_attack_threat_model_and_round_with_the_required_figures()
    {
        // Execute
        var entries = JsonNode.Parse(AttackResults.Json(Audits))!.AsArray();

        // Assert: per-device audits are not headline entries; rounds in order per attacker.
        Assert.Equal(4, entries.Count);
        Assert.Equal([(0, 5), (0, 10), (0, 10), (1, 10)], entries.Select(e => ((int)e!["attacker"]!, (int)e["round"]!)));
        foreach (var key in new[] { "attack", "threat_model", "round", "members", "non_members", "auc", "tpr_at_0_1pct_fpr", "tpr_at_1pct_fpr",
                     "advantage", "balanced_accuracy", "auc_interval_95", "empirical_epsilon_lower_bound", "delta", "dp_bound", "note" })
            Assert.All(entries, e => Assert.True(e!.AsObject().ContainsKey(key), $"attack.json entry lacks '{key}'"));
        var lira = entries.Single(e => (string)e!["attack"]! == AttackNames.LiraOnline)!;
        Assert.Equal(Audits[1].Metrics.Auc, (double)lira["auc"]!);
        Assert.Equal(30, (int)lira["members"]!);
        Assert.Equal(4.0, (double)lira["dp_bound"]!["epsilon"]!);
        Assert.Null(entries[0]!["dp_bound"]);
        Assert.True((double)lira["auc"]! > (double)entries[1]!["auc"]!, "the stronger score must have the higher AUC: member is the positive class");
    }

    [Fact]
    public void Attack_devices_lists_own_update_audits_and_breaks_the_others_down_by_device_most_leaking_first()
    {
        // Execute
        var lines = AttackResults.DevicesCsv(Audits).TrimEnd('\n').Split('\n');

        // Assert
        Assert.Equal(AttackResults.DevicesHeader, lines[0]);
        var rows = lines[1..].Select(l => l.Split(',')).ToArray();
        var serverRows = rows.Where(r => r[1] == ThreatModels.Server).ToArray();
        Assert.Equal(["2", "1"], serverRows.Select(r => r[4]));            // most leaking first
        Assert.All(serverRows, r => Assert.Equal("own update", r[5]));       // the pooled server audit adds no rows
        Assert.Equal(3, rows.Count(r => r[0] == AttackNames.Loss && r[3] == "10"));  // one per device holding 10 + 10 records
        Assert.All(rows.Where(r => r[1] == ThreatModels.Outsider), r => Assert.Equal("global model", r[5]));
        Assert.Equal(["5", "10"], rows.Select(r => r[3]).Distinct());
    }

    [Fact]
    public void Write_leaves_the_json_the_devices_csv_the_roc_plot_and_one_audit_set_per_attacker_and_round()
    {
        // Prepare
        string dir = Path.Combine(Path.GetTempPath(), "fedsim-attack-results-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        try
        {
            // Execute
            AttackResults.Write(dir, "test", Audits);

            // Assert
            Assert.True(File.Exists(Path.Combine(dir, AttackResults.JsonFileName)));
            Assert.True(File.Exists(Path.Combine(dir, AttackResults.DevicesFileName)));
            Assert.True(new FileInfo(Path.Combine(dir, RocPlot.FileName)).Length > 1000);
            var sets = Directory.GetFiles(Path.Combine(dir, AttackResults.AuditSetsFolder)).Select(f => Path.GetFileName(f)!).Order().ToArray();
            Assert.Equal(["attacker0-outsider-round10.csv", "attacker0-outsider-round5.csv", "attacker1-server-round10.csv"], sets);
            var set = File.ReadAllLines(Path.Combine(dir, AttackResults.AuditSetsFolder, "attacker0-outsider-round10.csv"));
            Assert.Equal(AuditSetCsv.Header, set[0]);
            Assert.Equal(61, set.Length);
            Assert.Equal("0,1,0", set[1]);
            Assert.Equal("1,0,0", set[2]);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void The_roc_plot_shows_each_attacks_last_audit_and_the_table_one_line_per_entry()
    {
        // Execute
        var curves = AttackResults.Curves(Audits);
        string table = AttackResults.Table(Audits);

        // Assert
        Assert.Equal(["outsider loss (r10)", "outsider lira-online (r10)", "server update (r10)"], curves.Select(c => c.Name));
        var lines = table.TrimEnd('\n').Split('\n');
        Assert.StartsWith("attack", lines[0]);
        Assert.Equal(4, lines.Count(l => l.StartsWith("loss") || l.StartsWith("lira-online") || l.StartsWith("update")));
        Assert.Contains(lines, l => l.StartsWith("lira-online") && l.Contains("holds (eps 4.00)"));
        Assert.Contains("note: server update: single updates of 2 devices", table);
    }
}
