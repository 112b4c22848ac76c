using System.Globalization;
using FedSim.Determinism;
using nietras.SeparatedValues;

namespace FedSim.Data;

/// <summary>
/// Reads a researcher's own tabular data (dataset kind <c>csv</c>): a comma-separated file (plain or gzipped, RFC 4180
/// quoting) whose first row names the columns. One named column holds each row's class; an optional owner column
/// names the device (client, site, patient) the row belongs to, which the <c>natural</c> partition splits by.
/// <list type="bullet">
/// <item>Every other column is a feature. A column whose first non-empty cell is a number is numeric: all its cells
/// must be finite float32 numbers (no NaN, inf, empty cells or 1e40); numeric features are z-scored with the training
/// split's mean and standard deviation, like the other tabular readers.</item>
/// <item>A column whose first non-empty cell is text is categorical: one-hot encoded over the distinct values in the
/// file (sorted ordinally), an empty cell being a category of its own ("(missing)", counted as a missing value).
/// At most <see cref="MaxCategories"/> distinct values per column: more is an id, not a category.</item>
/// <item>Labels are integers (any values, e.g. 1/2) or names; the classes are the distinct values, sorted (numerically
/// for integers), numbered 0..K-1. Fractional, empty or non-finite labels are errors.</item>
/// <item>Train/test: with an owner column, each owner's rows are split by <c>test_fraction</c> (every owner keeps at
/// least one training row); without one, the split is stratified by class. Both are seeded.</item>
/// </list>
/// Every problem is a <see cref="DatasetException"/> of the form <c>file:line: what, and how to fix it</c>.
/// </summary>
public static class CsvDatasetReader
{
    /// <summary>Most distinct values a categorical column may have.</summary>
    public const int MaxCategories = 1000;

    /// <summary>The category an empty categorical cell becomes.</summary>
    public const string MissingCategory = "(missing)";

    /// <summary>The column names of the file's header row (what <c>fedsim validate</c> checks the scenario against).</summary>
    public static IReadOnlyList<string> ReadHeader(string path)
    {
        using var text = new StreamReader(DataFiles.OpenMaybeGzip(path));
        using var reader = OpenSep(text);
        foreach (var row in reader)
        {
            if (IsBlank(row)) continue;
            return HeaderNames(path, row);
        }
        throw new DatasetException($"{path}: the file is empty; a csv dataset starts with a header row naming its columns (e.g. age,income,label).");
    }

    /// <summary>
    /// Where <paramref name="labelColumn"/> and <paramref name="ownerColumn"/> sit in <paramref name="header"/>,
    /// or a DatasetException saying which is missing and what the columns are.
    /// </summary>
    public static (int Label, int Owner) LocateColumns(string path, IReadOnlyList<string> header, string labelColumn, string? ownerColumn)
    {
        int label = FindColumn(path, header, labelColumn, "label_column");
        int owner = ownerColumn is null ? -1 : FindColumn(path, header, ownerColumn, "owner_column");
        if (owner == label)
            throw new DatasetException($"{path}:1: label_column and owner_column both name '{labelColumn}'; the owner of a row cannot be its class.");
        if (header.Count - 1 - (owner >= 0 ? 1 : 0) < 1)
            throw new DatasetException($"{path}:1: the only columns are {string.Join(" and ", header.Select(h => $"'{h}'"))}: there are no feature columns to learn from. Add feature columns next to the label.");
        return (label, owner);
    }

