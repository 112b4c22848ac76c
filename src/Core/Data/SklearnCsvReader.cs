using System.Globalization;

namespace FedSim.Data;

/// <summary>
/// Reads scikit-learn's bundled CSV files (as shipped by Debian's python3-sklearn): an optional first line
/// <c>n_samples,n_features,class names...</c>, then one row per sample with the integer label last.
/// <c>digits.csv.gz</c> has no header line; it is recognised by the header being absent and all fields numeric.
/// </summary>
public static class SklearnCsvReader
{
    /// <summary>The parsed file before any split or scaling.</summary>
    public sealed record Table(float[] Features, int[] Labels, int FeatureCount, string[] ClassNames);

    public static readonly ImageShape DigitsImage = new(1, 8, 8);

    /// <summary>Digits (1,797 8x8 images, 10 classes): pixels scaled from 0..16 to [0, 1], image shape 1x8x8.</summary>
    public static DatasetSplit LoadDigits(string path, double testFraction, ulong seed)
    {
        var table = ReadTable(path);
        if (table.FeatureCount != DigitsImage.Size)
            throw new DatasetException($"{path}: digits rows must have {DigitsImage.Size} pixel values, found {table.FeatureCount}.");
        var f = table.Features;
        for (int i = 0; i < f.Length; i++) f[i] /= 16f;
        return Split("sklearn-digits", table, testFraction, seed, standardize: false, DigitsImage);
    }

    /// <summary>Breast cancer (569 x 30, 2 classes): features z-scored with training statistics.</summary>
    public static DatasetSplit LoadBreastCancer(string path, double testFraction, ulong seed) =>
        LoadTabular(path, "sklearn-breast-cancer", testFraction, seed);

    /// <summary>Any sklearn CSV treated as tabular: stratified seeded split, z-score with training statistics.</summary>
    public static DatasetSplit LoadTabular(string path, string name, double testFraction, ulong seed) =>
        Split(name, ReadTable(path), testFraction, seed, standardize: true, image: null);

    public static Table ReadTable(string path)
    {
        int featureCount = -1, declaredSamples = -1;
        string[]? classNames = null;
        var features = new List<float>();
        var labels = new List<int>();
        foreach (var (lineNo, line) in DataFiles.ReadLines(path))
        {
            if (string.IsNullOrWhiteSpace(line)) continue;
            var fields = line.Split(',');
            if (labels.Count == 0 && featureCount < 0 && IsHeader(fields, out declaredSamples, out int declaredFeatures))
            {
                featureCount = declaredFeatures;
                classNames = fields[2..].Select(s => s.Trim()).ToArray();
                continue;
            }
            if (fields.Length == 1)
                throw new DatasetException($"{path}:{lineNo}: expected comma-separated values (features, then the label), found a single value." +
                                           (TextCells.SeparatorHint(line) is { Length: > 0 } hint ? hint : " A file of labels alone has no features to learn from."));
            if (featureCount < 0) featureCount = fields.Length - 1;
            if (fields.Length != featureCount + 1)
                throw new DatasetException($"{path}:{lineNo}: expected {featureCount + 1} comma-separated values ({featureCount} features and the label" +
                                           (classNames is null ? ", as on the first row" : ", as the header declares") + $"), found {fields.Length}.");
            for (int c = 0; c < featureCount; c++)
            {
                var status = TextCells.TryParseNumber(fields[c], out float v);
                if (status != TextCells.NumberStatus.Ok)
                    throw new DatasetException(TextCells.NumberProblem(path, lineNo, $"column {c + 1}", fields[c], status));
                features.Add(v);
            }
            if (TextCells.LabelProblem(path, lineNo, fields[featureCount], classNames?.Length, out int label) is { } problem)
                throw new DatasetException(problem);
            labels.Add(label);
        }
        if (labels.Count == 0)
            throw new DatasetException(featureCount < 0
                ? $"{path}: the file is empty; expected rows of comma-separated feature values with the integer label last."
                : $"{path}: the header is there but no data rows follow it (truncated?).");
        if (declaredSamples >= 0 && declaredSamples != labels.Count)
            throw new DatasetException($"{path}: header declares {declaredSamples} samples but the file has {labels.Count} rows (truncated?).");
        classNames ??= Enumerable.Range(0, labels.Max() + 1).Select(i => i.ToString(CultureInfo.InvariantCulture)).ToArray();
        TextCells.RequireTwoClasses(path, labels, classNames);
        return new Table(features.ToArray(), labels.ToArray(), featureCount, classNames);
    }

    // A header is "n_samples,n_features,<class names>": two positive integers followed by at least one non-numeric name.
    private static bool IsHeader(string[] fields, out int samples, out int features)
    {
        samples = -1;
        features = 0;
        if (fields.Length < 3
            || !int.TryParse(fields[0], NumberStyles.Integer, CultureInfo.InvariantCulture, out int s) || s <= 0
            || !int.TryParse(fields[1], NumberStyles.Integer, CultureInfo.InvariantCulture, out int f) || f <= 0
            || fields.Skip(2).All(x => double.TryParse(x, NumberStyles.Float, CultureInfo.InvariantCulture, out _)))
            return false;
        samples = s;
        features = f;
        return true;
    }

    private static DatasetSplit Split(string name, Table table, double testFraction, ulong seed, bool standardize, ImageShape? image)
    {
        int classes = table.ClassNames.Length;
        var all = new Dataset(name, table.Features, table.Labels, table.FeatureCount, classes, image);
        var (trainIdx, testIdx) = Tabular.StratifiedSplit(table.Labels, classes, testFraction, seed);
        var train = all.Subset(trainIdx, name + "-train");
        var test = all.Subset(testIdx, name + "-test");
        if (standardize)
        {
            var (mean, std) = Tabular.ColumnStats(train.Features, train.FeatureCount);
            Tabular.Standardize(train.Features, train.FeatureCount, mean, std);
            Tabular.Standardize(test.Features, test.FeatureCount, mean, std);
        }
        return new DatasetSplit(train, test);
    }
}
