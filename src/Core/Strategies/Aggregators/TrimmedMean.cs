using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using System.Globalization;
using FedSim.Components;

namespace FedSim.Strategies.Aggregators;

/// <summary>
/// Coordinate-wise trimmed mean (Yin et al. 2018): per coordinate, drop the ⌊β·n⌋ largest and the ⌊β·n⌋ smallest
/// values and average the rest. β is the fraction trimmed from EACH side (ByzFL's TrMean takes the count f per
/// side instead: TrMean(f) is β = f/n here). Unweighted, as in the paper. With dropouts the count trimmed follows
/// the updates that arrived (⌊β·n⌋ of the actual n) and is reported as <c>trimmed_per_side</c>.
/// </summary>
[ComponentKind("trimmed-mean", Order = 2), GenerateSerializer]
[Description("Coordinate-wise trimmed mean, unweighted (Yin et al. 2018): drop the ⌊β·n⌋ largest and smallest values per coordinate, average the rest.")]
public sealed class TrimmedMeanOptions : AggregatorOptions
{
    [Id(0), Description("Fraction β of the updates trimmed from EACH side per coordinate (0 ≤ β < 0.5); ⌊β·n⌋ must be at least the Byzantine clients expected per round.")]
    [Range(0, 0.5, MaximumIsExclusive = true)]
    public double Beta { get; set; } = 0.2;

    public override IAggregator Create(int assumedByzantine) => new TrimmedMeanAggregator(Beta);

    public override IEnumerable<ComponentFinding> Check(string path, int cohort, int assumedByzantine)
    {
        int f = assumedByzantine;
        if (TrimmedMeanAggregator.TrimCount(Beta, cohort) >= f) yield break;
        if (2 * f >= cohort)
        {
            yield return new ComponentFinding("training.devices_per_round",
                $"trimmed mean must trim at least f = {f} per side, but f is half or more of n = {cohort} (training.devices_per_round): " +
                $"raise training.devices_per_round to ≥ {2 * f + 1} or lower byzantine.fraction");
            yield break;
        }
        double needed = (double)f / cohort;
        yield return new ComponentFinding($"{path}.beta",
            $"trimmed mean must trim at least f = {f} per side (Byzantine clients expected per round from byzantine.fraction), " +
            $"but beta = {Format(Beta)} trims ⌊{Format(Beta)} × {cohort}⌋ = {TrimmedMeanAggregator.TrimCount(Beta, cohort)}: " +
            $"raise beta to ≥ {Format(needed)} ({f}/{cohort})");
    }

    private static string Format(double v) => v.ToString("0.####", CultureInfo.InvariantCulture);
}

/// <summary>The coordinate-wise β-trimmed mean.</summary>
public sealed class TrimmedMeanAggregator : IAggregator
{
    public const string TrimmedMetric = "trimmed_per_side";

    private readonly double _beta;

    public TrimmedMeanAggregator(double beta)
    {
        if (!(beta >= 0 && beta < 0.5)) throw new ArgumentOutOfRangeException(nameof(beta), beta, "beta is trimmed from each side and must be in [0, 0.5)");
        _beta = beta;
    }

    public AggregationResult Aggregate(AggregationInput input)
    {
        var results = input.Results;
        if (results.Count == 0) return AggregationResult.Nothing;
        int trim = TrimCount(_beta, results.Count);
        var update = CoordinateTrimmedMean(results.Select(r => r.Delta).ToList(), trim);
        return new AggregationResult(update, results.Select(r => r.DeviceId).ToArray(),
            new Dictionary<string, double> { [TrimmedMetric] = trim });
    }

    /// <summary>
    /// ⌊β·n⌋, tolerant of β·n landing a rounding error below an integer (0.35 × 180), and never so many that
    /// nothing is left (β a hair below 0.5).
    /// </summary>
    public static int TrimCount(double beta, int n) => Math.Min((int)Math.Floor(beta * n + 1e-9), Math.Max(n - 1, 0) / 2);

    /// <summary>Per coordinate, the mean of the values left after dropping the <paramref name="trim"/> largest and smallest.</summary>
    public static double[] CoordinateTrimmedMean(IReadOnlyList<float[]> vectors, int trim)
    {
        int n = vectors.Count;
        if (n == 0) throw new ArgumentException("no vectors to average", nameof(vectors));
        if (trim < 0 || 2 * trim >= n) throw new ArgumentOutOfRangeException(nameof(trim), trim, $"trimming {trim} per side leaves nothing of {n} values");
        int d = vectors[0].Length;
        foreach (var v in vectors)
            if (v.Length != d) throw new ArgumentException($"vectors have {d} and {v.Length} values", nameof(vectors));
        int kept = n - 2 * trim;
        return AggregationMath.CoordinateWiseSorted(vectors, (_, sorted) =>
        {
            double sum = 0;
            for (int k = trim; k < n - trim; k++) sum += sorted[k];
            return sum / kept;
        });
    }
}
