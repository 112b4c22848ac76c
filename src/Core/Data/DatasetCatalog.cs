using System.Collections.Concurrent;

namespace FedSim.Data;

/// <summary>
/// Turns a scenario's <see cref="DatasetSpec"/> into a loaded <see cref="DatasetSplit"/>. Loads are cached
/// process-wide (many device grains in one silo share one dataset): the key is the kind, the resolved full path
/// and the parameters that change the result, so a second load of the same data returns the same object.
/// </summary>
public static class DatasetCatalog
{
    /// <summary>Environment variable naming a data root with one folder per dataset (each kind's <see cref="DatasetKind.Folder"/>: mnist/, sklearn/, ...).</summary>
    public const string DataDirVariable = "FEDSIM_DATA_DIR";

    /// <summary>Where Debian's dataset packages install (apt-get install dataset-fashion-mnist).</summary>
    public const string DebianDatasets = "/usr/share/datasets";

    private static readonly ConcurrentDictionary<CacheEntry, Lazy<DatasetSplit>> Cache = new();
    private static int _loads;

    /// <summary>One cached load: the kind and its <see cref="DatasetKind.CacheKey"/>, both compared by value.</summary>
    private sealed record CacheEntry(string Kind, object Parameters);

    /// <summary>Number of uncached loads so far (reads of files or generations); lets tests prove the cache works.</summary>
    public static int LoadCount => Volatile.Read(ref _loads);

    /// <summary>Drops every cached dataset (tests, or a long-lived process switching datasets).</summary>
    public static void ClearCache() => Cache.Clear();

    /// <summary>Loads (or returns the cached) dataset. Throws <see cref="DatasetException"/> with a fix when it is missing or bad.</summary>
    public static DatasetSplit Load(DatasetSpec spec, string baseDirectory, ulong seed)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var kind = DatasetKinds.Require(spec.Kind);
        string? path = kind.IsGenerated ? null : Locate(spec, baseDirectory);
        var key = new CacheEntry(kind.Name, kind.CacheKey(spec, path, seed));
        var lazy = Cache.GetOrAdd(key, _ => new Lazy<DatasetSplit>(() => LoadUncached(kind, path, spec, seed), LazyThreadSafetyMode.ExecutionAndPublication));
        try { return lazy.Value; }
        catch
        {
            // Do not cache failures: the user may fix the file and retry in the same process.
            Cache.TryRemove(new KeyValuePair<CacheEntry, Lazy<DatasetSplit>>(key, lazy));
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
        var kind = FileBacked(spec.Kind);
        if (spec.Path is { Length: > 0 } given)
        {
            string full = Path.GetFullPath(given, Path.GetFullPath(baseDirectory));
            if (File.Exists(full) || Directory.Exists(full)) return full;
            throw new DatasetException($"dataset '{spec.Kind}': path '{given}' (resolved to {full}) does not exist; it should be {kind.Expect}. {Sentence(WhereToGet(spec.Kind))}");
        }
        return FindInWellKnownPlaces(spec.Kind)
               ?? throw new DatasetException($"dataset '{spec.Kind}' not found: no path given and {DescribeWellKnownPlaces(spec.Kind)}. " +
                                             $"Set dataset.path to {kind.Expect}. {Sentence(WhereToGet(spec.Kind))}");
    }

    /// <summary>
    /// Where a dataset given without a path is found: the first of its well-known places that holds it, or null.
    /// The scenario validator and the loader both call this, so $FEDSIM_DATA_DIR works the same in both.
    /// </summary>
    public static string? FindInWellKnownPlaces(string kind)
    {
        if (DatasetKinds.Of(kind) is not { Folder: { } folder } known) return null;
        foreach (var root in WellKnownRoots())
            if (known.FindIn(Path.Combine(root, folder)) is { } found) return found;
        return null;
    }

    /// <summary>"none of A, B holds it" / "csv has no well-known place", for messages.</summary>
    public static string DescribeWellKnownPlaces(string kind)
    {
        if (DatasetKinds.Of(kind) is not { Folder: { } folder }) return $"a '{kind}' dataset has no well-known place to look in";
        var tried = WellKnownRoots().Select(root => Path.Combine(root, folder)).ToList();
        return $"none of its well-known places holds it ({string.Join(", ", tried)}; set {DataDirVariable} to a folder holding {folder}/)";
    }

    /// <summary>
    /// How to get a file-backed dataset (<see cref="DatasetKind.WhereToGet"/>), naming only commands that exist:
    /// <c>fedsim data fetch</c> for the datasets it knows, otherwise exactly where the files come from.
    /// </summary>
    public static string WhereToGet(string kind) => DatasetKinds.Of(kind)?.WhereToGet ?? "check the path";

    private static string Sentence(string hint) => char.ToUpperInvariant(hint[0]) + hint[1..] + ".";

    private static IEnumerable<string> WellKnownRoots()
    {
        if (Environment.GetEnvironmentVariable(DataDirVariable) is { Length: > 0 } dir) yield return Path.GetFullPath(dir);
        yield return DebianDatasets;
    }

    /// <summary>The descriptor of a kind that reads files; unknown and generated kinds have no path to find.</summary>
    private static DatasetKind FileBacked(string name)
    {
        var kind = DatasetKinds.Require(name);
        return kind.IsGenerated ? throw new DatasetException($"the {kind.Name} dataset is generated and has no path.") : kind;
    }

    private static DatasetSplit LoadUncached(DatasetKind kind, string? path, DatasetSpec spec, ulong seed)
    {
        Interlocked.Increment(ref _loads);
        using (DataFiles.RecordReads(out var files))
        {
            var split = kind.Load(spec, path, seed);
            return split with { SourceFiles = [.. files] };
        }
    }
}