    /// <summary>Reads, encodes, splits and standardises the file.</summary>
    public static DatasetSplit Load(string path, string labelColumn, string? ownerColumn, double testFraction, ulong seed)
    {
        var table = Read(path, labelColumn, ownerColumn);
        var (trainIdx, testIdx) = table.Owners is { } owners
            ? Tabular.GroupedSplit(owners, table.OwnerNames!.Length, testFraction, seed)
            : Tabular.StratifiedSplit(table.Labels, table.ClassNames.Length, testFraction, seed);
        if (testIdx.Length == 0)
            throw new DatasetException($"{path}: the test split is empty: {table.Labels.Length} rows with test_fraction {testFraction.ToString(CultureInfo.InvariantCulture)} leave none for the server to evaluate on. Raise dataset.test_fraction or add rows.");

        string name = "csv-" + Path.GetFileName(path);
        var all = new Dataset(name, table.Features, table.Labels, table.FeatureNames.Length, table.ClassNames.Length,
            groups: table.Owners, groupNames: table.OwnerNames, featureNames: table.FeatureNames);
        var train = all.Subset(trainIdx, name + "-train");
        var test = all.Subset(testIdx, name + "-test");
        train.MissingValues = trainIdx.Sum(i => (long)table.MissingPerRow[i]);
        test.MissingValues = testIdx.Sum(i => (long)table.MissingPerRow[i]);
        TextCells.RequireTwoClasses($"{path} (training split)", train.Labels, table.ClassNames);

        var (mean, std) = Tabular.ColumnStats(train.Features, train.FeatureCount);
        Tabular.Standardize(train.Features, train.FeatureCount, mean, std, table.NumericFeatures);
        Tabular.Standardize(test.Features, test.FeatureCount, mean, std, table.NumericFeatures);
        return new DatasetSplit(train, test);
    }

    /// <summary>The file as numbers: one-hot encoded features in file order, class indices, owners.</summary>
    internal sealed record Table(
        float[] Features, string[] FeatureNames, int[] NumericFeatures, int[] Labels, string[] ClassNames,
        int[]? Owners, string[]? OwnerNames, int[] MissingPerRow);

    internal static Table Read(string path, string labelColumn, string? ownerColumn)
    {
        using var text = new StreamReader(DataFiles.OpenMaybeGzip(path));
        using var reader = OpenSep(text);
        string[]? header = null;
        int labelAt = -1, ownerAt = -1;
        Column[] columns = [];
        var labels = new ValueColumn(path, "label", isLabel: true);
        var owners = new Dictionary<string, int>(StringComparer.Ordinal);
        var ownerOfRow = new List<int>();
        var missingPerRow = new List<int>();
        int rows = 0;

        foreach (var row in reader)
        {
            if (IsBlank(row)) continue;
            int line = LineOf(row);
            if (header is null)
            {
                header = HeaderNames(path, row);
                (labelAt, ownerAt) = LocateColumns(path, header, labelColumn, ownerColumn);
                labels = new ValueColumn(path, header[labelAt], isLabel: true);
                columns = header.Select((h, i) => i == labelAt || i == ownerAt ? null! : new Column(path, h)).ToArray();
                continue;
            }
            if (row.ColCount != header.Length)
            {
                string raw = row.Span.ToString();
                throw new DatasetException($"{path}:{line}: expected {header.Length} comma-separated values (one per header column), found {row.ColCount}." +
                                           (row.ColCount == 1 ? TextCells.SeparatorHint(raw) : " A value holding a comma must be quoted (\"a,b\")."));
            }
            int missing = 0;
            for (int c = 0; c < header.Length; c++)
            {
                string cell = row[c].Span.Trim().ToString();
                if (c == labelAt) labels.Add(cell, line);
                else if (c == ownerAt)
                {
                    if (cell.Length == 0)
                        throw new DatasetException($"{path}:{line}: the owner ('{header[c]}') is empty; every row needs the device it belongs to. Fill it in or remove the row.");
                    if (!owners.TryGetValue(cell, out int id)) owners[cell] = id = owners.Count;
                    ownerOfRow.Add(id);
                }
                else if (columns[c].Add(cell, line, rows)) missing++;
            }
            missingPerRow.Add(missing);
            rows++;
        }

        if (header is null)
            throw new DatasetException($"{path}: the file is empty; a csv dataset starts with a header row naming its columns (e.g. age,income,label).");
        if (rows == 0)
            throw new DatasetException($"{path}: the header is there but no data rows follow it.");

        var (features, featureNames, numeric) = Encode(columns.Where((_, c) => c != labelAt && c != ownerAt).ToList(), rows);
        var (labelIds, classNames) = labels.Classes();
        var (ownerIds, ownerNames) = ownerAt >= 0 ? NumberOwners(owners, ownerOfRow) : (null, null);
        TextCells.RequireTwoClasses(path, labelIds, classNames);
        return new Table(features, featureNames, numeric, labelIds, classNames, ownerIds, ownerNames, missingPerRow.ToArray());
    }

