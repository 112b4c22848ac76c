using System.Globalization;
using FedSim.Scenarios.Configuration;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace FedSim.Scenarios.Compare;

/// <summary>One axis of a sweep: a dotted scenario key and the values it takes, each with where it was written.</summary>
public sealed record SweepAxis(string Key, IReadOnlyList<YamlNode> Values, Mark KeyMark);

/// <summary>
/// A comparison file (<c>fedsim compare FILE</c>): a base scenario (a file or an inline mapping), a grid of scenario
/// keys × values, the seeds every configuration runs with, and how to report. Read with located errors like
/// scenario files.
/// </summary>
public sealed class SweepFile
{
    public required string Path { get; init; }
    public required string Name { get; init; }
    /// <summary>The base scenario as a YAML mapping (from <c>base:</c> or <c>scenario:</c>).</summary>
    public required YamlMappingNode BaseScenario { get; init; }
    /// <summary>Relative paths in the base scenario resolve against this folder.</summary>
    public required string BaseDirectory { get; init; }
    /// <summary>The base scenario's file, or this file for an inline scenario (for messages).</summary>
    public required string BaseSource { get; init; }
    public required IReadOnlyList<SweepAxis> Grid { get; init; }
    /// <summary>Keys set to one value in every run (<c>set:</c>), applied to the base before the grid; not in labels.</summary>
    public IReadOnlyList<SweepAxis> Set { get; init; } = [];
    public required IReadOnlyList<ulong> Seeds { get; init; }
    public double? TargetAccuracy { get; init; }
    public int Concurrency { get; init; }
    public string? Output { get; init; }
    /// <summary>
    /// The grid key report.html and accuracy.png split the accuracy figure by, one panel per value (<c>facet:</c>);
    /// <see cref="NoFacet"/> for one panel; null to let the figure choose (<see cref="CompareFigures.FacetKey"/>).
    /// </summary>
    public string? Facet { get; init; }

    public const int DefaultConcurrency = 4;

    /// <summary><c>facet: none</c>: every configuration in one panel.</summary>
    public const string NoFacet = "none";

    private static readonly string[] Keys = ["name", "base", "scenario", "set", "grid", "seeds", "target_accuracy", "concurrency", "output", "facet"];

