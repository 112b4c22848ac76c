using System.ComponentModel;
using FedSim.Components;

namespace FedSim.Data;

/// <summary>
/// Everything FedSim knows about one value of <c>dataset.kind</c>: where its files live and how to get them, its
/// shape before loading, how to load it, what makes two loads equal, and its own scenario rules. One subclass per
/// kind, each in its own file under Kinds/, found by reflection (<see cref="DatasetKinds"/>), so adding a dataset
/// is one new file: the catalog, the geometry, the fetcher and the scenario rules all ask the descriptor.
/// </summary>
public abstract class DatasetKind
{
    /// <summary>The value of <c>dataset.kind</c> in scenario files ("mnist").</summary>
    public abstract string Name { get; }

    /// <summary>Position in lists, docs and messages; ties sort by name.</summary>
    public abstract int Order { get; }

    /// <summary>One line for the schema and docs: what the data is (no trailing period).</summary>
    public abstract string Summary { get; }

    /// <summary>Generated rather than read from files: it takes no dataset.path and has no well-known place.</summary>
    public virtual bool IsGenerated => false;

    /// <summary>Folder name under a well-known data root ($FEDSIM_DATA_DIR, /usr/share/datasets), or null when it has none.</summary>
    public virtual string? Folder => null;

    /// <summary>What dataset.path should name, for "missing dataset" messages ("a folder with adult.data and adult.test").</summary>
    public virtual string Expect => "a file or folder holding the dataset";

    /// <summary>How to get the files, naming only commands that exist; null for generated data.</summary>
    public virtual string? WhereToGet => null;

    /// <summary>Whether its samples are images a CNN can read.</summary>
    public virtual bool HasImages => false;

    /// <summary>
    /// Who owns each sample, as messages name it ("its writers"), for kinds whose samples record an owner (the natural
    /// partition splits by it); null when they record none.
    /// </summary>
    public virtual string? Owners => null;

    public bool RecordsOwners => Owners is not null;

    /// <summary>Whether dataset.label_column and dataset.owner_column mean something to this kind; the others refuse them.</summary>
    public virtual bool ReadsColumns => false;

    /// <summary>Whether its files carry their own test split, so that dataset.test_fraction is not read.</summary>
    public virtual bool HasOwnTestSplit => false;

    /// <summary>Whether dataset.samples sets how much data it makes (generated kinds).</summary>
    public virtual bool ReadsSampleCount => IsGenerated;

    /// <summary>Whether it leaves out owners with fewer than dataset.min_samples_per_owner samples.</summary>
    public virtual bool ReadsMinSamplesPerOwner => false;

    /// <summary>
    /// Whether this kind reads the dataset section's key <paramref name="key"/> (its scenario name, "test_fraction"):
    /// the scenario saved beside a run writes only these, so it shows what shaped the data and nothing else.
    /// </summary>
    public bool Reads(string key) => key switch
    {
        "path" => !IsGenerated,
        "samples" => ReadsSampleCount,
        "test_fraction" => !HasOwnTestSplit,
        "label_column" or "owner_column" => ReadsColumns,
        "min_samples_per_owner" => ReadsMinSamplesPerOwner,
        _ => true,
    };

    /// <summary>The official download <c>fedsim data fetch</c> uses, or null when the data has none.</summary>
    public virtual KnownDataset? Download => null;

    /// <summary>
    /// Names <c>fedsim data fetch</c> recognises for a kind without a download, so that it says where the data comes
    /// from instead of only "unknown dataset".
    /// </summary>
    public virtual IReadOnlyList<string> FetchAliases => [];

    /// <summary>The dataset's location inside a well-known folder <paramref name="folder"/>, or null when it is not there.</summary>
    public virtual string? FindIn(string folder) => null;

    /// <summary>
    /// The shape known before loading (<see cref="DatasetGeometry.Of"/>), or null when only the files can tell
    /// (see <see cref="GeometryFromFile"/>).
    /// </summary>
    public abstract DatasetGeometry? Geometry(DatasetSpec spec);

    /// <summary>A lower-bound shape from a quick look at the file at <paramref name="path"/>, for kinds without a fixed one.</summary>
    public virtual DatasetGeometry? GeometryFromFile(DatasetSpec spec, string path) => null;

    /// <summary>Reads (or generates) the data; <paramref name="path"/> is the located file or folder, null for generated data.</summary>
    public abstract DatasetSplit Load(DatasetSpec spec, string? path, ulong seed);

    /// <summary>
    /// The value that decides whether two loads give the same data: exactly the parameters <see cref="Load"/> reads,
    /// compared by value (records). The catalog pairs it with <see cref="Name"/>, so kinds never share an entry.
    /// </summary>
    public abstract object CacheKey(DatasetSpec spec, string? path, ulong seed);

    /// <summary>
    /// This kind's rules on the dataset section, run once the fields they read passed their own checks. Kinds that
    /// do not read columns refuse changed csv-only keys; then the kind's own rules follow.
    /// </summary>
    public IEnumerable<ComponentFinding> Check(DatasetSpec spec, DatasetRuleContext context)
    {
        if (!ReadsColumns)
        {
            // Saved scenarios spell out every key with its default, so only a changed value is a mistake here.
            if (context.IsValid("dataset.label_column") && spec.LabelColumn != new DatasetSpec().LabelColumn)
                yield return new("dataset.label_column", $"dataset.label_column only applies to dataset.kind csv (your own CSV file), but dataset.kind is '{spec.Kind}'; remove it");
            if (context.IsValid("dataset.owner_column") && spec.OwnerColumn is not null)
                yield return new("dataset.owner_column", $"dataset.owner_column only applies to dataset.kind csv (your own CSV file), but dataset.kind is '{spec.Kind}'; remove it");
        }
        if (!ReadsMinSamplesPerOwner && context.IsValid("dataset.min_samples_per_owner") && spec.MinSamplesPerOwner != new DatasetSpec().MinSamplesPerOwner)
        {
            var readers = DatasetKinds.Descriptors.Where(k => k.ReadsMinSamplesPerOwner).Select(k => k.Name);
            yield return new("dataset.min_samples_per_owner",
                $"dataset.min_samples_per_owner only applies to dataset.kind {string.Join(" or ", readers)}, but dataset.kind is '{spec.Kind}'; remove it");
        }
        foreach (var finding in CheckOptions(spec, context)) yield return finding;
    }

