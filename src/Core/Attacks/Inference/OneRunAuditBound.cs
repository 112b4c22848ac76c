using MathNet.Numerics;

namespace FedSim.Attacks.Inference;

/// <summary>What a one-run audit's guesses found: the best pair of guess counts, its tally and the ε it proves.</summary>
/// <param name="Canaries">m: canaries, each included with probability 1/2.</param>
/// <param name="Included">How many the coins included (for the report; the bound does not read it).</param>
/// <param name="PositiveGuesses">k+: the canaries with the highest scores, guessed included.</param>
/// <param name="NegativeGuesses">k−: the canaries with the lowest scores, guessed left out.</param>
/// <param name="Correct">v: correct guesses among the r = k+ + k− made.</param>
/// <param name="EpsilonLowerBound">The largest ε whose (ε, δ) claim the tally rejects at <see cref="Confidence"/> (0: none).</param>
/// <param name="Delta">The δ of the rejected claim.</param>
/// <param name="Confidence">The confidence of the whole search (Bonferroni over <see cref="PairsSearched"/> pairs).</param>
/// <param name="PairsSearched">How many (k+, k−) pairs were tried; each was tested at (1 − confidence) / pairs.</param>
/// <param name="Unit">What one canary is (a record, a device), as the auditor that planted them says.</param>
[GenerateSerializer, Immutable]
public sealed record OneRunAuditResult(
    [property: Id(0)] int Canaries,
    [property: Id(1)] int Included,
    [property: Id(2)] int PositiveGuesses,
    [property: Id(3)] int NegativeGuesses,
    [property: Id(4)] int Correct,
    [property: Id(5)] double EpsilonLowerBound,
    [property: Id(6)] double Delta,
    [property: Id(7)] double Confidence,
    [property: Id(8)] int PairsSearched,
    [property: Id(9)] string? Unit = null)
{
    /// <summary>r: guesses made (the rest abstain).</summary>
    public int Guesses => PositiveGuesses + NegativeGuesses;
}

/// <summary>
/// The ε lower bound of one-run auditing (Steinke, Nasr and Jagielski 2023, "Privacy Auditing with One (1) Training
/// Run", NeurIPS 2023, arXiv:2305.08846). m canaries are each included in the training data by an independent fair coin
/// S_i; from the trained model alone an auditor guesses r of the coins and abstains on the rest. Their main theorem
/// (Theorem 3.1): if training is (ε, δ)-DP, the number W of correct guesses satisfies, for every v,
/// <code>P[W ≥ v] ≤ f(v) + 2mδ · max_{i = 1..m} (f(v − i) − f(v)) / i,   f(x) = P[Binomial(r, e^ε / (e^ε + 1)) ≥ x]</code>
/// so with δ = 0 the count is dominated by the correct guesses of ε-DP randomized response. The right side, at the
/// observed v, is a p-value for the claim "training is (ε, δ)-DP" (<see cref="PValue"/>); the bound is the largest ε
/// whose claim it rejects (<see cref="EpsilonLowerBound"/>). Because (ε, δ)-DP implies (ε', δ)-DP for every ε' ≥ ε,
/// any ε' whose p-value is at most the significance level rejects every smaller ε as well, so the bisection's answer
/// is valid even where the p-value is not monotone in ε.
/// </summary>
public static class OneRunAuditBound
{
    /// <summary>Terms below this share of the running sum, on the far side of the mode, no longer change it.</summary>
    private const double Negligible = 1e-18;

