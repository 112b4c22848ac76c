namespace FedSim.Data.Kinds;

/// <summary>Location (Bangkok check-ins, Shokri et al. 2017): 30 classes, 446 binary features; a membership-inference target.</summary>
public sealed class LocationDataset : DatasetKind
{
    public override string Name => DatasetKinds.Location;
    public override int Order => 7;
    public override string Summary => "Bangkok check-ins (Shokri et al. 2017), 446 binary features, 30 classes";
    public override string Folder => "location";
    public override string Expect => $"{LocationReader.Archive} (or its extracted {LocationReader.CsvName} file, or a folder holding either)";
    public override string WhereToGet =>
        "Location is the Bangkok check-in set of Shokri et al. 2017, distributed by its authors as dataset_location.tgz (one CSV file, bangkok); " +
        "set dataset.path to that archive or the folder holding it (a FedSim checkout has ../shared/datasets/location)";

    public override string? FindIn(string folder) => FileIn(folder, LocationReader.Archive, LocationReader.CsvName);

    public override DatasetGeometry Geometry(DatasetSpec spec) =>
        new(LocationReader.Features, LocationReader.Classes, null, DatasetGeometry.TrainPart(LocationReader.Rows, spec.TestFraction));

    public override DatasetSplit Load(DatasetSpec spec, string? path, ulong seed) => LocationReader.Load(path!, spec.TestFraction, seed);

    public override object CacheKey(DatasetSpec spec, string? path, ulong seed) => new SplitKey(path!, spec.TestFraction, seed);
}
