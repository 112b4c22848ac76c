using FedSim.Components;

namespace FedSim.Data.Kinds;

/// <summary>
/// A researcher's own CSV file (<see cref="CsvDatasetReader"/>): a header row, a named label column, optionally an
/// owner column that gives the natural partition its devices.
/// </summary>
public sealed class CsvDataset : DatasetKind
{
    public override string Name => DatasetKinds.Csv;
    public override int Order => 100;
    public override string Summary => "your own file: a header row, label_column, optional owner_column";
    public override string Expect => "a CSV file with a header row";
    public override string WhereToGet =>
        "set dataset.path to your CSV file (a header row naming the columns; relative paths resolve against the scenario file's folder)";
    public override string Owners => "with dataset.owner_column";
    public override bool ReadsColumns => true;

    // Only the header tells the shape.
    public override DatasetGeometry? Geometry(DatasetSpec spec) => null;

    /// <summary>A lower bound from the header: every column but the label and owner is at least one feature; 2 classes, the least a classifier has.</summary>
    public override DatasetGeometry? GeometryFromFile(DatasetSpec spec, string path)
    {
        if (!File.Exists(path)) return null;
        int columns;
        try { columns = CsvDatasetReader.ReadHeader(path).Count; }
        catch (DatasetException) { return null; } // reported by the location rules
        if (columns == 0) return null;
        return new(Math.Max(1, columns - 1 - (spec.OwnerColumn is not null ? 1 : 0)), 2, null, null);
    }

    public override DatasetSplit Load(DatasetSpec spec, string? path, ulong seed) =>
        CsvDatasetReader.Load(File.Exists(path) ? path : throw new DatasetException($"{path}: is a folder; dataset '{Name}' needs the path of the CSV file itself."),
            spec.LabelColumn, spec.OwnerColumn, spec.TestFraction, seed);

    public override object CacheKey(DatasetSpec spec, string? path, ulong seed) =>
        new CsvKey(path!, spec.TestFraction, seed, spec.LabelColumn, spec.OwnerColumn);

    private sealed record CsvKey(string Path, double TestFraction, ulong Seed, string LabelColumn, string? OwnerColumn);

    protected override IEnumerable<ComponentFinding> CheckOptions(DatasetSpec spec, DatasetRuleContext context)
    {
        if (context.IsValid("dataset.partition.kind") && spec.Partition.Kind == PartitionKinds.Natural && spec.OwnerColumn is null)
            yield return new("dataset.partition.kind",
                "partition 'natural' on a csv dataset needs dataset.owner_column: the header name of the column saying which device (client, site) each row belongs to");
    }

    /// <summary>The header must hold the label (and owner) column and at least one feature column.</summary>
    public override IEnumerable<ComponentFinding> CheckLocation(DatasetSpec spec, string path)
    {
        if (Directory.Exists(path))
        {
            yield return new("dataset.path", $"dataset.path '{spec.Path}' is a folder; dataset kind 'csv' needs the path of the CSV file itself");
            yield break;
        }
        IReadOnlyList<string> header;
        string? problem = null;
        try { header = CsvDatasetReader.ReadHeader(path); }
        catch (DatasetException e)
        {
            header = [];
            problem = e.Message;
        }
        if (problem is not null)
        {
            yield return new("dataset.path", problem);
            yield break;
        }
        var checks = new (string Key, Action Check)[]
        {
            ("dataset.label_column", () => CsvDatasetReader.FindColumn(path, header, spec.LabelColumn, "label_column")),
            ("dataset.owner_column", () => { if (spec.OwnerColumn is not null) CsvDatasetReader.FindColumn(path, header, spec.OwnerColumn, "owner_column"); }),
            ("dataset.path", () => CsvDatasetReader.LocateColumns(path, header, spec.LabelColumn, spec.OwnerColumn)),
        };
        foreach (var (key, check) in checks)
        {
            string? message = null;
            try { check(); }
            catch (DatasetException e) { message = e.Message; }
            if (message is not null)
            {
                yield return new(key, message);
                yield break;
            }
        }
    }
}
