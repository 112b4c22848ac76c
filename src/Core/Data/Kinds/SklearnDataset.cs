namespace FedSim.Data.Kinds;

/// <summary>
/// A CSV file that ships inside scikit-learn (<see cref="SklearnCsvReader"/>'s format), split by the seeded
/// stratified test fraction. Subclasses name the file and read it.
/// </summary>
public abstract class SklearnDataset : DatasetKind
{
    /// <summary>The names the file may have, the one scikit-learn ships first.</summary>
    protected abstract IReadOnlyList<string> FileNames { get; }

    /// <summary>Reads the located file into a split.</summary>
    protected abstract DatasetSplit Read(string file, double testFraction, ulong seed);

    public override string Folder => "sklearn";
    public override string Expect => $"{FileNames[0]} (or a folder holding it)";
    public override string WhereToGet =>
        $"{FileNames[0]} ships inside scikit-learn (no separate download): `pip install scikit-learn` or `apt-get install python3-sklearn`, then set dataset.path to " +
        $"{FileNames[0]} in the folder printed by `python3 -c \"import sklearn, os; print(os.path.join(os.path.dirname(sklearn.__file__), 'datasets', 'data'))\"` " +
        $"(Debian: /usr/lib/python3/dist-packages/sklearn/datasets/data; a FedSim checkout has ../shared/datasets/sklearn/{FileNames[0]})";

    public override string? FindIn(string folder) => FileIn(folder, [.. FileNames]);

    public override DatasetSplit Load(DatasetSpec spec, string? path, ulong seed) =>
        Read(FileOrIn(path!, [.. FileNames]), spec.TestFraction, seed);

    public override object CacheKey(DatasetSpec spec, string? path, ulong seed) => new SplitKey(path!, spec.TestFraction, seed);
}
