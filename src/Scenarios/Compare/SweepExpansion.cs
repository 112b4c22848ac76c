using System.Numerics;
using System.Text;
using System.Text.RegularExpressions;
using FedSim.Scenario;
using FedSim.Scenarios.Configuration;
using YamlDotNet.RepresentationModel;

namespace FedSim.Scenarios.Compare;

/// <summary>One point of the grid: the value each varied key takes.</summary>
/// <param name="Index">1-based position in grid order.</param>
/// <param name="Settings">(key, value as written) per grid axis, in axis order.</param>
public sealed record SweepConfiguration(int Index, IReadOnlyList<(string Key, string Value)> Settings)
{
    /// <summary>"strategy.aggregator.kind=krum, byzantine.fraction=0.2" (the base alone: "base").</summary>
    public string Label => Settings.Count == 0 ? "base" : string.Join(", ", Settings.Select(s => $"{s.Key}={s.Value}"));

    /// <summary>A folder name that sorts in grid order and says what the configuration is.</summary>
    public string FolderName
    {
        get
        {
            string values = string.Join('-', Settings.Select(s => s.Value));
            string safe = Regex.Replace(values.ToLowerInvariant(), "[^a-z0-9.]+", "-").Trim('-');
            if (safe.Length > 60) safe = safe[..60].TrimEnd('-');
            return safe.Length == 0 ? $"c{Index:00}" : $"c{Index:00}-{safe}";
        }
    }
}

/// <summary>One run of a comparison: a configuration with one seed, as a validated scenario.</summary>
public sealed record SweepRun(SweepConfiguration Configuration, ulong Seed, ScenarioSpec Scenario)
{
    public string FolderName => $"{Configuration.FolderName}/seed-{Seed}";
}

/// <summary>One step of a lazy expansion: a valid run, or the errors of a configuration that does not validate.</summary>
public sealed record SweepStep(SweepRun? Run, IReadOnlyList<ScenarioError> Errors);

/// <summary>
/// Expands a <see cref="SweepFile"/> into its runs: the Cartesian product of the grid (first axis slowest) × seeds.
/// Each run is the base scenario's YAML with the grid's values written at their keys and the seed set, read back
/// through <see cref="ScenarioLoader"/>, so every run is validated exactly as a scenario file would be. A problem
/// is reported at the grid entry that caused it. <see cref="Count"/> is exact and costs nothing, so a grid too large
/// to hold is refused before one run is made; <see cref="Enumerate"/> makes the runs one at a time.
/// </summary>
public static class SweepExpansion
{
    /// <summary>Configurations and runs the grid expands to, exactly (a grid of many axes can exceed any integer type).</summary>
    public static (BigInteger Configurations, BigInteger Runs) Count(SweepFile sweep)
    {
        var configurations = sweep.Grid.Aggregate(BigInteger.One, (product, axis) => product * axis.Values.Count);
        return (configurations, configurations * sweep.Seeds.Count);
    }

    /// <summary>
    /// Every run, held in memory: for grids already bounded by <see cref="Count"/>. Cancellation stops between runs;
    /// <paramref name="validated"/> hears the number of runs made so far.
    /// </summary>
    public static (IReadOnlyList<SweepRun> Runs, IReadOnlyList<ScenarioError> Errors) Expand(SweepFile sweep,
        Action<int>? validated = null, CancellationToken cancellationToken = default)
    {
        var runs = new List<SweepRun>();
        var errors = new List<ScenarioError>();
        foreach (var step in Enumerate(sweep, cancellationToken))
        {
            if (step.Run is { } run)
            {
                runs.Add(run);
                validated?.Invoke(runs.Count);
            }
            errors.AddRange(step.Errors);
        }
        return (errors.Count > 0 ? [] : runs, errors.DistinctBy(e => e.ToString()).ToList());
    }