    /// <summary>
    /// The feature columns as one row-major matrix: a numeric column is one feature, a categorical one a one-hot block
    /// named column=value; also the names and the positions of the numeric features.
    /// </summary>
    private static (float[] Features, string[] Names, int[] Numeric) Encode(IReadOnlyList<Column> featureColumns, int rows)
    {
        var featureNames = new List<string>();
        var numeric = new List<int>();
        var blocks = new List<(Column Column, int Offset)>();
        foreach (var column in featureColumns)
        {
            column.Finish(rows);
            blocks.Add((column, featureNames.Count));
            if (column.IsNumeric)
            {
                numeric.Add(featureNames.Count);
                featureNames.Add(column.Name);
            }
            else featureNames.AddRange(column.Categories.Select(v => $"{column.Name}={v}"));
        }

        int width = featureNames.Count;
        var features = new float[(long)rows * width];
        foreach (var (column, offset) in blocks)
            column.WriteInto(features, width, offset);
        return (features, featureNames.ToArray(), numeric.ToArray());
    }

    /// <summary>Each row's owner as an index into the owners' names, numbered by sorted name so device ids do not depend on row order.</summary>
    private static (int[]? Ids, string[]? Names) NumberOwners(Dictionary<string, int> owners, List<int> ownerOfRow)
    {
        var ownerNames = owners.Keys.Order(StringComparer.Ordinal).ToArray();
        var rank = ownerNames.Select((n, i) => (n, i)).ToDictionary(t => t.n, t => t.i, StringComparer.Ordinal);
        var remap = owners.ToDictionary(p => p.Value, p => rank[p.Key]);
        return (ownerOfRow.Select(o => remap[o]).ToArray(), ownerNames);
    }

    private static SepReader OpenSep(TextReader text) =>
        Sep.New(',').Reader(o => o with { HasHeader = false, Unescape = true, DisableColCountCheck = true }).From(text);

    // Sep 0.17 reports the first row's LineNumberFrom as equal to its LineNumberToExcl (one too high); a row always
    // ends after it starts, so in that case the row is the single line before LineNumberToExcl.
    private static int LineOf(SepReader.Row row) =>
        row.LineNumberFrom < row.LineNumberToExcl ? row.LineNumberFrom : row.LineNumberToExcl - 1;

    private static bool IsBlank(SepReader.Row row) => row.ColCount == 1 && row[0].Span.Trim().IsEmpty;

    private static string[] HeaderNames(string path, SepReader.Row row)
    {
        var names = new string[row.ColCount];
        for (int c = 0; c < names.Length; c++) names[c] = row[c].Span.Trim().ToString();
        int line = LineOf(row);
        if (row.Span.Contains('\0'))
            throw new DatasetException($"{path}:{line}: this is a binary file, not text (is it a zip/xz/bz2 archive or an image?); give the path of the plain or gzipped CSV file.");
        if (names.Length == 1)
            throw new DatasetException($"{path}:{line}: the header has a single column ('{names[0]}'); a csv dataset needs feature columns and a label column." +
                                       TextCells.SeparatorHint(row.Span.ToString()));
        for (int c = 0; c < names.Length; c++)
        {
            if (names[c].Length == 0)
                throw new DatasetException($"{path}:{line}: column {c + 1} of the header has no name; the first row must name every column (is the header row missing?).");
            int first = Array.IndexOf(names, names[c]);
            if (first != c)
                throw new DatasetException($"{path}:{line}: the header names '{names[c]}' twice (columns {first + 1} and {c + 1}); column names must be unique.");
        }
        return names;
    }

