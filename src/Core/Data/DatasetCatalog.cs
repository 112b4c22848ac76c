using System.Collections.Concurrent;
using System.Globalization;
using FedSim.Scenario;

namespace FedSim.Data;

/// <summary>
/// Turns a scenario's <see cref="DatasetSpec"/> into a loaded <see cref="DatasetSplit"/>. Loads are cached
/// process-wide (many device grains in one silo share one dataset): the key is the kind, the resolved full path
/// and the parameters that change the result, so a second load of the same data returns the same object.
/// </summary>
public static class DatasetCatalog
{
    /// <summary>Environment variable naming a data root with one folder per dataset (mnist/, fashion-mnist/, femnist-leaf/, sklearn/, adult/, location/).</summary>
    public const string DataDirVariable = "FEDSIM_DATA_DIR";

    /// <summary>Where Debian's dataset packages install (apt-get install dataset-fashion-mnist).</summary>
    public const string DebianDatasets = "/usr/share/datasets";

    private static readonly ConcurrentDictionary<string, Lazy<DatasetSplit>> Cache = new();
    private static int _loads;

    /// <summary>Number of uncached loads so far (reads of files or generations); lets tests prove the cache works.</summary>
    public static int LoadCount => Volatile.Read(ref _loads);

    /// <summary>Drops every cached dataset (tests, or a long-lived process switching datasets).</summary>
    public static void ClearCache() => Cache.Clear();

    /// <summary>Loads (or returns the cached) dataset. Throws <see cref="DatasetException"/> with a fix when it is missing or bad.</summary>
    public static DatasetSplit Load(DatasetSpec spec, string baseDirectory, ulong seed)
    {
        ArgumentNullException.ThrowIfNull(spec);
        string kind = spec.Kind;
        string? path = kind == DatasetKinds.Synthetic ? null : Locate(spec, baseDirectory);
        string key = kind switch
        {
            DatasetKinds.Synthetic => Key(kind, spec.Samples, spec.TestFraction, seed),
            DatasetKinds.SklearnDigits or DatasetKinds.SklearnBreastCancer or DatasetKinds.Location => Key(kind, path, spec.TestFraction, seed),
            DatasetKinds.Csv => Key(kind, path, spec.TestFraction, seed, spec.LabelColumn, spec.OwnerColumn),
            _ => Key(kind, path),
        };
        var lazy = Cache.GetOrAdd(key, _ => new Lazy<DatasetSplit>(() => LoadUncached(kind, path, spec, seed), LazyThreadSafetyMode.ExecutionAndPublication));
        try { return lazy.Value; }
        catch
        {
            // Do not cache failures: the user may fix the file and retry in the same process.
            Cache.TryRemove(new KeyValuePair<string, Lazy<DatasetSplit>>(key, lazy));
            throw;
        }
    }

    /// <summary>
    /// Resolves the file or folder a spec points at: the explicit path (relative to <paramref name="baseDirectory"/>),
    /// else the well-known places ($FEDSIM_DATA_DIR/&lt;folder&gt;, /usr/share/datasets/&lt;folder&gt;).
    /// Throws <see cref="DatasetException"/> saying what was looked for, where, and how to get it.
    /// </summary>
    public static string Locate(DatasetSpec spec, string baseDirectory)
    {
        var info = Describe(spec.Kind);
        if (spec.Path is { Length: > 0 } given)
        {
            string full = Path.GetFullPath(given, Path.GetFullPath(baseDirectory));
            if (File.Exists(full) || Directory.Exists(full)) return full;
            throw new DatasetException($"dataset '{spec.Kind}': path '{given}' (resolved to {full}) does not exist; it should be {info.Expect}. {Sentence(WhereToGet(spec.Kind))}");
        }
        return FindInWellKnownPlaces(spec.Kind)
               ?? throw new DatasetException($"dataset '{spec.Kind}' not found: no path given and {DescribeWellKnownPlaces(spec.Kind)}. " +
                                             $"Set dataset.path to {info.Expect}. {Sentence(WhereToGet(spec.Kind))}");
    }

    /// <summary>
    /// Where a dataset given without a path is found: the first of its well-known places that holds it, or null.
    /// The scenario validator and the loader both call this, so $FEDSIM_DATA_DIR works the same in both.
    /// </summary>
    public static string? FindInWellKnownPlaces(string kind)
    {
        if (!Known(kind, out var info) || info.Folder is null) return null;
        foreach (var root in WellKnownRoots())
            if (info.Probe(Path.Combine(root, info.Folder)) is { } found) return found;
        return null;
    }