    /// <summary>
    /// The runs one at a time, in grid order, with nothing kept between them (memory does not grow with the grid). A
    /// base scenario that does not validate is one step of errors and nothing else; a configuration that does not is
    /// one step of errors (its other seeds would repeat them). Cancellation stops between runs.
    /// </summary>
    public static IEnumerable<SweepStep> Enumerate(SweepFile sweep, CancellationToken cancellationToken = default)
    {
        var baseRoot = (YamlMappingNode)YamlTree.Copy(sweep.BaseScenario);
        foreach (var fixedKey in sweep.Set) YamlTree.Set(baseRoot, fixedKey.Key, YamlTree.Copy(fixedKey.Values[0]));
        string baseText = YamlTree.Serialize(baseRoot);
        // The base alone first: its own problems are reported at their own lines in its own file.
        var baseResult = ScenarioLoader.Parse(baseText, sweep.BaseSource, sweep.BaseDirectory);
        if (!baseResult.Succeeded)
        {
            yield return new SweepStep(null, BaseErrors(sweep, baseResult.Errors));
            yield break;
        }

        int index = 0;
        foreach (var combination in Product(sweep.Grid))
        {
            var configuration = new SweepConfiguration(++index,
                combination.Select((value, axis) => (sweep.Grid[axis].Key, Show(value))).ToList());
            foreach (ulong seed in sweep.Seeds)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var root = (YamlMappingNode)YamlTree.Reparse(baseText);
                for (int axis = 0; axis < combination.Count; axis++) YamlTree.Set(root, sweep.Grid[axis].Key, YamlTree.Copy(combination[axis]));
                YamlTree.Set(root, "seed", new YamlScalarNode(seed.ToString(System.Globalization.CultureInfo.InvariantCulture)));
                var result = ScenarioLoader.Parse(YamlTree.Serialize(root), sweep.BaseSource, sweep.BaseDirectory);
                if (result.Succeeded)
                {
                    yield return new SweepStep(new SweepRun(configuration, seed, result.Spec!), []);
                    continue;
                }
                // Point at this configuration's first grid value; the message says which rule it broke.
                var at = combination.Count > 0 ? combination[0].Start : sweep.BaseScenario.Start;
                yield return new SweepStep(null, result.Errors.Select(e => new ScenarioError(sweep.Path, (int)Math.Max(1, at.Line),
                    (int)Math.Max(1, at.Column), $"configuration {configuration.Label}: {e.Message}")).ToList());
                break; // the other seeds of this configuration would repeat the same errors
            }
        }
    }

    /// <summary>The base scenario's errors: at their own lines in the base file, or at the set: value that broke a valid base.</summary>
    private static IReadOnlyList<ScenarioError> BaseErrors(SweepFile sweep, IReadOnlyList<ScenarioError> errors)
    {
        var direct = sweep.BaseSource == sweep.Path ? errors : ScenarioLoader.Load(sweep.BaseSource).Errors;
        if (direct.Count > 0) return direct;
        var at = sweep.Set.Count > 0 ? sweep.Set[0].Values[0].Start : sweep.BaseScenario.Start;
        return errors.Select(e => new ScenarioError(sweep.Path, (int)Math.Max(1, at.Line), (int)Math.Max(1, at.Column), $"set: {e.Message}")).ToList();
    }

    private static IEnumerable<IReadOnlyList<YamlNode>> Product(IReadOnlyList<SweepAxis> axes)
    {
        IEnumerable<IReadOnlyList<YamlNode>> result = [[]];
        foreach (var axis in axes)
            result = result.SelectMany(prefix => axis.Values.Select(v => (IReadOnlyList<YamlNode>)[.. prefix, v]));
        return result;
    }

    /// <summary>A value as the user wrote it, in one line: scalars as they are, sections and lists in flow style.</summary>
    public static string Show(YamlNode node) => node switch
    {
        YamlScalarNode s => s.Value ?? "null",
        YamlSequenceNode seq => "[" + string.Join(", ", seq.Children.Select(Show)) + "]",
        YamlMappingNode map => "{" + string.Join(", ", map.Children.Select(c => $"{Show(c.Key)}: {Show(c.Value)}")) + "}",
        _ => node.ToString(),
    };
}
