using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using FedSim.Attacks.Inference;
using FedSim.Components;

namespace FedSim.Attacks.Auditing;

/// <summary>What a one-run audit's canaries are, and so which DP guarantee their inclusion tests.</summary>
public static class OneRunAuditUnits
{
    /// <summary>Device-level under central DP alone (what DP-FedAvg protects), record-level otherwise.</summary>
    public const string Auto = "auto";

    /// <summary>One canary = one record inserted into a training device's shard (what DP-SGD protects).</summary>
    public const string Record = "record";

    /// <summary>One canary = one whole device of canary records, in the federation or not (what DP-FedAvg protects).</summary>
    public const string Device = "device";
}

/// <summary>
/// The one-run audit (Steinke, Nasr and Jagielski 2023, "Privacy Auditing with One (1) Training Run"): m canaries that
/// are not in the dataset, each included in the training by an independent fair coin, the rest kept out; after an
/// audited round the auditor queries the released model on every canary (black box, as an outsider), guesses the coins
/// of the k+ canaries it is surest were included and the k− it is surest were not, and turns the number of right
/// guesses into the ε lower bound of their theorem (<see cref="OneRunAuditBound"/>). The coin must decide the presence
/// of the unit the guarantee protects: one record under DP-SGD, one whole device under DP-FedAvg (<see cref="Unit"/>).
/// </summary>
[ComponentKind(OneRunAuditOptions.KindName, Order = 3), GenerateSerializer]
[Description("One-run audit (Steinke, Nasr and Jagielski 2023): canaries each included with probability 1/2, guesses on them from the released model, and the ε lower bound their theorem gives from this one training run.")]
public sealed class OneRunAuditOptions : AttackerOptions
{
    /// <summary>The value of <c>attacks[].kind</c> and of <c>attack</c> in attack.json.</summary>
    public const string KindName = "one-run";

    [Id(0), Description("m: canaries, each included by its own fair coin (records, or devices with unit: device).")]
    [Range(2, 100_000)]
    public int Canaries { get; set; } = 1000;

    [Id(1), Description("What one canary is: record (a record in a training device's shard: the unit DP-SGD protects), device (a whole device of canary records: the unit DP-FedAvg protects) or auto (device under central DP alone, else record).")]
    [AllowedValues(OneRunAuditUnits.Auto, OneRunAuditUnits.Record, OneRunAuditUnits.Device)]
    public string Unit { get; set; } = OneRunAuditUnits.Auto;

    [Id(2), Description("unit: record: the device whose shard takes every included canary (-1: each canary's own device, drawn from the seed).")]
    [Range(-1, long.MaxValue)]
    public long CanaryHolder { get; set; } = -1;

    [Id(3), Description("unit: device: canary records each canary device holds (its whole shard).")]
    [Range(1, 10_000)]
    public int RecordsPerDevice { get; set; } = 1;

    [Id(4), Description("k+: guess 'included' for the k+ canaries the released model fits best; every pair of a listed k+ and k− is tried, with a Bonferroni correction (empty: 0 and 1, 2, 5, 10, 20, 50 % of the canaries).")]
    public int[] PositiveGuesses { get; set; } = [];

    [Id(5), Description("k−: guess 'left out' for the k− canaries it fits worst (empty: 0 and 1, 2, 5, 10, 20, 50 % of the canaries).")]
    public int[] NegativeGuesses { get; set; } = [];

    [Id(6), Description("Confidence of the ε lower bound (over the whole search of guess counts).")]
    [Range(0.5, 1.0, MaximumIsExclusive = true)]
    public double Confidence { get; set; } = 0.95;

    protected override string[] Chosen => [];

    /// <summary>Whether it needs the audit hold-out: no, its canaries are records outside the dataset.</summary>
    public override bool UsesAuditHoldout => false;

    /// <summary>k+ values searched.</summary>
    public IReadOnlyList<int> PositiveSearched => PositiveGuesses.Length > 0 ? PositiveGuesses : OneRunAuditBound.DefaultGuessCounts(Canaries);

    /// <summary>k− values searched.</summary>
    public IReadOnlyList<int> NegativeSearched => NegativeGuesses.Length > 0 ? NegativeGuesses : OneRunAuditBound.DefaultGuessCounts(Canaries);

    /// <summary><see cref="Unit"/> with auto resolved: device under central DP without local DP, else record.</summary>
    public string UnitFor(bool centralDp, bool localDp)
        => Unit != OneRunAuditUnits.Auto ? Unit : centralDp && !localDp ? OneRunAuditUnits.Device : OneRunAuditUnits.Record;

    public override IEnumerable<ComponentFinding> Check(AttackerFacts facts, string path)
    {
        string unit = UnitFor(facts.CentralDp, facts.LocalDp);
        if (unit == OneRunAuditUnits.Device && Canaries >= facts.Devices)
            yield return new($"{path}.canaries",
                $"{path}.canaries is {Canaries}, but with unit: device each canary is one of the {facts.Devices} devices (its own records set aside); give fewer canaries than devices, or more devices");
        if (unit == OneRunAuditUnits.Record && CanaryHolder >= facts.Devices)
            yield return new($"{path}.canary_holder", $"{path}.canary_holder is {CanaryHolder}, but devices are numbered 0..{facts.Devices - 1}; pick one of them or -1");
        foreach (var (key, counts) in new[] { ("positive_guesses", PositiveGuesses), ("negative_guesses", NegativeGuesses) })
        {
            var outside = counts.Where(k => k < 0 || k > Canaries).ToArray();
            if (outside.Length > 0) yield return new($"{path}.{key}", $"{path}.{key} has {outside[0]}; guess counts lie in 0..canaries ({Canaries})");
        }
        if (!PositiveSearched.Any(k => NegativeSearched.Any(l => k + l > 0 && k + l <= Canaries)))
            yield return new($"{path}.positive_guesses",
                $"no pair of guess counts has 0 < k+ + k− ≤ canaries ({Canaries}); give a positive guess count of at least 1");
    }
}