    /// <summary>"none of A, B holds it" / "csv has no well-known place", for messages.</summary>
    public static string DescribeWellKnownPlaces(string kind)
    {
        if (!Known(kind, out var info) || info.Folder is null) return $"a '{kind}' dataset has no well-known place to look in";
        var tried = WellKnownRoots().Select(root => Path.Combine(root, info.Folder)).ToList();
        return $"none of its well-known places holds it ({string.Join(", ", tried)}; set {DataDirVariable} to a folder holding {info.Folder}/)";
    }

    /// <summary>
    /// How to get a file-backed dataset, naming only commands that exist: <c>fedsim data fetch</c> for the datasets it
    /// knows (mnist, fashion-mnist, adult: official URLs, SHA-256 checked), otherwise exactly where the files come from.
    /// </summary>
    public static string WhereToGet(string kind) => kind switch
    {
        DatasetKinds.Mnist =>
            "get it with `fedsim data fetch mnist --to DIR` and set dataset.path to DIR (a FedSim checkout has a copy in ../shared/datasets/mnist)",
        DatasetKinds.FashionMnist =>
            $"install it with `apt-get install dataset-fashion-mnist` (it lands in {DebianDatasets}/fashion-mnist, found without a path) or get it with `fedsim data fetch fashion-mnist --to DIR` and set dataset.path to DIR",
        DatasetKinds.Femnist =>
            "FEMNIST is generated, not downloaded: clone LEAF (https://github.com/TalwalkarLab/leaf), run `./preprocess.sh -s niid --sf 0.05 -k 0 -t sample` " +
            "in its data/femnist folder (it downloads NIST SD19 itself) and set dataset.path to data/femnist/data, which then holds train/ and test/ " +
            "(a FedSim checkout has such a subset in ../shared/datasets/femnist-leaf)",
        DatasetKinds.SklearnDigits => SklearnHint("digits.csv.gz"),
        DatasetKinds.SklearnBreastCancer => SklearnHint("breast_cancer.csv"),
        DatasetKinds.Adult =>
            "get it with `fedsim data fetch adult --to DIR` (UCI's adult.data and adult.test) and set dataset.path to DIR (a FedSim checkout has ../shared/datasets/adult)",
        DatasetKinds.Location =>
            "Location is the Bangkok check-in set of Shokri et al. 2017, distributed by its authors as dataset_location.tgz (one CSV file, bangkok); " +
            "set dataset.path to that archive or the folder holding it (a FedSim checkout has ../shared/datasets/location)",
        DatasetKinds.Csv =>
            "set dataset.path to your CSV file (a header row naming the columns; relative paths resolve against the scenario file's folder)",
        _ => "check the path",
    };

    private static string SklearnHint(string file) =>
        $"{file} ships inside scikit-learn (no separate download): `pip install scikit-learn` or `apt-get install python3-sklearn`, then set dataset.path to " +
        $"{file} in the folder printed by `python3 -c \"import sklearn, os; print(os.path.join(os.path.dirname(sklearn.__file__), 'datasets', 'data'))\"` " +
        $"(Debian: /usr/lib/python3/dist-packages/sklearn/datasets/data; a FedSim checkout has ../shared/datasets/sklearn/{file})";

    private static string Sentence(string hint) => char.ToUpperInvariant(hint[0]) + hint[1..] + ".";

    private static IEnumerable<string> WellKnownRoots()
    {
        if (Environment.GetEnvironmentVariable(DataDirVariable) is { Length: > 0 } dir) yield return Path.GetFullPath(dir);
        yield return DebianDatasets;
    }

    /// <param name="Folder">Folder name under a well-known root, or null for datasets that have none (csv).</param>
    private sealed record KindInfo(string? Folder, string Expect, Func<string, string?> Probe);

    private static string? DirWith(string dir, params string[] files) =>
        Directory.Exists(dir) && files.All(f => File.Exists(Path.Combine(dir, f)) || File.Exists(Path.Combine(dir, f + ".gz"))) ? dir : null;

    private static string? FileIn(string dir, params string[] names) => Directory.Exists(dir) ? DataFiles.FindFirst(dir, names) : null;