    /// <summary>The index of column <paramref name="wanted"/>, or a DatasetException naming the scenario key and listing the columns.</summary>
    public static int FindColumn(string path, IReadOnlyList<string> header, string wanted, string key)
    {
        for (int i = 0; i < header.Count; i++)
            if (string.Equals(header[i], wanted, StringComparison.Ordinal)) return i;
        var close = header.FirstOrDefault(h => string.Equals(h, wanted, StringComparison.OrdinalIgnoreCase));
        string hint = close is not null ? $"did you mean '{close}'? " : "";
        throw new DatasetException($"{path}:1: {key} '{wanted}' is not a column of this file; {hint}the header has: {string.Join(", ", header)}.");
    }

    /// <summary>One feature column while reading: numeric (floats) or categorical (category ids), decided by its first non-empty cell.</summary>
    private sealed class Column(string path, string name)
    {
        private List<float>? _numbers;
        private List<int>? _categoryOfRow;
        private Dictionary<string, int>? _categories;
        private int _leadingEmpty, _firstEmptyLine, _firstValueLine;
        private string _firstValue = "";
        private string[] _sorted = [];
        private int[] _rank = [];

        public string Name { get; } = name;
        public bool IsNumeric => _numbers is not null;
        public IReadOnlyList<string> Categories => _sorted;

        /// <summary>Adds one cell; returns true when it was a missing categorical value.</summary>
        public bool Add(string cell, int line, int row)
        {
            if (_numbers is null && _categories is null)
            {
                if (cell.Length == 0)
                {
                    if (_leadingEmpty++ == 0) _firstEmptyLine = line;
                    return true;
                }
                _firstValue = cell;
                _firstValueLine = line;
                if (TextCells.TryParseNumber(cell, out _) is TextCells.NumberStatus.Ok or TextCells.NumberStatus.NonFinite or TextCells.NumberStatus.Overflow)
                {
                    if (_leadingEmpty > 0)
                        throw new DatasetException(TextCells.NumberProblem(path, _firstEmptyLine, $"column '{Name}'", "", TextCells.NumberStatus.Empty));
                    _numbers = new List<float>();
                }
                else
                {
                    _categories = new Dictionary<string, int>(StringComparer.Ordinal);
                    _categoryOfRow = new List<int>();
                    for (int i = 0; i < _leadingEmpty; i++) _categoryOfRow.Add(Category(MissingCategory, _firstEmptyLine));
                }
            }

            if (_numbers is not null)
            {
                var status = TextCells.TryParseNumber(cell, out float v);
                if (status == TextCells.NumberStatus.NotANumber)
                    throw new DatasetException($"{path}:{line}: column '{Name}' is '{cell}', but the column is numeric (its first value, line {_firstValueLine}, is '{_firstValue}'). " +
                                               "Fix the cell; a column is read as text only when its first value is text." +
                                               (cell.Contains(',') ? " (Decimal commas are not read: write 1.5, not 1,5.)" : ""));
                if (status != TextCells.NumberStatus.Ok)
                    throw new DatasetException(TextCells.NumberProblem(path, line, $"column '{Name}'", cell, status));
                _numbers.Add(v);
                return false;
            }
            bool missing = cell.Length == 0;
            _categoryOfRow!.Add(Category(missing ? MissingCategory : cell, line));
            return missing;
        }