    /// <summary>Reads and checks a comparison file; problems are located errors in the result, never exceptions.</summary>
    public static (SweepFile? File, IReadOnlyList<ScenarioError> Errors) Load(string path)
    {
        var errors = new List<ScenarioError>();
        void Error(Mark at, string message) => errors.Add(new ScenarioError(path, (int)Math.Max(1, at.Line), (int)Math.Max(1, at.Column), message));
        if (ReadRoot(path, Error) is not { } root) return (null, errors);

        string folder = System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path))!;
        string name = System.IO.Path.GetFileNameWithoutExtension(path);
        YamlMappingNode? baseScenario = null;
        string baseDirectory = folder, baseSource = path;
        var grid = new List<SweepAxis>();
        var set = new List<SweepAxis>();
        var seeds = new List<ulong>();
        double? target = null;
        int concurrency = DefaultConcurrency;
        string? output = null;
        (string Key, Mark At)? facet = null;

        foreach (var (keyNode, value) in root.Children)
        {
            string key = (keyNode as YamlScalarNode)?.Value ?? "";
            switch (key)
            {
                case "name":
                    name = Scalar(value) ?? name;
                    break;
                case "base":
                    if (Scalar(value) is not { Length: > 0 } baseFile) { Error(value.Start, "base: give the path of a scenario file"); break; }
                    string resolved = System.IO.Path.GetFullPath(baseFile, folder);
                    var loaded = LoadMapping(resolved, value.Start, errors, path);
                    if (loaded is not null) (baseScenario, baseDirectory, baseSource) = (loaded, System.IO.Path.GetDirectoryName(resolved)!, resolved);
                    break;
                case "scenario":
                    if (value is YamlMappingNode inline) baseScenario = inline;
                    else Error(value.Start, "scenario: expected a mapping holding a whole scenario (name:, dataset:, training:, ...)");
                    break;
                case "set":
                    ReadSet(value, set, Error);
                    break;
                case "grid":
                    ReadGrid(value, grid, Error);
                    break;
                case "seeds":
                    ReadSeeds(value, seeds, Error);
                    break;
                case "target_accuracy":
                    if (double.TryParse(Scalar(value), NumberStyles.Float, CultureInfo.InvariantCulture, out var t) && t > 0 && t <= 1) target = t;
                    else Error(value.Start, "target_accuracy: expected a number in (0, 1], e.g. 0.9");
                    break;
                case "concurrency":
                    if (int.TryParse(Scalar(value), NumberStyles.None, CultureInfo.InvariantCulture, out var c) && c >= 1 && c <= 64) concurrency = c;
                    else Error(value.Start, "concurrency: expected an integer from 1 to 64 (runs trained at once on the shared compute pool)");
                    break;
                case "output":
                    output = Scalar(value) is { Length: > 0 } o ? System.IO.Path.GetFullPath(o, folder) : null;
                    break;
                case "facet":
                    if (Scalar(value) is { Length: > 0 } f) facet = (f, value.Start);
                    else Error(value.Start, "facet: expected one grid key, e.g. facet: strategy.aggregator.kind, or facet: none");
                    break;
                default:
                    string? near = Suggestions.Closest(key, Keys);
                    Error(keyNode.Start, $"unknown key '{key}' in a comparison file{(near is null ? "" : $"; did you mean '{near}'?")}; valid keys are: {string.Join(", ", Keys)}");
                    break;
            }
        }
        if (baseScenario is null && !errors.Any())
            Error(root.Start, "a comparison file needs the scenario it varies: base: FILE.yaml, or an inline scenario: mapping");
        if (seeds.Count == 0 && !errors.Any(e => e.Message.StartsWith("seeds")))
            seeds.Add(ulong.TryParse(Scalar(FindKey(baseScenario, "seed")), out var baseSeed) ? baseSeed : 1);
        if (facet is { } chosen && FacetProblem(chosen.Key, grid) is { } facetProblem) Error(chosen.At, facetProblem);
        if (errors.Count > 0) return (null, errors);
        return (new SweepFile
        {
            Path = path, Name = name, BaseScenario = baseScenario!, BaseDirectory = baseDirectory, BaseSource = baseSource,
            Grid = grid, Set = set, Seeds = seeds, TargetAccuracy = target, Concurrency = concurrency, Output = output,
            Facet = facet?.Key,
        }, errors);
    }

    /// <summary>The file's root mapping, or null after reporting why it cannot be read (unreadable, invalid YAML, not a mapping).</summary>
    private static YamlMappingNode? ReadRoot(string path, Action<Mark, string> error)
    {
        var (text, unreadable) = GuardedYaml.ReadText(path, "comparison file");
        if (text is null)
        {
            error(new Mark(0, 1, 1), unreadable!);
            return null;
        }
        var (stream, invalid) = GuardedYaml.Parse(text);
        if (stream is null)
        {
            error(invalid!.Value.At, invalid.Value.Message);
            return null;
        }
        if (stream.Documents.Count > 0 && stream.Documents[0].RootNode is YamlMappingNode root) return root;
        error(new Mark(0, 1, 1), "a comparison file is a mapping: base: (or scenario:), grid:, seeds:, and optionally name:, target_accuracy:, concurrency:, output:, facet:");
        return null;
    }

    /// <summary><c>set:</c>, scenario keys with one value each.</summary>
    private static void ReadSet(YamlNode value, List<SweepAxis> set, Action<Mark, string> error)
    {
        if (value is not YamlMappingNode fixedKeys)
        {
            error(value.Start, "set: expected a mapping of scenario keys to one value each, e.g. training.rounds: 30");
            return;
        }
        foreach (var (setKey, setValue) in fixedKeys.Children)
        {
            string dotted = (setKey as YamlScalarNode)?.Value ?? "";
            if (UnknownKey(dotted, "set") is { } problem) { error(setKey.Start, problem); continue; }
            set.Add(new SweepAxis(dotted, [setValue], setKey.Start));
        }
    }

    /// <summary><c>grid:</c>, scenario keys with a non-empty list of values each, every key once.</summary>
    private static void ReadGrid(YamlNode value, List<SweepAxis> grid, Action<Mark, string> error)
    {
        if (value is not YamlMappingNode axes)
        {
            error(value.Start, "grid: expected a mapping of scenario keys to lists of values, e.g. strategy.aggregator.kind: [mean, median]");
            return;
        }
        foreach (var (axisKey, axisValues) in axes.Children)
        {
            string dotted = (axisKey as YamlScalarNode)?.Value ?? "";
            if (UnknownKey(dotted, "grid") is { } problem) { error(axisKey.Start, problem); continue; }
            if (axisValues is not YamlSequenceNode { Children.Count: > 0 } list)
            {
                error(axisValues.Start, $"grid '{dotted}': expected a non-empty list of values, e.g. [a, b]");
                continue;
            }
            if (grid.Any(a => a.Key == dotted)) { error(axisKey.Start, $"grid key '{dotted}' appears twice"); continue; }
            grid.Add(new SweepAxis(dotted, list.Children.ToList(), axisKey.Start));
        }
    }

    /// <summary><c>seeds:</c>, distinct non-negative integers.</summary>
    private static void ReadSeeds(YamlNode value, List<ulong> seeds, Action<Mark, string> error)
    {
        if (value is not YamlSequenceNode { Children.Count: > 0 } seedList)
        {
            error(value.Start, "seeds: expected a non-empty list of non-negative integers, e.g. [1, 2, 3]");
            return;
        }
        foreach (var s in seedList.Children)
        {
            if (ulong.TryParse(Scalar(s), NumberStyles.None, CultureInfo.InvariantCulture, out var seed))
            {
                if (seeds.Contains(seed)) error(s.Start, $"seed {seed} is listed twice");
                else seeds.Add(seed);
            }
            else error(s.Start, $"seeds: '{Scalar(s)}' is not a non-negative integer");
        }
    }

    /// <summary>Why <paramref name="key"/> cannot split the accuracy figure (it is not one of the grid's keys), or null when it can.</summary>
    private static string? FacetProblem(string key, IReadOnlyList<SweepAxis> grid)
    {
        if (key == NoFacet || grid.Any(a => a.Key == key)) return null;
        var keys = grid.Select(a => a.Key).ToList();
        if (keys.Count == 0) return $"facet: '{key}' is not a grid key (this comparison has no grid); remove facet:, or write facet: {NoFacet}";
        string? near = Suggestions.Closest(key, keys);
        return $"facet: '{key}' is not a grid key{(near is null ? "" : $"; did you mean '{near}'?")}; facet by one of {string.Join(", ", keys)}, or write facet: {NoFacet} for one panel";
    }

    /// <summary>Why <paramref name="dotted"/> cannot be a key of <paramref name="section"/>, or null when it can.</summary>
    private static string? UnknownKey(string dotted, string section)
    {
        // Each run's seed is one of seeds: (written over any other), so a seed axis would silently repeat one run.
        if (dotted == "seed") return $"{section} key 'seed': a comparison's seeds are its seeds: list (each configuration runs with every one); put the values there";
        return YamlTree.UnknownKey(dotted) is { } problem ? $"{section} key {problem}" : null;
    }

    /// <summary>
    /// The base scenario's mapping. A file that cannot be read is reported at <c>base:</c>; a YAML problem inside it
    /// at its own line and column in that file, as <c>fedsim validate</c> would report it.
    /// </summary>
    private static YamlMappingNode? LoadMapping(string file, Mark at, List<ScenarioError> errors, string source)
    {
        var (text, unreadable) = GuardedYaml.ReadText(file, "scenario file");
        if (text is null)
        {
            errors.Add(new ScenarioError(source, (int)at.Line, (int)at.Column, $"cannot read the base scenario {file}: {unreadable}"));
            return null;
        }
        var (stream, problem) = GuardedYaml.Parse(text);
        if (stream is null)
        {
            var (problemAt, message) = problem!.Value;
            errors.Add(new ScenarioError(file, (int)Math.Max(1, problemAt.Line), (int)Math.Max(1, problemAt.Column), message));
            return null;
        }
        if (stream.Documents.Count > 0 && stream.Documents[0].RootNode is YamlMappingNode mapping) return mapping;
        errors.Add(new ScenarioError(source, (int)at.Line, (int)at.Column, $"base scenario {file} is not a scenario mapping"));
        return null;
    }

    private static YamlNode? FindKey(YamlMappingNode? mapping, string key)
        => mapping?.Children.FirstOrDefault(c => c.Key is YamlScalarNode { Value: var v } && v == key).Value;

    internal static string? Scalar(YamlNode? node) => (node as YamlScalarNode)?.Value;
}