    /// <summary>
    /// The theorem's bound on P[W ≥ <paramref name="correct"/>] for an (<paramref name="epsilon"/>, <paramref name="delta"/>)-DP
    /// algorithm audited with <paramref name="canaries"/> canaries and <paramref name="guesses"/> guesses (capped at 1).
    /// </summary>
    public static double PValue(int canaries, int guesses, int correct, double epsilon, double delta)
    {
        Check(canaries, guesses, correct);
        if (!(epsilon >= 0) || double.IsPositiveInfinity(epsilon)) throw new ArgumentOutOfRangeException(nameof(epsilon), epsilon, "ε must be finite and ≥ 0");
        if (!(delta >= 0 && delta <= 1)) throw new ArgumentOutOfRangeException(nameof(delta), delta, "δ must lie in [0, 1]");
        if (correct == 0) return 1.0;
        var binomial = new LogBinomial(guesses, epsilon);
        double tail = binomial.UpperTail(correct);
        if (delta == 0) return Math.Min(1.0, tail);
        // max_i P[v − i ≤ B < v] / i: the probability below v accumulates term by term from v − 1 downwards. Past the
        // mode the terms shrink geometrically, so once they are negligible the ratio can only fall.
        double below = 0, worst = 0;
        for (int i = 1; i <= correct; i++)
        {
            double term = binomial.Pmf(correct - i);
            below += term;
            worst = Math.Max(worst, below / i);
            if (correct - i < binomial.Mode && term <= Negligible * below) break;
        }
        return Math.Min(1.0, tail + 2.0 * canaries * delta * worst);
    }

    /// <summary>
    /// The largest ε (to 1e-9) whose (ε, <paramref name="delta"/>) claim the tally rejects at level
    /// <paramref name="significance"/>: the one-run audit's lower bound; 0 when even ε = 0 is not rejected.
    /// </summary>
    public static double EpsilonLowerBound(int canaries, int guesses, int correct, double delta, double significance)
    {
        if (!(significance > 0 && significance < 1))
            throw new ArgumentOutOfRangeException(nameof(significance), significance, "the significance level must lie strictly between 0 and 1");
        bool Rejected(double eps) => PValue(canaries, guesses, correct, eps, delta) <= significance;
        if (!Rejected(0)) return 0;
        double low = 0, high = 1;
        while (Rejected(high))
        {
            low = high;
            high *= 2;
            if (high > 1e4) return low; // beyond any accountant's ε; the bound is at least this
        }
        while (high - low > 1e-9)
        {
            double mid = 0.5 * (low + high);
            if (Rejected(mid)) low = mid;
            else high = mid;
        }
        return low;
    }

    /// <summary>
    /// Guesses from scores (higher: more likely included): the <paramref name="positive"/> highest are guessed included, the
    /// <paramref name="negative"/> lowest left out, the rest abstain. Ties go by position, which the coins do not decide.
    /// Returns the correct guesses.
    /// </summary>
    public static int CorrectGuesses(IReadOnlyList<double> scores, IReadOnlyList<bool> included, int positive, int negative)
    {
        ArgumentNullException.ThrowIfNull(scores);
        ArgumentNullException.ThrowIfNull(included);
        if (scores.Count != included.Count) throw new ArgumentException($"{scores.Count} scores for {included.Count} canaries");
        if (positive < 0 || negative < 0 || positive + negative > scores.Count)
            throw new ArgumentOutOfRangeException(nameof(positive), $"k+ = {positive} and k− = {negative} must be ≥ 0 with k+ + k− ≤ m = {scores.Count}");
        var order = Enumerable.Range(0, scores.Count).OrderByDescending(i => scores[i]).ThenBy(i => i).ToArray();
        int correct = order.Take(positive).Count(i => included[i]);
        return correct + order.Skip(scores.Count - negative).Count(i => !included[i]);
    }

