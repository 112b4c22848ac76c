using System.Globalization;
using System.Text;

namespace FedSim.Data;

/// <summary>
/// Reads Karpathy's tiny Shakespeare (char-rnn's input.txt) as next-character samples owned by speakers, after
/// LEAF's Shakespeare (Caldas et al. 2018) and McMahan et al. 2017. Speeches are blocks separated by blank lines;
/// a block's first line is <c>NAME:</c>, the rest is the speech. A speaker's text is their speeches joined by '\n'
/// (newlines inside speeches kept; a speaker line without a speech adds nothing), cut into non-overlapping windows of <see cref="Context"/> + 1 characters (the
/// short tail dropped): a window's first <see cref="Context"/> characters are the features, its last the label.
/// The file marks no plays, so a speaker is a role name across plays, where LEAF splits by play and role.
/// </summary>
public static class ShakespeareReader
{
    /// <summary>Characters read per sample (McMahan et al. 2017 unroll 80 characters).</summary>
    public const int Context = 80;

    /// <summary>Characters per window: the context and the character that follows it.</summary>
    public const int Window = Context + 1;

    /// <summary>Share of each speaker's windows held out for testing, as LEAF's 90/10 split by sample.</summary>
    public const double TestFraction = 0.1;

    /// <summary>
    /// '\n', then the printable ASCII characters 32..126 in order: fixed, not read from the file, so the model's size
    /// is known before loading and two files share their token ids.
    /// </summary>
    public static TextShape Shape { get; } = new(
        [.. new[] { "\n" }.Concat(Enumerable.Range(32, 95).Select(c => ((char)c).ToString()))], Context);

    /// <summary>The token id of <paramref name="c"/>, or -1 when it is outside the vocabulary.</summary>
    public static int TokenOf(char c) => c == '\n' ? 0 : c is >= ' ' and <= '~' ? c - ' ' + 1 : -1;

    /// <summary>
    /// Loads the file: speakers with fewer than <paramref name="minWindows"/> windows are left out (and counted), the
    /// others are groups 0.. in ordinal name order, each split by a seeded <see cref="TestFraction"/> of its windows.
    /// </summary>
    public static DatasetSplit Load(string path, int minWindows, ulong seed)
    {
        if (minWindows < 1)
            throw new DatasetException($"{path}: min_samples_per_owner is {minWindows}; a speaker needs at least 1 window to be kept.");
        var kept = new List<(string Name, string Text)>();
        int leftOut = 0;
        long leftOutWindows = 0;
        foreach (var (name, text) in ReadSpeakers(path))
        {
            int windows = text.Length / Window;
            if (windows >= minWindows) kept.Add((name, text));
            else
            {
                leftOut++;
                leftOutWindows += windows;
            }
        }
        if (kept.Count == 0)
            throw new DatasetException($"{path}: no speaker has {minWindows} windows of {Window} characters; lower dataset.min_samples_per_owner.");

        var all = Windows(kept);
        var (trainRows, testRows) = Tabular.GroupedSplit(all.Groups!, kept.Count, TestFraction, seed);
        return new DatasetSplit(all.Subset(trainRows, "shakespeare-train"), all.Subset(testRows, "shakespeare-test"))
        {
            LeftOut = new OwnersLeftOut(leftOut, leftOutWindows, minWindows),
        };
    }

    /// <summary>Every speaker's text (speeches joined by '\n'), ordered by name (ordinal), so group ids are stable.</summary>
    public static IReadOnlyList<(string Name, string Text)> ReadSpeakers(string path)
    {
        string text;
        using (var reader = new StreamReader(DataFiles.OpenMaybeGzip(path), Encoding.UTF8)) text = reader.ReadToEnd();
        CheckVocabulary(path, text);
        var speakers = new Dictionary<string, StringBuilder>(StringComparer.Ordinal);
        StringBuilder? speaker = null; // the open block's speaker, null between blocks
        bool firstLine = false;
        int number = 0;
        foreach (string line in text.Split('\n'))
        {
            number++;
            if (string.IsNullOrWhiteSpace(line))
            {
                speaker = null;
                continue;
            }
            if (speaker is null)
            {
                if (line.Length < 2 || line[^1] != ':')
                    throw new DatasetException($"{path}:{number}: expected a speaker line such as 'First Citizen:' opening a speech, found '{Excerpt(line)}'. " +
                                               "Tiny Shakespeare separates speeches by blank lines, each starting with its speaker's name and a colon; is this char-rnn's input.txt?");
                string name = line[..^1].Trim();
                if (!speakers.TryGetValue(name, out speaker)) speakers[name] = speaker = new StringBuilder();
                firstLine = true;
                continue;
            }
            // Speeches of one speaker are joined by '\n', as are the lines of one speech.
            if (!firstLine || speaker.Length > 0) speaker.Append('\n');
            speaker.Append(line);
            firstLine = false;
        }
        if (speakers.Count == 0)
            throw new DatasetException($"{path}:1: no speaker blocks: the file holds only blank lines. Give char-rnn's tiny Shakespeare input.txt.");
        return speakers.OrderBy(s => s.Key, StringComparer.Ordinal).Select(s => (s.Key, s.Value.ToString())).ToList();
    }

    /// <summary>Every character must have a token: the first that has none is reported with its line and column.</summary>
    private static void CheckVocabulary(string path, string text)
    {
        int line = 1, lineStart = 0;
        for (int i = 0; i < text.Length; i++)
        {
            char c = text[i];
            if (c == '\n')
            {
                line++;
                lineStart = i + 1;
            }
            else if (TokenOf(c) < 0)
            {
                int codePoint = char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]) ? char.ConvertToUtf32(c, text[i + 1]) : c;
                string hint = c == '\r' ? " (a carriage return: convert the file's Windows line endings to '\\n')" : "";
                throw new DatasetException(string.Create(CultureInfo.InvariantCulture,
                    $"{path}:{line}:{i - lineStart + 1}: character U+{codePoint:X4}{hint} is outside the shakespeare vocabulary, which is '\\n' plus the printable ASCII characters 32..126; replace or remove it."));
            }
        }
    }

    /// <summary>All windows of the kept speakers, speaker by speaker; group g is speaker g.</summary>
    private static Dataset Windows(List<(string Name, string Text)> speakers)
    {
        int total = speakers.Sum(s => s.Text.Length / Window);
        var features = new float[(long)total * Context];
        var labels = new int[total];
        var groups = new int[total];
        int row = 0;
        for (int g = 0; g < speakers.Count; g++)
        {
            string text = speakers[g].Text;
            for (int start = 0; start + Window <= text.Length; start += Window, row++)
            {
                for (int t = 0; t < Context; t++) features[(long)row * Context + t] = TokenOf(text[start + t]);
                labels[row] = TokenOf(text[start + Context]);
                groups[row] = g;
            }
        }
        return new Dataset("shakespeare", features, labels, Context, Shape.Tokens, groups: groups,
            groupNames: speakers.Select(s => s.Name).ToArray()) { Text = Shape };
    }

    private static string Excerpt(string line) => line.Length <= 40 ? line : line[..40] + "...";
}