        private int Category(string value, int line)
        {
            if (_categories!.TryGetValue(value, out int id)) return id;
            if (_categories.Count == MaxCategories)
                throw new DatasetException($"{path}:{line}: column '{Name}' has more than {MaxCategories} distinct text values; one-hot encoding would add a feature per value. " +
                                           "Drop the column (an id?), bin it, or name it as dataset.owner_column if it says which device a row belongs to.");
            _categories[value] = id = _categories.Count;
            return id;
        }

        public void Finish(int rows)
        {
            if (_numbers is null && _categories is null)
                throw new DatasetException($"{path}: column '{Name}' is empty in all {rows} rows; remove it.");
            if (_categories is not null)
            {
                _sorted = _categories.Keys.Order(StringComparer.Ordinal).ToArray();
                _rank = new int[_categories.Count];
                for (int i = 0; i < _sorted.Length; i++) _rank[_categories[_sorted[i]]] = i;
            }
        }

        public void WriteInto(float[] features, int width, int offset)
        {
            if (_numbers is not null)
                for (int r = 0; r < _numbers.Count; r++) features[(long)r * width + offset] = _numbers[r];
            else
                for (int r = 0; r < _categoryOfRow!.Count; r++) features[(long)r * width + offset + _rank[_categoryOfRow[r]]] = 1f;
        }
    }

    /// <summary>The label column: integer labels (numeric order) or names (ordinal order), decided by the first label.</summary>
    private sealed class ValueColumn(string path, string name, bool isLabel)
    {
        private readonly List<int> _ids = new();
        private readonly Dictionary<string, int> _text = new(StringComparer.Ordinal);
        private readonly Dictionary<int, int> _numbers = new();
        private bool? _numeric;

        public void Add(string cell, int line)
        {
            _numeric ??= cell.Length == 0 || double.TryParse(cell, NumberStyles.Float, CultureInfo.InvariantCulture, out _);
            if (_numeric.Value)
            {
                if (TextCells.IntegerLabelProblem(path, line, cell, out int label) is { } problem)
                    throw new DatasetException(problem.Replace("the label", $"the label ('{name}')", StringComparison.Ordinal) +
                                               (double.TryParse(cell, NumberStyles.Float, CultureInfo.InvariantCulture, out _) || cell.Length == 0 ? "" :
                                                   " The column's first label is a number, so all its labels must be integers."));
                if (!_numbers.TryGetValue(label, out int id)) _numbers[label] = id = Next(line);
                _ids.Add(id);
            }
            else
            {
                if (cell.Length == 0)
                    throw new DatasetException($"{path}:{line}: the label ('{name}') is empty; every row needs its class. Fill it in or remove the row.");
                if (!_text.TryGetValue(cell, out int id)) _text[cell] = id = Next(line);
                _ids.Add(id);
            }
        }

        private int Next(int line)
        {
            int count = _text.Count + _numbers.Count;
            if (isLabel && count == TextCells.MaxClasses)
                throw new DatasetException($"{path}:{line}: the label column '{name}' has more than {TextCells.MaxClasses} distinct values; FedSim trains classifiers. " +
                                           "Is this an id or a continuous target? Choose another label_column, or bin the values into classes.");
            return count;
        }

        /// <summary>Class index per row (0..K-1 in sorted label order) and the class names.</summary>
        public (int[] Ids, string[] Names) Classes()
        {
            string[] names;
            int[] rank;
            if (_numeric == true)
            {
                var sorted = _numbers.Keys.Order().ToArray();
                names = sorted.Select(v => v.ToString(CultureInfo.InvariantCulture)).ToArray();
                rank = new int[sorted.Length];
                for (int i = 0; i < sorted.Length; i++) rank[_numbers[sorted[i]]] = i;
            }
            else
            {
                names = _text.Keys.Order(StringComparer.Ordinal).ToArray();
                rank = new int[names.Length];
                for (int i = 0; i < names.Length; i++) rank[_text[names[i]]] = i;
            }
            return (_ids.Select(id => rank[id]).ToArray(), names);
        }
    }
}
