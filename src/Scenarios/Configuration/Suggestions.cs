namespace FedSim.Scenarios.Configuration;

/// <summary>"Did you mean ...?" for misspelt keys and values.</summary>
public static class Suggestions
{
    /// <summary>
    /// The candidate the input most likely meant, or null. Tries, in order: the same name in another
    /// spelling convention (<c>devicesPerRound</c>, <c>devices-per-round</c>), the unique closest candidate
    /// within a length-scaled edit distance, and a candidate that contains the input as a whole word
    /// (<c>epochs</c> → <c>local_epochs</c>).
    /// </summary>
    public static string? Closest(string input, IEnumerable<string> candidates)
    {
        var list = candidates.Distinct().ToList();
        if (list.Count == 0 || input.Length == 0) return null;

        string normalized = Normalize(input);
        var sameWords = list.Where(c => Normalize(c) == normalized).ToList();
        if (sameWords.Count == 1) return sameWords[0];

        int threshold = input.Length <= 3 ? 1 : input.Length <= 6 ? 2 : 3;
        var scored = list.Select(c => (c, d: DamerauLevenshtein(input.ToLowerInvariant(), c.ToLowerInvariant())))
            .Where(x => x.d <= threshold).OrderBy(x => x.d).ToList();
        if (scored.Count > 0 && (scored.Count == 1 || scored[0].d < scored[1].d)) return scored[0].c;

        var byWord = list.Where(c => c.Split('_', '-').Contains(input.ToLowerInvariant())).ToList();
        return byWord.Count == 1 ? byWord[0] : null;
    }

    /// <summary>
    /// Optimal-string-alignment distance: insertions, deletions, substitutions and transpositions of two
    /// adjacent characters each cost 1 (Damerau 1964; the restricted variant, as in most spell checkers).
    /// </summary>
    public static int DamerauLevenshtein(string a, string b)
    {
        var d = new int[a.Length + 1, b.Length + 1];
        for (int i = 0; i <= a.Length; i++) d[i, 0] = i;
        for (int j = 0; j <= b.Length; j++) d[0, j] = j;
        for (int i = 1; i <= a.Length; i++)
        {
            for (int j = 1; j <= b.Length; j++)
            {
                int cost = a[i - 1] == b[j - 1] ? 0 : 1;
                d[i, j] = Math.Min(Math.Min(d[i - 1, j] + 1, d[i, j - 1] + 1), d[i - 1, j - 1] + cost);
                if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
                    d[i, j] = Math.Min(d[i, j], d[i - 2, j - 2] + 1);
            }
        }
        return d[a.Length, b.Length];
    }

    private static string Normalize(string s) => new(s.Where(char.IsLetterOrDigit).Select(char.ToLowerInvariant).ToArray());
}
