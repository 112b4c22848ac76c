using System.Text;
using YamlDotNet.RepresentationModel;

namespace FedSim.Scenarios.Configuration;

/// <summary>
/// Edits of a scenario's YAML tree by dotted key, as a comparison's grid and <c>--set</c> make them: the edited tree is
/// written back to text and read again by <see cref="ScenarioLoader"/>, so an edited scenario is validated exactly as
/// a file would be.
/// </summary>
internal static class YamlTree
{
    /// <summary>Writes <paramref name="value"/> at a dotted key, creating (or replacing non-mapping) sections on the way.</summary>
    public static void Set(YamlMappingNode root, string dotted, YamlNode value)
    {
        var parts = dotted.Split('.');
        var current = root;
        for (int i = 0; i < parts.Length - 1; i++)
        {
            var key = new YamlScalarNode(parts[i]);
            if (!current.Children.TryGetValue(key, out var next) || next is not YamlMappingNode section)
            {
                section = new YamlMappingNode();
                current.Children[key] = section;
            }
            current = section;
        }
        current.Children[new YamlScalarNode(parts[^1])] = value;
    }

    public static string Serialize(YamlNode node)
    {
        var stream = new YamlStream(new YamlDocument(node));
        var text = new StringBuilder();
        using var writer = new StringWriter(text);
        stream.Save(writer, assignAnchors: false);
        return text.ToString();
    }

    /// <summary>Text this program wrote (or a copy of a tree already read through <see cref="GuardedYaml"/>), read back.</summary>
    public static YamlNode Reparse(string text)
    {
        var stream = new YamlStream();
        stream.Load(new StringReader(text));
        return stream.Documents[0].RootNode;
    }

    /// <summary>A deep copy of <paramref name="node"/>.</summary>
    public static YamlNode Copy(YamlNode node) => Reparse(Serialize(node));

    /// <summary>
    /// Why <paramref name="dotted"/> is not a scenario key (with the closest one), or null when it is. The kind of a
    /// component section is a key too ("strategy.aggregator.kind").
    /// </summary>
    public static string? UnknownKey(string dotted)
    {
        if (ScenarioModel.Find(dotted) is not null) return null;
        if (dotted.EndsWith(".kind", StringComparison.Ordinal) && ScenarioModel.Find(dotted[..^5]) is { Family: not null }) return null;
        string? close = Suggestions.Closest(dotted, ScenarioModel.AllFields.Select(f => f.Path).ToList());
        return $"'{dotted}' is not a scenario key{(close is null ? "" : $"; did you mean '{close}'?")} " +
               "(keys are dotted paths such as training.rounds or strategy.aggregator.kind)";
    }
}
