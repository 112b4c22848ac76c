using System.Text.RegularExpressions;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace FedSim.Scenarios.Configuration;

/// <summary>
/// The one way a YAML file a user hands to FedSim (a scenario, a comparison file, a comparison's base scenario) is
/// read: the file checked and capped in size before it is read, the <see cref="YamlGuard"/> event pass before the
/// recursive node builder, and YamlDotNet's own errors reworded, so that every problem has a line and column and
/// none reaches the user as an exception.
/// </summary>
internal static partial class GuardedYaml
{
    [GeneratedRegex("anchor '([^']*)'")]
    private static partial Regex AnchorName();

    /// <summary>
    /// The text of <paramref name="path"/>, or why it cannot be read (a problem of the whole file, so at line 1,
    /// column 1). <paramref name="kind"/> names the file in messages, e.g. "scenario file".
    /// </summary>
    public static (string? Text, string? Problem) ReadText(string path, string kind)
    {
        try
        {
            if (Directory.Exists(path))
                return (null, $"'{path}' is a folder; give the path of a {kind} (.yaml) inside it");
            if (!File.Exists(path))
                return (null, $"{kind} not found (looked for {Path.GetFullPath(path)})");
            long size = new FileInfo(path).Length;
            if (size > YamlGuard.MaxFileBytes)
                return (null, $"the file is {size:N0} bytes; a {kind} is a page of YAML (at most {YamlGuard.MaxFileBytes:N0} bytes). Is this the right file?");
            return (File.ReadAllText(path), null);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return (null, $"cannot read the {kind}: {e.Message}");
        }
    }

    /// <summary>The YAML documents in <paramref name="text"/>, or the first problem found in it, located.</summary>
    public static (YamlStream? Stream, (Mark At, string Message)? Problem) Parse(string text)
    {
        // Depth, alias expansion and unlocated parser failures first: the node builder below recurses and would overflow the stack.
        if (YamlGuard.Check(text) is { } guarded) return (null, guarded);
        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(text));
        }
        catch (YamlException e)
        {
            return (null, SyntaxError(e, text));
        }
        return (stream, null);
    }

    private static (Mark At, string Message) SyntaxError(YamlException e, string text)
    {
        // YamlDotNet reports a repeated key as "Duplicate key X" at the second occurrence.
        if (e.Message.StartsWith("Duplicate key", StringComparison.Ordinal))
            return (e.Start, $"duplicate key '{e.Message["Duplicate key".Length..].Trim()}'; each key may appear only once in a mapping");
        if (e is AnchorNotFoundException && AnchorName().Match(e.Message) is { Success: true } anchor)
        {
            // The parser marks the enclosing node; point at the alias itself.
            string alias = "*" + anchor.Groups[1].Value;
            int index = text.IndexOf(alias, StringComparison.Ordinal);
            var at = index < 0 ? e.Start : new Mark(index, text[..index].Count(c => c == '\n') + 1, index - text.LastIndexOf('\n', Math.Max(0, index - 1)));
            return (at, $"invalid YAML: alias '{alias}' refers to an anchor that is not defined; define it first with '&{anchor.Groups[1].Value}'");
        }
        string message = e.Message.TrimEnd('.');
        if (message.Length > 0) message = char.ToLowerInvariant(message[0]) + message[1..];

        var lines = text.Split('\n');
        if (message.Contains("tab", StringComparison.Ordinal))
        {
            // The scanner marks the enclosing mapping, not the tab; point at the first tab-indented line.
            for (int i = (int)Math.Max(0, e.Start.Line - 1); i < lines.Length; i++)
            {
                int indent = lines[i].Length - lines[i].TrimStart(' ', '\t').Length;
                int tab = lines[i].IndexOf('\t');
                if (tab >= 0 && tab < indent)
                    return (new Mark(0, i + 1, tab + 1), $"invalid YAML: {message}; YAML indentation must use spaces, not tabs");
            }
        }
        string hint = message.Contains("did not find expected key") || message.Contains("mapping values are not allowed")
            ? "; check the indentation (keys of one mapping must line up) and that each key is followed by ': '"
            : "";
        return (e.Start, $"invalid YAML: {message}{hint}");
    }
}
