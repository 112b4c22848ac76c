using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using FedSim.Components;

namespace FedSim.Strategies.Aggregators;

/// <summary>
/// Multi-Krum (Blanchard et al. 2017, Section 4): score every update as Krum does, then average the m updates with
/// the lowest scores, unweighted. m = 1 is Krum; m = n − f (the default) keeps every update Krum cannot rule out.
/// </summary>
[ComponentKind("multi-krum", Order = 4), GenerateSerializer]
[Description("Multi-Krum (Blanchard et al. 2017): unweighted mean of the m updates with the lowest Krum scores; needs n ≥ 2f + 3.")]
public sealed class MultiKrumOptions : AggregatorOptions
{
    [Id(0), Description("Byzantine updates f to tolerate per round; empty means the Byzantine clients expected per round (byzantine.fraction × devices_per_round).")]
    [Range(0, int.MaxValue)]
    public int? F { get; set; }

    [Id(1), Description("Updates averaged, m (1 = Krum); empty means n − f of the updates that arrived.")]
    [Range(1, int.MaxValue)]
    public int? M { get; set; }

    public override IAggregator Create(int assumedByzantine) => new MultiKrumAggregator(F ?? assumedByzantine, M);

    public override IEnumerable<ComponentFinding> Check(string path, int cohort, int assumedByzantine)
    {
        var findings = KrumAggregator.CheckTolerance("multi-krum", path, F, cohort, assumedByzantine, multiplier: 2).ToList();
        int f = F ?? assumedByzantine;
        if (findings.Count == 0 && M is { } m && m > cohort - f)
            findings.Add(new ComponentFinding($"{path}.m",
                $"multi-krum averages m = {m} updates, but only n − f = {cohort} − {f} = {cohort - f} per round are not ruled out as Byzantine: " +
                $"lower {path}.m to ≤ {cohort - f} (or leave it empty for n − f)"));
        return findings;
    }
}

/// <summary>
/// Multi-Krum's selection and mean. With dropouts, f is lowered as in <see cref="KrumAggregator"/> (reported as
/// <c>multikrum_f</c>) and m to at most n − f (reported as <c>multikrum_m</c>); fewer than 3 updates add nothing
/// (<c>multikrum_skipped</c> = 1).
/// </summary>
public sealed class MultiKrumAggregator : IAggregator
{
    public const string FMetric = "multikrum_f";
    public const string MMetric = "multikrum_m";
    public const string SkippedMetric = "multikrum_skipped";

    private readonly int _f;
    private readonly int? _m;

    public MultiKrumAggregator(int f, int? m = null)
    {
        _f = f >= 0 ? f : throw new ArgumentOutOfRangeException(nameof(f), f, "f must be ≥ 0");
        _m = m is null or >= 1 ? m : throw new ArgumentOutOfRangeException(nameof(m), m, "m must be ≥ 1");
    }

    public AggregationResult Aggregate(AggregationInput input)
    {
        var results = input.Results;
        if (results.Count == 0) return AggregationResult.Nothing;
        if (results.Count < KrumAggregator.MinimumUpdates) return KrumAggregator.Skipped(SkippedMetric);
        int n = results.Count;
        int f = Math.Min(_f, KrumAggregator.TolerableF(n));
        int m = Math.Min(_m ?? n - f, n - f);
        var deltas = results.Select(r => r.Delta).ToList();
        // The chosen ones in device order, so the mean's summation order never depends on the scores' ties.
        var chosen = KrumAggregator.Ranking(KrumAggregator.Scores(deltas, f)).Take(m).Order().ToArray();
        var update = AggregationMath.Mean(chosen.Select(i => deltas[i]).ToList());
        return new AggregationResult(update, chosen.Select(i => results[i].DeviceId).ToArray(), new Dictionary<string, double>
        {
            [FMetric] = f,
            [MMetric] = m,
            [SkippedMetric] = 0,
        });
    }
}
