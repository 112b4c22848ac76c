using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using System.Runtime.CompilerServices;
using FedSim.Components;

namespace FedSim.Strategies.Aggregators;

/// <summary>
/// Krum (Blanchard et al. 2017, "Machine Learning with Adversaries: Byzantine Tolerant Gradient Descent"): each
/// update's score is the sum of squared distances to its n − f − 2 nearest other updates; the update with the
/// lowest score is the aggregate, unweighted. Tolerates f Byzantine updates when n ≥ 2f + 3.
/// </summary>
[ComponentKind("krum", Order = 3), GenerateSerializer]
[Description("Krum (Blanchard et al. 2017): the one update closest to its n − f − 2 nearest neighbours, unweighted; needs n ≥ 2f + 3.")]
public sealed class KrumOptions : AggregatorOptions
{
    [Id(0), Description("Byzantine updates f to tolerate per round; empty means the Byzantine clients expected per round (byzantine.fraction × devices_per_round).")]
    [Range(0, int.MaxValue)]
    public int? F { get; set; }

    public override IAggregator Create(int assumedByzantine) => new KrumAggregator(F ?? assumedByzantine);

    public override IEnumerable<ComponentFinding> Check(string path, int cohort, int assumedByzantine)
        => KrumAggregator.CheckTolerance("krum", path, F, cohort, assumedByzantine, multiplier: 2);
}

/// <summary>
/// Krum's selection. With fewer updates than n ≥ 2f + 3 needs (dropouts), f is lowered to ⌊(n − 3)/2⌋, the most n
/// updates can tolerate, and reported as <c>krum_f</c>; with fewer than 3 updates every score ties, so the round
/// adds nothing (<c>krum_skipped</c> = 1). Ties between scores go to the lower device id (results arrive sorted).
/// </summary>
public sealed class KrumAggregator : IAggregator
{
    public const string FMetric = "krum_f";
    public const string SkippedMetric = "krum_skipped";
    public const string SelectedMetric = "krum_selected_device";

    /// <summary>Fewer updates than this leave Krum's scores all equal (no neighbours to compare).</summary>
    public const int MinimumUpdates = 3;

    private readonly int _f;

    public KrumAggregator(int f) => _f = f >= 0 ? f : throw new ArgumentOutOfRangeException(nameof(f), f, "f must be ≥ 0");

    public AggregationResult Aggregate(AggregationInput input)
    {
        var results = input.Results;
        if (results.Count == 0) return AggregationResult.Nothing;
        if (results.Count < MinimumUpdates) return Skipped(SkippedMetric);
        int f = Math.Min(_f, TolerableF(results.Count));
        var scores = Scores(results.Select(r => r.Delta).ToList(), f);
        int best = Best(scores);
        var chosen = results[best];
        var update = Array.ConvertAll(chosen.Delta, v => (double)v);
        return new AggregationResult(update, [chosen.DeviceId], new Dictionary<string, double>
        {
            [FMetric] = f,
            [SkippedMetric] = 0,
            [SelectedMetric] = chosen.DeviceId,
        });
    }

    /// <summary>The largest f that n updates tolerate under n ≥ 2f + 3.</summary>
    public static int TolerableF(int n) => Math.Max((n - 3) / 2, 0);

    /// <summary>
    /// Blanchard et al.'s scores: for each vector, the sum of its squared distances to its n − f − 2 nearest other
    /// vectors (never fewer than 0 neighbours).
    /// </summary>
    public static double[] Scores(IReadOnlyList<float[]> vectors, int f)
    {
        var all = Enumerable.Range(0, vectors.Count).ToArray();
        return new KrumNeighbours(AggregationMath.PairwiseSquaredDistances(vectors)).Scores(all, f);
    }

    /// <summary>Indices ordered by score, ties by index (so by device id): deterministic and arrival-order free.</summary>
    public static int[] Ranking(IReadOnlyList<double> scores)
        => Enumerable.Range(0, scores.Count).OrderBy(i => scores[i]).ThenBy(i => i).ToArray();

    /// <summary><see cref="Ranking"/>'s first index without sorting: the lowest score (same comparer), ties to the lower index.</summary>
    public static int Best(IReadOnlyList<double> scores)
    {
        int best = 0;
        for (int i = 1; i < scores.Count; i++)
            if (scores[i].CompareTo(scores[best]) < 0) best = i;
        return best;
    }

    /// <summary>The result of a round with too few updates for a distance-based rule: no update, and why.</summary>
    internal static AggregationResult Skipped(string metric) => new(null, [], new Dictionary<string, double> { [metric] = 1 });

    /// <summary>
    /// The validation rule shared by the Krum family: n ≥ multiplier·f + 3 (Krum and Multi-Krum 2, Bulyan 4), with a
    /// message that names where f came from and what to change.
    /// </summary>
    internal static IEnumerable<ComponentFinding> CheckTolerance(string kind, string path, int? configuredF, int cohort, int assumedByzantine, int multiplier)
    {
        int f = configuredF ?? assumedByzantine;
        int needed = multiplier * f + 3;
        if (cohort >= needed) yield break;
        string source = configuredF is null
            ? $"f = {f} (Byzantine clients expected per round from byzantine.fraction)"
            : $"f = {f} ({path}.f)";
        int largestF = (cohort - 3) / multiplier;
        string alternative = cohort < 3 ? ""
            : configuredF is null ? $" or lower byzantine.fraction (or set {path}.f) so that f ≤ {largestF}"
            : $" or lower {path}.f to ≤ {largestF}";
        yield return new ComponentFinding(configuredF is null ? "training.devices_per_round" : $"{path}.f",
            $"{kind} needs n ≥ {multiplier}f + 3 updates per round: n = {cohort} (training.devices_per_round) with {source} needs n ≥ {needed}: " +
            $"raise training.devices_per_round to ≥ {needed}{alternative}");
    }
}

/// <summary>
/// Every vector's others in ascending order of squared distance, sorted once (Krum's neighbours). A score over a
/// subset walks that order and skips the vectors outside it: the values it sums, and the order it sums them in,
/// are those of sorting the subset's distances afresh (the same comparer; equal values are interchangeable in a
/// sum), so Bulyan's iterated picks score bit for bit as if each round sorted its own rows.
/// </summary>
public sealed class KrumNeighbours
{
    private readonly double[][] _distances;
    private readonly int[][] _order;

    public KrumNeighbours(double[,] squaredDistances)
    {
        int n = squaredDistances.GetLength(0);
        _distances = new double[n][];
        _order = new int[n][];
        for (int a = 0; a < n; a++)
        {
            var row = new double[n - 1];
            var order = new int[n - 1];
            for (int b = 0, c = 0; b < n; b++)
            {
                if (b == a) continue;
                row[c] = squaredDistances[a, b];
                order[c++] = b;
            }
            Array.Sort(row, order);
            _distances[a] = row;
            _order[a] = order;
        }
    }

    /// <summary>Krum's scores of <paramref name="members"/> among themselves: each one's n − f − 2 nearest other members.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public double[] Scores(IReadOnlyList<int> members, int f)
    {
        int n = members.Count;
        int neighbours = Math.Max(n - f - 2, 0);
        var isMember = new bool[_order.Length];
        foreach (int m in members) isMember[m] = true;
        var scores = new double[n];
        for (int a = 0; a < n; a++)
        {
            var row = _distances[members[a]];
            var order = _order[members[a]];
            double sum = 0;
            for (int c = 0, taken = 0; taken < neighbours; c++)
            {
                if (!isMember[order[c]]) continue;
                sum += row[c];
                taken++;
            }
            scores[a] = sum;
        }
        return scores;
    }
}
