using System.Collections.Concurrent;
using System.Globalization;
using FedSim.Contracts;

namespace FedSim.Data;

/// <summary>
/// Turns a scenario's <see cref="DatasetSpec"/> into a loaded <see cref="DatasetSplit"/>. Loads are cached
/// process-wide (many device grains in one silo share one dataset): the key is the kind, the resolved full path
/// and the parameters that change the result, so a second load of the same data returns the same object.
/// </summary>
public static class DatasetCatalog
{
    /// <summary>Environment variable naming a data root with one folder per dataset (mnist/, fashion-mnist/, femnist-leaf/, sklearn/, adult/).</summary>
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
            DatasetKinds.SklearnDigits or DatasetKinds.SklearnBreastCancer => Key(kind, path, spec.TestFraction, seed),
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
            throw new DatasetException($"dataset '{spec.Kind}': path '{given}' (resolved to {full}) does not exist; it should be {info.Expect}. {info.HowToGet}");
        }
        var tried = new List<string>();
        foreach (var root in WellKnownRoots())
        {
            string candidate = Path.Combine(root, info.Folder);
            tried.Add(candidate);
            if (info.Probe(candidate) is { } found) return found;
        }
        throw new DatasetException($"dataset '{spec.Kind}' not found: no path given and none of the well-known places holds it " +
                                   $"({string.Join(", ", tried)}). Set dataset.path to {info.Expect}, or set {DataDirVariable} to a folder " +
                                   $"holding {info.Folder}/. {info.HowToGet}");
    }

    private static IEnumerable<string> WellKnownRoots()
    {
        if (Environment.GetEnvironmentVariable(DataDirVariable) is { Length: > 0 } dir) yield return dir;
        yield return DebianDatasets;
    }

    private sealed record KindInfo(string Folder, string Expect, string HowToGet, Func<string, string?> Probe);

    private static string? DirWith(string dir, params string[] files) =>
        Directory.Exists(dir) && files.All(f => File.Exists(Path.Combine(dir, f)) || File.Exists(Path.Combine(dir, f + ".gz"))) ? dir : null;

    private static string? FileIn(string dir, params string[] names) => Directory.Exists(dir) ? DataFiles.FindFirst(dir, names) : null;

    private static KindInfo Describe(string kind) => kind switch
    {
        DatasetKinds.Mnist => new("mnist", "a folder with the four MNIST IDX files (train-images-idx3-ubyte.gz, ...)",
            "Get it with `fedsim data fetch mnist --to DIR`, or use the project's shared copy in ../shared/datasets/mnist beside the repository.",
            d => DirWith(d, "train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")),
        DatasetKinds.FashionMnist => new("fashion-mnist", "a folder with the four Fashion-MNIST IDX files (train-images-idx3-ubyte.gz, ...)",
            "Install it with `apt-get install dataset-fashion-mnist` (puts it in /usr/share/datasets/fashion-mnist) or `fedsim data fetch fashion-mnist --to DIR`.",
            d => DirWith(d, "train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")),
        DatasetKinds.Femnist => new("femnist-leaf", "a LEAF FEMNIST folder with train/ and test/ subfolders of *.json.gz files",
            "Generate it with LEAF (github.com/TalwalkarLab/leaf, data/femnist/preprocess.sh) or use the shared copy in ../shared/datasets/femnist-leaf beside the repository.",
            d => Directory.Exists(Path.Combine(d, "train")) && Directory.Exists(Path.Combine(d, "test")) ? d : null),
        DatasetKinds.SklearnDigits => new("sklearn", "digits.csv.gz (or a folder holding it)",
            "It ships with scikit-learn (sklearn/datasets/data/digits.csv.gz; Debian: python3-sklearn) and is in ../shared/datasets/sklearn beside the repository.",
            d => FileIn(d, "digits.csv.gz", "digits.csv")),
        DatasetKinds.SklearnBreastCancer => new("sklearn", "breast_cancer.csv (or a folder holding it)",
            "It ships with scikit-learn (sklearn/datasets/data/breast_cancer.csv; Debian: python3-sklearn) and is in ../shared/datasets/sklearn beside the repository.",
            d => FileIn(d, "breast_cancer.csv", "breast_cancer.csv.gz")),
        DatasetKinds.Adult => new("adult", "a folder with adult.data and adult.test",
            "Download both from the UCI Machine Learning Repository (archive.ics.uci.edu, dataset 2 'Adult') or use ../shared/datasets/adult beside the repository.",
            d => DirWith(d, "adult.data", "adult.test")),
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
            _ => throw new DatasetException($"unknown dataset kind '{kind}'; use one of: {string.Join(", ", DatasetKinds.All)}."),
        };
    }

    private static string FileOrIn(string path, params string[] names) =>
        File.Exists(path) ? path
        : DataFiles.FindFirst(path, names) ?? throw new DatasetException($"{path}: none of {string.Join(", ", names)} is in this folder.");
}
