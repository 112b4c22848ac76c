using System.Formats.Tar;
using System.IO.Compression;

namespace FedSim.Data;

/// <summary>
/// Reads the Location dataset (Foursquare check-ins in Bangkok, as prepared by Shokri, Stronati, Song and Shmatikov
/// 2017 for their membership-inference experiments): 5,010 rows of a quoted class label 1..30 followed by 446 binary
/// features (the regions and location types a user visited), no header. It comes as <c>dataset_location.tgz</c> holding
/// one CSV file <c>bangkok</c>; the reader takes the archive, the extracted file, or a folder holding either. Labels
/// are renumbered 0..29; the features stay 0/1 (nothing to standardize); the test part is a stratified seeded split.
/// A standard membership-inference target: few records per class and many features, so models overfit it.
/// </summary>
public static class LocationReader
{
    public const int Features = 446;
    public const int Classes = 30;
    public const int Rows = 5_010;
    public const string Archive = "dataset_location.tgz";
    public const string CsvName = "bangkok";

    public static DatasetSplit Load(string path, double testFraction, ulong seed)
    {
        var (features, labels) = Read(path);
        var all = new Dataset("location", features, labels, Features, Classes);
        var (trainIdx, testIdx) = Tabular.StratifiedSplit(labels, Classes, testFraction, seed);
        return new DatasetSplit(all.Subset(trainIdx, "location-train"), all.Subset(testIdx, "location-test"));
    }

    /// <summary>The rows of the archive or CSV at <paramref name="path"/> (or in that folder): features row-major, labels 0..29.</summary>
    public static (float[] Features, int[] Labels) Read(string path)
    {
        string file = Directory.Exists(path)
            ? new[] { Archive, CsvName }.Select(n => Path.Combine(path, n)).FirstOrDefault(File.Exists)
              ?? throw new DatasetException($"{path}: holds neither {Archive} nor {CsvName}; set dataset.path to the Location archive or its extracted CSV.")
            : path;
        if (!File.Exists(file)) throw new DatasetException($"{file}: no such file; set dataset.path to {Archive} or its extracted {CsvName} file.");
        DataFiles.RecordRead(file);
        using var stream = File.OpenRead(file);
        if (!file.EndsWith(".tgz", StringComparison.OrdinalIgnoreCase) && !file.EndsWith(".tar.gz", StringComparison.OrdinalIgnoreCase))
            return Parse(file, stream);
        using var gzip = new GZipStream(stream, CompressionMode.Decompress);
        using var tar = new TarReader(gzip);
        try
        {
            while (tar.GetNextEntry() is { } entry)
                if (entry.EntryType is TarEntryType.RegularFile or TarEntryType.V7RegularFile && entry.DataStream is { } data)
                    return Parse($"{file}:{entry.Name}", data);
        }
        catch (Exception ex) when (ex is InvalidDataException or EndOfStreamException or FormatException)
        {
            throw new DatasetException($"{file}: not a readable tar.gz archive ({ex.Message}); get a fresh copy of {Archive}.");
        }
        throw new DatasetException($"{file}: the archive holds no file; expected one CSV file ({CsvName}).");
    }

    private static (float[] Features, int[] Labels) Parse(string where, Stream data)
    {
        var features = new List<float>(Rows * Features);
        var labels = new List<int>(Rows);
        using var reader = new StreamReader(data);
        int lineNo = 0;
        while (reader.ReadLine() is { } line)
        {
            lineNo++;
            if (string.IsNullOrWhiteSpace(line)) continue;
            var fields = line.Split(',');
            if (fields.Length != Features + 1)
                throw new DatasetException($"{where}:{lineNo}: expected {Features + 1} comma-separated values (the label, then {Features} binary features), found {fields.Length}.");
            if (TextCells.LabelProblem(where, lineNo, fields[0].Trim().Trim('"'), Classes + 1, out int label) is { } problem)
                throw new DatasetException(problem);
            if (label < 1)
                throw new DatasetException($"{where}:{lineNo}: the label is {label}; Location's classes are numbered 1..{Classes}.");
            labels.Add(label - 1);
            for (int c = 1; c <= Features; c++)
            {
                var status = TextCells.TryParseNumber(fields[c], out float v);
                if (status != TextCells.NumberStatus.Ok)
                    throw new DatasetException(TextCells.NumberProblem(where, lineNo, $"column {c + 1}", fields[c], status));
                if (v is not (0f or 1f))
                    throw new DatasetException($"{where}:{lineNo}: column {c + 1} is {fields[c]}; Location's features are binary (0 or 1).");
                features.Add(v);
            }
        }
        if (labels.Count == 0) throw new DatasetException($"{where}: no rows; expected {Rows} rows of a label and {Features} binary features.");
        TextCells.RequireTwoClasses(where, labels);
        return (features.ToArray(), labels.ToArray());
    }
}
