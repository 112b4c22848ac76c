using System.Globalization;

namespace FedSim.Data;

/// <summary>
/// Reading numbers and class labels out of text cells, the same way in every text reader, with messages that
/// say which file, line and column, what is wrong and how to fix it. Non-finite values are rejected rather than
/// read: one NaN or 1e40 (beyond float32) spreads through standardisation and every update becomes non-finite.
/// </summary>
internal static class TextCells
{
    /// <summary>More distinct labels than this are not classes: the column is an id or a regression target.</summary>
    public const int MaxClasses = 1000;

    /// <summary>Result of parsing one numeric cell.</summary>
    public enum NumberStatus { Ok, NotANumber, NonFinite, Overflow, Empty, Missing }

    // How R, pandas, SQL exports and spreadsheets write a missing value.
    private static readonly string[] MissingMarkers = ["NA", "N/A", "n/a", "na", "null", "NULL", "Null", "None", "none", "?", "-", "#N/A"];

    private static bool IsMissingMarker(ReadOnlySpan<char> cell)
    {
        foreach (var marker in MissingMarkers)
            if (cell.SequenceEqual(marker)) return true;
        return false;
    }

    // "inf" and ".inf" are what Python and YAML print; .NET's parser reads only "Infinity".
    private static bool IsInfinityWord(ReadOnlySpan<char> cell)
    {
        var word = cell.TrimStart("+-").TrimStart('.');
        return word.Equals("inf", StringComparison.OrdinalIgnoreCase) || word.Equals("infinity", StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>Parses a float32 cell; finite values only.</summary>
    public static NumberStatus TryParseNumber(ReadOnlySpan<char> cell, out float value)
    {
        cell = cell.Trim();
        value = 0;
        if (cell.IsEmpty) return NumberStatus.Empty;
        if (!float.TryParse(cell, NumberStyles.Float, CultureInfo.InvariantCulture, out value))
            return IsMissingMarker(cell) ? NumberStatus.Missing : IsInfinityWord(cell) ? NumberStatus.NonFinite : NumberStatus.NotANumber;
        if (float.IsFinite(value)) return NumberStatus.Ok;
        // "NaN", "inf", "Infinity" are written on purpose; anything else became infinite by overflowing float32.
        return double.TryParse(cell, NumberStyles.Float, CultureInfo.InvariantCulture, out double d) && double.IsFinite(d)
            ? NumberStatus.Overflow
            : NumberStatus.NonFinite;
    }

    /// <summary>"file:line: column 3 ('age') is 'NaN': ..." for a cell that is not a usable number.</summary>
    public static string NumberProblem(string path, int line, string column, string cell, NumberStatus status) => status switch
    {
        NumberStatus.Empty => $"{path}:{line}: {column} is empty: a missing value. FedSim does not impute numbers; fill the cell or remove the row.",
        NumberStatus.Missing => $"{path}:{line}: {column} is '{cell.Trim()}', a missing value. FedSim does not impute numbers; fill the cell or remove the row.",
        NumberStatus.NonFinite => $"{path}:{line}: {column} is '{cell.Trim()}', not a finite number. Missing or infinite values are not imputed; fix the cell or remove the row.",
        NumberStatus.Overflow => $"{path}:{line}: {column} is '{cell.Trim()}', beyond the float32 range (about ±3.4e38), so it would become infinite. Rescale the column or fix the cell.",
        _ => $"{path}:{line}: {column} is '{cell.Trim()}', not a number." + DecimalCommaHint(cell),
    };

    /// <summary>
    /// Parses an integer label. "3.0" is accepted (some exports write integer labels as floats); "2.5", "NaN",
    /// "1e30" and text are not. Returns the problem text, or null when <paramref name="label"/> is set.
    /// </summary>
    public static string? IntegerLabelProblem(string path, int line, string cell, out int label)
    {
        label = 0;
        string text = cell.Trim();
        if (text.Length == 0) return $"{path}:{line}: the label is empty; every row needs its class. Fill it in or remove the row.";
        if (int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out label)) return null;
        if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double d))
            return $"{path}:{line}: the label is '{text}', not an integer class." + DecimalCommaHint(text);
        if (!double.IsFinite(d))
            return $"{path}:{line}: the label is '{text}', not a class. Labels are integer classes (0, 1, 2, ...); fix the cell or remove the row.";
        if (d != Math.Floor(d))
            return $"{path}:{line}: the label is '{text}', a fractional number; labels are integer classes (FedSim trains classifiers, not regressors). Round or bin the column into classes.";
        if (d > int.MaxValue || d < int.MinValue)
            return $"{path}:{line}: the label is '{text}', far beyond any class index; labels are integer classes (0, 1, 2, ...).";
        label = (int)d;
        return null;
    }

    /// <summary>
    /// Parses an integer class index 0..<paramref name="maxExclusive"/>-1 (or up to <see cref="MaxClasses"/> when null):
    /// <see cref="IntegerLabelProblem"/> plus the range. Returns the problem text, or null when <paramref name="label"/> is set.
    /// </summary>
    public static string? LabelProblem(string path, int line, string cell, int? maxExclusive, out int label)
    {
        if (IntegerLabelProblem(path, line, cell, out label) is { } problem) return problem;
        if (label < 0)
            return $"{path}:{line}: the label is {label}; class indices start at 0. Renumber the classes 0, 1, 2, ....";
        if (maxExclusive is { } max && label >= max)
            return $"{path}:{line}: the label is {label}, outside the {max} classes 0..{max - 1} this file declares. Fix the label or the header's class list.";
        if (label >= MaxClasses)
            return $"{path}:{line}: the label is {label}; FedSim accepts at most {MaxClasses} classes (class indices 0..{MaxClasses - 1}). Is the last column really the class?";
        return null;
    }

    /// <summary>
    /// A hint when a line that should have several comma-separated values has only one: the file probably uses
    /// another separator. Empty when nothing suggests that.
    /// </summary>
    public static string SeparatorHint(string line)
    {
        foreach (var (sep, name) in new[] { (';', "semicolon ';'"), ('\t', "tab"), ('|', "pipe '|'") })
            if (line.Contains(sep))
                return $" The line has no commas but contains {name}s: the file seems to be {name}-separated; FedSim reads comma-separated values, so convert it (e.g. in pandas: pd.read_csv(f, sep=...).to_csv(out, index=False)).";
        return "";
    }

    /// <summary>Labels must name at least two classes, or there is nothing to learn.</summary>
    public static void RequireTwoClasses(string where, IReadOnlyList<int> labels, IReadOnlyList<string>? classNames = null)
    {
        if (labels.Count == 0) throw new DatasetException($"{where}: no samples; the file holds no data rows.");
        int first = labels[0];
        for (int i = 1; i < labels.Count; i++)
            if (labels[i] != first) return;
        string name = classNames is not null && first < classNames.Count ? $"'{classNames[first]}'" : first.ToString(CultureInfo.InvariantCulture);
        throw new DatasetException(
            $"{where}: all {labels.Count:N0} samples have the same label {name}; a classifier needs at least two classes. Check the label column, or add samples of the other classes.");
    }

    private static string DecimalCommaHint(string cell) =>
        cell.Contains(',') ? " (Decimal commas are not read: write 1.5, not 1,5.)" : "";
}