    /// <summary>Rules only this kind has on the dataset section (synthetic: enough samples for every device).</summary>
    protected virtual IEnumerable<ComponentFinding> CheckOptions(DatasetSpec spec, DatasetRuleContext context) => [];

    /// <summary>Rules on the located file or folder <paramref name="path"/>, which exists (csv: its header names the columns).</summary>
    public virtual IEnumerable<ComponentFinding> CheckLocation(DatasetSpec spec, string path) => [];

    /// <summary>The key of data fixed by its files alone (a dataset with its own train/test split).</summary>
    protected sealed record FilesKey(string Path);

    /// <summary>The key of a file split by the seeded stratified test fraction.</summary>
    protected sealed record SplitKey(string Path, double TestFraction, ulong Seed);

    /// <summary><paramref name="dir"/> when it holds every file (plain or .gz), else null.</summary>
    protected static string? DirWith(string dir, params string[] files) =>
        Directory.Exists(dir) && files.All(f => File.Exists(Path.Combine(dir, f)) || File.Exists(Path.Combine(dir, f + ".gz"))) ? dir : null;

    /// <summary>The first of <paramref name="names"/> inside <paramref name="dir"/>, or null.</summary>
    protected static string? FileIn(string dir, params string[] names) => Directory.Exists(dir) ? DataFiles.FindFirst(dir, names) : null;

    /// <summary><paramref name="path"/> itself when it is a file, else the first of <paramref name="names"/> inside it.</summary>
    protected static string FileOrIn(string path, params string[] names) =>
        File.Exists(path) ? path
        : DataFiles.FindFirst(path, names) ?? throw new DatasetException($"{path}: none of {string.Join(", ", names)} is in this folder.");

    public override string ToString() => Name;
}

/// <summary>What a dataset rule may ask of the rest of the scenario.</summary>
/// <param name="Devices">The scenario's device count.</param>
/// <param name="IsValid">Whether a dotted path passed its own checks (a bad value is not reported twice).</param>
/// <param name="IsSet">Whether the file wrote the key (unset keys keep their defaults).</param>
public sealed record DatasetRuleContext(int Devices, Func<string, bool> IsValid, Func<string, bool> IsSet);

/// <summary>
/// The dataset kinds: every <see cref="DatasetKind"/> subclass in this assembly, in declared order. The constants
/// are the spellings code and tests use for the built-in kinds; a new kind needs none.
/// </summary>
public static class DatasetKinds
{
    public const string Synthetic = "synthetic";
    public const string Mnist = "mnist";
    public const string FashionMnist = "fashion-mnist";
    public const string Femnist = "femnist";
    public const string SklearnDigits = "sklearn-digits";
    public const string SklearnBreastCancer = "sklearn-breast-cancer";
    public const string Adult = "adult";
    /// <summary>Location (Bangkok check-ins, Shokri et al. 2017): 30 classes, 446 binary features; a membership-inference target.</summary>
    public const string Location = "location";
    /// <summary>Tiny Shakespeare as next-character samples split by speaker (a text dataset: lstm or transformer).</summary>
    public const string Shakespeare = "shakespeare";
    /// <summary>A researcher's own CSV file: a header row, a named label column, optionally an owner column.</summary>
    public const string Csv = "csv";

    /// <summary>Every kind's descriptor, by <see cref="DatasetKind.Order"/> then name.</summary>
    public static IReadOnlyList<DatasetKind> Descriptors { get; } = Discover();

    /// <summary>Every kind's name, in declared order: the allowed values of dataset.kind.</summary>
    public static readonly string[] All = Descriptors.Select(k => k.Name).ToArray();

    private static readonly Dictionary<string, DatasetKind> ByName = Descriptors.ToDictionary(k => k.Name, StringComparer.Ordinal);

    /// <summary>The descriptor of kind <paramref name="name"/>, or null when there is no such kind.</summary>
    public static DatasetKind? Of(string name) => ByName.GetValueOrDefault(name);

    /// <summary>The descriptor of kind <paramref name="name"/>; an unknown name is a <see cref="DatasetException"/> listing the kinds.</summary>
    public static DatasetKind Require(string name) =>
        Of(name) ?? throw new DatasetException($"unknown dataset kind '{name}'; use one of: {string.Join(", ", All)}.");

    private static IReadOnlyList<DatasetKind> Discover() => Components.Descriptors.Discover<DatasetKind, string>(
        kinds => kinds.OrderBy(k => k.Order).ThenBy(k => k.Name, StringComparer.Ordinal), k => k.Name, name => $"dataset kind '{name}'");
}

/// <summary>
/// The description of <c>dataset.kind</c> (schema, docs), written from the kinds found, so a new kind appears in
/// <c>fedsim schema</c> without editing the options class.
/// </summary>
[AttributeUsage(AttributeTargets.Property)]
public sealed class DatasetKindsDescriptionAttribute : DescriptionAttribute
{
    public override string Description =>
        "Dataset kind, one of: " + string.Join("; ", DatasetKinds.Descriptors.Select(k => $"{k.Name} ({k.Summary})")) + ".";
}