    private static bool Known(string kind, out KindInfo info)
    {
        info = null!;
        if (kind == DatasetKinds.Synthetic || !DatasetKinds.All.Contains(kind)) return false;
        info = Describe(kind);
        return true;
    }

    private static KindInfo Describe(string kind) => kind switch
    {
        DatasetKinds.Mnist => new("mnist", "a folder with the four MNIST IDX files (train-images-idx3-ubyte.gz, ...)",
            d => DirWith(d, "train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")),
        DatasetKinds.FashionMnist => new("fashion-mnist", "a folder with the four Fashion-MNIST IDX files (train-images-idx3-ubyte.gz, ...)",
            d => DirWith(d, "train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")),
        DatasetKinds.Femnist => new("femnist-leaf", "a LEAF FEMNIST folder with train/ and test/ subfolders of *.json.gz files",
            d => Directory.Exists(Path.Combine(d, "train")) && Directory.Exists(Path.Combine(d, "test")) ? d : null),
        DatasetKinds.SklearnDigits => new("sklearn", "digits.csv.gz (or a folder holding it)",
            d => FileIn(d, "digits.csv.gz", "digits.csv")),
        DatasetKinds.SklearnBreastCancer => new("sklearn", "breast_cancer.csv (or a folder holding it)",
            d => FileIn(d, "breast_cancer.csv", "breast_cancer.csv.gz")),
        DatasetKinds.Adult => new("adult", "a folder with adult.data and adult.test",
            d => DirWith(d, "adult.data", "adult.test")),
        DatasetKinds.Location => new("location", $"{LocationReader.Archive} (or its extracted {LocationReader.CsvName} file, or a folder holding either)",
            d => FileIn(d, LocationReader.Archive, LocationReader.CsvName)),
        DatasetKinds.Csv => new(null, "a CSV file with a header row", _ => null),
        DatasetKinds.Synthetic => throw new DatasetException("the synthetic dataset is generated and has no path."),
        _ => throw new DatasetException($"unknown dataset kind '{kind}'; use one of: {string.Join(", ", DatasetKinds.All)}."),
    };

    private static string Key(params object?[] parts) =>
        string.Join('|', parts.Select(p => Convert.ToString(p, CultureInfo.InvariantCulture)));

    private static DatasetSplit LoadUncached(string kind, string? path, DatasetSpec spec, ulong seed)
    {
        Interlocked.Increment(ref _loads);
        return kind switch
        {
            DatasetKinds.Synthetic => SyntheticTabular.Generate(spec.Samples, spec.TestFraction, seed),
            DatasetKinds.Mnist => IdxReader.LoadFolder(path!, "mnist"),
            DatasetKinds.FashionMnist => IdxReader.LoadFolder(path!, "fashion-mnist"),
            DatasetKinds.Femnist => LeafJsonReader.LoadFolder(path!, "femnist"),
            DatasetKinds.SklearnDigits => SklearnCsvReader.LoadDigits(FileOrIn(path!, "digits.csv.gz", "digits.csv"), spec.TestFraction, seed),
            DatasetKinds.SklearnBreastCancer => SklearnCsvReader.LoadBreastCancer(FileOrIn(path!, "breast_cancer.csv", "breast_cancer.csv.gz"), spec.TestFraction, seed),
            DatasetKinds.Adult => AdultReader.LoadFolder(Directory.Exists(path) ? path! : Path.GetDirectoryName(path!)!),
            DatasetKinds.Location => LocationReader.Load(path!, spec.TestFraction, seed),
            DatasetKinds.Csv => CsvDatasetReader.Load(RequireFile(path!, "csv"), spec.LabelColumn, spec.OwnerColumn, spec.TestFraction, seed),
            _ => throw new DatasetException($"unknown dataset kind '{kind}'; use one of: {string.Join(", ", DatasetKinds.All)}."),
        };
    }

    private static string RequireFile(string path, string kind) =>
        File.Exists(path) ? path : throw new DatasetException($"{path}: is a folder; dataset '{kind}' needs the path of the CSV file itself.");

    private static string FileOrIn(string path, params string[] names) =>
        File.Exists(path) ? path
        : DataFiles.FindFirst(path, names) ?? throw new DatasetException($"{path}: none of {string.Join(", ", names)} is in this folder.");
}
