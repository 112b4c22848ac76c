using YamlDotNet.RepresentationModel;

namespace FedSim.Scenarios.Configuration;

/// <summary>
/// A scenario file with <c>--set KEY=VALUE</c> overrides from the command line: any scenario key, the value read as
/// YAML (<c>--set byzantine={kind: sign-flip, fraction: 0.2}</c>), validated like the file itself. A problem the file
/// has on its own is reported at its line; a problem an override brings is reported at that override
/// (<c>--set training.rounds=x: ...</c>), and one only their combination brings, at all of them.
/// </summary>
public static class ScenarioOverrides
{
    public static ScenarioLoadResult Load(string path, IReadOnlyList<string> sets)
    {
        var file = ScenarioLoader.Load(path);
        if (sets.Count == 0 || !file.Succeeded) return file;
        var errors = new List<ScenarioError>();
        var overrides = new List<Override>();
        foreach (string set in sets)
        {
            if (Problem(set) is { } problem) errors.Add(At(set, problem));
            else overrides.Add(Parse(set));
        }
        if (errors.Count > 0) return new ScenarioLoadResult(path, file.BaseDirectory, null, errors);

        var root = FileTree(path);
        var merged = ScenarioLoader.Parse(YamlTree.Serialize(Apply(root, overrides)), path, file.BaseDirectory);
        if (merged.Succeeded) return merged;
        // The file loads on its own: blame each override that breaks it alone, else all of them together.
        foreach (var o in overrides)
            errors.AddRange(ScenarioLoader.Parse(YamlTree.Serialize(Apply(root, [o])), path, file.BaseDirectory).Errors.Select(e => At(o.Text, e.Message)));
        if (errors.Count == 0)
            errors.AddRange(merged.Errors.Select(e => At(string.Join(" --set ", overrides.Select(o => o.Text)), e.Message)));
        return new ScenarioLoadResult(path, file.BaseDirectory, null, errors.DistinctBy(e => e.ToString()).ToList());
    }

    private sealed record Override(string Text, string Key, YamlNode Value);

    /// <summary>An error located at an override: <c>--set KEY=VALUE: message</c>.</summary>
    private static ScenarioError At(string set, string message) => new($"--set {set}", 0, 0, message);

    /// <summary>What is wrong with the form of <paramref name="set"/> (not KEY=VALUE, an unknown key, a value that is not YAML), or null.</summary>
    private static string? Problem(string set)
    {
        int equals = set.IndexOf('=', StringComparison.Ordinal);
        if (equals <= 0) return "expected KEY=VALUE, e.g. --set training.rounds=5 or --set strategy.aggregator.kind=median";
        if (YamlTree.UnknownKey(set[..equals].Trim()) is { } unknown) return unknown;
        var (_, invalid) = GuardedYaml.Parse(set[(equals + 1)..]);
        return invalid is { } problem ? $"the value is not valid YAML: {problem.Message}" : null;
    }

    private static Override Parse(string set)
    {
        int equals = set.IndexOf('=', StringComparison.Ordinal);
        var (stream, _) = GuardedYaml.Parse(set[(equals + 1)..]);
        YamlNode value = stream!.Documents.Count > 0 ? stream.Documents[0].RootNode : new YamlScalarNode("null");
        return new Override(set, set[..equals].Trim(), value);
    }

    /// <summary>The file's YAML tree (it loaded, so it reads).</summary>
    private static YamlMappingNode FileTree(string path)
    {
        var (text, _) = GuardedYaml.ReadText(path, "scenario file");
        var (stream, _) = GuardedYaml.Parse(text!);
        return (YamlMappingNode)stream!.Documents[0].RootNode;
    }

    private static YamlMappingNode Apply(YamlMappingNode root, IEnumerable<Override> overrides)
    {
        var copy = (YamlMappingNode)YamlTree.Copy(root);
        foreach (var o in overrides) YamlTree.Set(copy, o.Key, YamlTree.Copy(o.Value));
        return copy;
    }
}
