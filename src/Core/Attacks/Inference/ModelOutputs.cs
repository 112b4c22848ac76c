namespace FedSim.Attacks.Inference;

/// <summary>
/// What a black-box query of a classifier returns for a batch of examples: one row of logits per example
/// (row-major, <see cref="Classes"/> per row) and the example's true label, which the attacker knows for the
/// records it tests. The per-example signals every score-based attack reads (loss, true-label probability,
/// LiRA's logit-scaled confidence) are computed here, once, in double and in log space, so a confident model
/// (p → 1) keeps its resolution instead of rounding every top example to the same score.
/// </summary>
public sealed class ModelOutputs
{
    // The smallest positive float: a float probability of 0 is an underflow below it, not a certainty.
    private const double SmallestFloatProbability = 1.401298464324817e-45;

    private readonly float[] _logits;
    private readonly int[] _labels;

    public ModelOutputs(float[] logits, int classes, int[] labels)
    {
        ArgumentNullException.ThrowIfNull(logits);
        ArgumentNullException.ThrowIfNull(labels);
        if (classes < 2) throw new ArgumentOutOfRangeException(nameof(classes), classes, "model outputs need at least 2 classes");
        if (logits.Length != labels.Length * (long)classes)
            throw new ArgumentException(
                $"model outputs: {logits.Length} logits for {labels.Length} examples of {classes} classes; expected {labels.Length * (long)classes}", nameof(logits));
        for (int i = 0; i < labels.Length; i++)
            if (labels[i] < 0 || labels[i] >= classes)
                throw new ArgumentException($"model outputs: label {labels[i]} of example {i} is outside 0..{classes - 1}", nameof(labels));
        for (int i = 0; i < logits.Length; i++)
            if (float.IsNaN(logits[i]) || float.IsPositiveInfinity(logits[i]))
                throw new ArgumentException(
                    $"model outputs: logit {i % classes} of example {i / classes} is {logits[i]}; logits must be finite (or −∞ for probability 0)", nameof(logits));
        _logits = logits;
        _labels = labels;
        Classes = classes;
    }

    /// <summary>
    /// From probability rows (an API that returns softmax outputs). Log-probabilities are valid logits; a
    /// probability of 0 is read as the smallest positive float, so a saturated output (p = 1 in float) still
    /// gives a finite logit-scaled confidence (≈ 103, the cap the LiRA reference code reaches by adding 1e-45).
    /// </summary>
    public static ModelOutputs FromProbabilities(float[] probabilities, int classes, int[] labels)
    {
        ArgumentNullException.ThrowIfNull(probabilities);
        var logits = new float[probabilities.Length];
        for (int i = 0; i < probabilities.Length; i++)
        {
            float p = probabilities[i];
            if (!(p >= 0 && p <= 1))
                throw new ArgumentException($"model outputs: probability {i % classes} of example {i / classes} is {p}; probabilities lie in [0, 1]", nameof(probabilities));
            logits[i] = (float)Math.Log(Math.Max(p, SmallestFloatProbability));
        }
        return new ModelOutputs(logits, classes, labels);
    }

    public int Count => _labels.Length;
    public int Classes { get; }
    public int Label(int example) => _labels[example];
    public ReadOnlySpan<float> Logits(int example) => _logits.AsSpan(example * Classes, Classes);

    /// <summary>Cross-entropy loss −log p_y.</summary>
    public double Loss(int example)
    {
        var z = Logits(example);
        return LogSumExpAbove(z, skip: -1, reference: z[Label(example)]);
    }

    /// <summary>p_y, the probability the model gives the true label.</summary>
    public double TrueLabelProbability(int example) => Math.Exp(-Loss(example));

    /// <summary>
    /// LiRA's logit-scaled confidence φ = log(p_y / (1 − p_y)) (Carlini et al. 2022, "Membership inference attacks from first principles"), computed
    /// as z_y − log Σ_{j≠y} exp(z_j): 1 − p_y is never formed, so it stays exact where p_y rounds to 1.
    /// </summary>
    public double LogitScaledConfidence(int example)
    {
        var z = Logits(example);
        return -LogSumExpAbove(z, skip: Label(example), reference: z[Label(example)]);
    }

    /// <summary>Softmax probabilities of one example, in double.</summary>
    public double[] Probabilities(int example)
    {
        var z = Logits(example);
        double lse = LogSumExpAbove(z, skip: -1, reference: 0);
        var p = new double[Classes];
        for (int c = 0; c < Classes; c++) p[c] = Math.Exp(z[c] - lse);
        return p;
    }

    /// <summary>Per-example loss of every example.</summary>
    public double[] Losses() => Enumerable.Range(0, Count).Select(Loss).ToArray();

    /// <summary>Per-example logit-scaled confidence of every example.</summary>
    public double[] LogitScaledConfidences() => Enumerable.Range(0, Count).Select(LogitScaledConfidence).ToArray();

    /// <summary>Per-example true-label probability of every example.</summary>
    public double[] TrueLabelProbabilities() => Enumerable.Range(0, Count).Select(TrueLabelProbability).ToArray();

    /// <summary>
    /// (log Σ exp(z_j)) − reference, over all j except <paramref name="skip"/> (−1: none). Written as
    /// (m − reference) + log1p(Σ_{j≠argmax} e^(z_j − m)) and subtracted before adding, so a dominant logit keeps
    /// the tiny remainder (a loss of 1e-20 stays 1e-20 instead of rounding to 0 against m).
    /// </summary>
    internal static double LogSumExpAbove(ReadOnlySpan<float> z, int skip, double reference)
    {
        int top = -1;
        for (int j = 0; j < z.Length; j++)
            if (j != skip && (top < 0 || z[j] > z[top])) top = j;
        double m = z[top];
        if (double.IsNegativeInfinity(m)) return double.NegativeInfinity; // every remaining class has probability 0
        double rest = 0;
        for (int j = 0; j < z.Length; j++)
            if (j != skip && j != top) rest += Math.Exp(z[j] - m);
        return (m - reference) + LogOnePlus(rest);
    }

    /// <summary>
    /// log(1 + x), accurate for tiny x (Goldberg 1991, "What every computer scientist should know about
    /// floating-point arithmetic", Theorem 4). .NET's double.LogP1 is computed as Log(x + 1), which is not.
    /// </summary>
    internal static double LogOnePlus(double x)
    {
        double u = 1 + x;
        return u == 1 ? x : Math.Log(u) * x / (u - 1);
    }
}