    /// <summary>
    /// The audit: every (k+, k−) pair of <paramref name="positive"/> × <paramref name="negative"/> with 0 &lt; k+ + k− ≤ m is
    /// tried at level (1 − <paramref name="confidence"/>) / pairs (Bonferroni, so the largest bound over the pairs holds at
    /// <paramref name="confidence"/>); returns the pair with the largest bound (the fewest guesses among equals).
    /// </summary>
    public static OneRunAuditResult Search(IReadOnlyList<double> scores, IReadOnlyList<bool> included, IReadOnlyList<int> positive,
        IReadOnlyList<int> negative, double delta, double confidence)
    {
        ArgumentNullException.ThrowIfNull(scores);
        int m = scores.Count;
        var pairs = positive.SelectMany(p => negative.Select(n => (Positive: p, Negative: n)))
            .Where(p => p.Positive >= 0 && p.Negative >= 0 && p.Positive + p.Negative is > 0 and var r && r <= m).Distinct().ToArray();
        if (pairs.Length == 0)
            throw new ArgumentException($"no pair of guess counts (k+, k−) with 0 < k+ + k− ≤ m = {m} among k+ ∈ [{string.Join(", ", positive)}], k− ∈ [{string.Join(", ", negative)}]");
        if (!(confidence > 0 && confidence < 1)) throw new ArgumentOutOfRangeException(nameof(confidence), confidence, "confidence must lie strictly between 0 and 1");
        double level = (1 - confidence) / pairs.Length;
        int includedCount = included.Count(i => i);
        OneRunAuditResult? best = null;
        foreach (var (k, l) in pairs.OrderBy(p => p.Positive + p.Negative).ThenBy(p => p.Positive))
        {
            int correct = CorrectGuesses(scores, included, k, l);
            double bound = EpsilonLowerBound(m, k + l, correct, delta, level);
            if (best is null || bound > best.EpsilonLowerBound)
                best = new OneRunAuditResult(m, includedCount, k, l, correct, bound, delta, confidence, pairs.Length);
        }
        return best!;
    }

    /// <summary>
    /// The default guess counts, for k+ and k− alike: none, and 1, 2, 5, 10, 20 and 50 % of the canaries (at least one,
    /// distinct). Both tails matter: a left-out canary with a random label is rarely fitted, so the worst-fitted canaries
    /// are often surer guesses than the best-fitted (a left-out canary whose label the model happens to predict looks
    /// included).
    /// </summary>
    public static IReadOnlyList<int> DefaultGuessCounts(int canaries)
        => new[] { 0.01, 0.02, 0.05, 0.1, 0.2, 0.5 }.Select(f => Math.Max(1, (int)Math.Round(f * canaries))).Prepend(0).Distinct().ToArray();

    private static void Check(int canaries, int guesses, int correct)
    {
        if (canaries < 1) throw new ArgumentOutOfRangeException(nameof(canaries), canaries, "a one-run audit needs at least one canary");
        if (guesses < 0 || guesses > canaries) throw new ArgumentOutOfRangeException(nameof(guesses), guesses, $"guesses must lie in [0, m = {canaries}]");
        if (correct < 0 || correct > guesses) throw new ArgumentOutOfRangeException(nameof(correct), correct, $"correct guesses must lie in [0, r = {guesses}]");
    }

    /// <summary>Binomial(r, e^ε/(e^ε + 1)) in log space, so that q near 1 (large ε) keeps 1 − q exact.</summary>
    private readonly struct LogBinomial
    {
        private readonly int _trials;
        private readonly double _logQ;
        private readonly double _logNotQ;

        public LogBinomial(int trials, double epsilon)
        {
            _trials = trials;
            double softplus = Math.Log(1 + Math.Exp(-epsilon)); // ln(1 + e^−ε)
            _logQ = -softplus;
            _logNotQ = -epsilon - softplus;
            Mode = (int)Math.Floor((trials + 1) / (1 + Math.Exp(-epsilon)));
        }

        /// <summary>The most likely count, ⌊(r + 1)q⌋.</summary>
        public int Mode { get; }

        public double Pmf(int k) => k < 0 || k > _trials ? 0 : Math.Exp(SpecialFunctions.BinomialLn(_trials, k) + k * _logQ + (_trials - k) * _logNotQ);

        /// <summary>P[B ≥ v], summed upwards from v; past the mode the terms shrink geometrically.</summary>
        public double UpperTail(int v)
        {
            if (v <= 0) return 1.0;
            double sum = 0;
            for (int k = v; k <= _trials; k++)
            {
                double term = Pmf(k);
                sum += term;
                if (k > Mode && term <= Negligible * sum) break;
            }
            return Math.Min(1.0, sum);
        }
    }
}
