using System.Globalization;

namespace FedSim.Data;

/// <summary>
/// Reads UCI Adult (census income): <c>adult.data</c> (train) and <c>adult.test</c> (test), comma-separated
/// without header. <c>adult.test</c> starts with a junk line (<c>|1x3 Cross validator</c>) and its labels end
/// in '.'. Missing values are '?', kept as their own category "missing". Categorical columns are one-hot
/// encoded with the categories seen in the training file (unseen test categories encode as all zeros);
/// numeric columns are z-scored with training mean and std. Label: income &gt;50K = 1.
/// </summary>
public static class AdultReader
{
    public const string Missing = "missing";

    // Column order of adult.names; true = numeric.
    private static readonly (string Name, bool Numeric)[] Columns =
    [
        ("age", true), ("workclass", false), ("fnlwgt", true), ("education", false), ("education-num", true),
        ("marital-status", false), ("occupation", false), ("relationship", false), ("race", false), ("sex", false),
        ("capital-gain", true), ("capital-loss", true), ("hours-per-week", true), ("native-country", false),
    ];

    public static readonly string[] ClassNames = ["<=50K", ">50K"];

    /// <summary>Loads adult.data and adult.test from a folder.</summary>
    public static DatasetSplit LoadFolder(string folder)
    {
        string train = Path.Combine(folder, "adult.data"), test = Path.Combine(folder, "adult.test");
        foreach (var p in new[] { train, test })
            if (!File.Exists(p))
                throw new DatasetException($"{p}: file not found; the Adult folder must hold adult.data and adult.test (UCI Machine Learning Repository, dataset 2).");
        return Load(train, test);
    }

    public static DatasetSplit Load(string trainPath, string testPath)
    {
        var trainRows = ReadRows(trainPath);
        TextCells.RequireTwoClasses(trainPath, trainRows.Select(r => r.Label).ToList(), ClassNames);
        var testRows = ReadRows(testPath);

        // Categories come from the training file only, sorted so the encoding does not depend on row order.
        var categories = new Dictionary<int, string[]>();
        for (int c = 0; c < Columns.Length; c++)
            if (!Columns[c].Numeric)
                categories[c] = trainRows.Select(r => r.Fields[c]).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToArray();

        var names = new List<string>();
        var numericCols = new List<int>();
        var offsets = new int[Columns.Length];
        var lookup = new Dictionary<int, Dictionary<string, int>>();
        for (int c = 0; c < Columns.Length; c++)
        {
            offsets[c] = names.Count;
            if (Columns[c].Numeric)
            {
                numericCols.Add(names.Count);
                names.Add(Columns[c].Name);
            }
            else
            {
                lookup[c] = categories[c].Select((v, i) => (v, i)).ToDictionary(t => t.v, t => t.i, StringComparer.Ordinal);
                names.AddRange(categories[c].Select(v => $"{Columns[c].Name}={v}"));
            }
        }
        int featureCount = names.Count;

        var train = Encode("adult-train", trainRows, featureCount, offsets, lookup, names);
        var test = Encode("adult-test", testRows, featureCount, offsets, lookup, names);
        train.MissingValues = CountMissing(trainRows);
        test.MissingValues = CountMissing(testRows);
        var (mean, std) = Tabular.ColumnStats(train.Features, featureCount);
        Tabular.Standardize(train.Features, featureCount, mean, std, numericCols);
        Tabular.Standardize(test.Features, featureCount, mean, std, numericCols);
        return new DatasetSplit(train, test);
    }

    private static long CountMissing(List<Row> rows) => rows.Sum(r => (long)r.Fields.Count(f => ReferenceEquals(f, Missing)));

    private sealed record Row(string[] Fields, int Label, int Line);

    private static List<Row> ReadRows(string path)
    {
        var rows = new List<Row>();
        foreach (var (lineNo, line) in DataFiles.ReadLines(path))
        {
            // Blank lines end the UCI files; adult.test's first line is "|1x3 Cross validator".
            if (string.IsNullOrWhiteSpace(line) || line.StartsWith('|')) continue;
            var parts = line.Split(',');
            if (parts.Length != Columns.Length + 1)
                throw new DatasetException($"{path}:{lineNo}: expected {Columns.Length + 1} comma-separated values (14 attributes and the income label), found {parts.Length}." +
                                           (parts.Length == 1 ? TextCells.SeparatorHint(line) : ""));
            var fields = new string[Columns.Length];
            for (int c = 0; c < Columns.Length; c++)
            {
                string v = parts[c].Trim();
                if (Columns[c].Numeric)
                {
                    var status = TextCells.TryParseNumber(v, out _);
                    if (status != TextCells.NumberStatus.Ok)
                        throw new DatasetException(TextCells.NumberProblem(path, lineNo, Columns[c].Name, v, status)
                                                   + (v == "?" ? " (Adult marks missing values with '?' only in categorical columns.)" : ""));
                }
                else if (v is "?" or "") v = Missing;
                fields[c] = v;
            }
            string label = parts[^1].Trim().TrimEnd('.');
            int y = label switch
            {
                ">50K" => 1,
                "<=50K" => 0,
                _ => throw new DatasetException($"{path}:{lineNo}: income label is '{parts[^1].Trim()}', expected '<=50K' or '>50K' (optionally ending in '.')."),
            };
            rows.Add(new Row(fields, y, lineNo));
        }
        if (rows.Count == 0) throw new DatasetException($"{path}: no data rows (the file is empty or holds only blank lines).");
        return rows;
    }

    private static Dataset Encode(string name, List<Row> rows, int featureCount, int[] offsets,
        Dictionary<int, Dictionary<string, int>> lookup, List<string> names)
    {
        var features = new float[(long)rows.Count * featureCount];
        var labels = new int[rows.Count];
        for (int r = 0; r < rows.Count; r++)
        {
            var row = rows[r];
            int baseIdx = r * featureCount;
            for (int c = 0; c < Columns.Length; c++)
            {
                if (Columns[c].Numeric)
                    features[baseIdx + offsets[c]] = float.Parse(row.Fields[c], NumberStyles.Float, CultureInfo.InvariantCulture);
                else if (lookup[c].TryGetValue(row.Fields[c], out int k))
                    features[baseIdx + offsets[c] + k] = 1f;
                // Unknown category (only possible in the test file): all zeros for this column group.
            }
            labels[r] = row.Label;
        }
        return new Dataset(name, features, labels, featureCount, 2, featureNames: names.ToArray());
    }
}
