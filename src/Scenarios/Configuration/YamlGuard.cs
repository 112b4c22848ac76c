using YamlDotNet.Core;
using YamlDotNet.Core.Events;

namespace FedSim.Scenarios.Configuration;

/// <summary>
/// A pass over a scenario file's YAML events before the representation model is built, for the two ways YamlDotNet
/// fails outside its own located <see cref="YamlException"/>: nesting deep enough to overflow the stack of the
/// (recursive) node builder, which kills the process, and scanner states that throw a bare
/// <see cref="InvalidOperationException"/> without a position (e.g. <c>name: [unclosed</c> followed by another line).
/// The event parser itself is iterative, so this pass is safe on any input.
/// </summary>
internal static class YamlGuard
{
    /// <summary>
    /// Deepest nesting of mappings and lists a scenario file may have. The scenario format needs four levels
    /// (dataset.partition.kind inside the document); 64 leaves room for any future section and rejects inputs built
    /// to exhaust the stack.
    /// </summary>
    public const int MaxNestingDepth = 64;

    /// <summary>Largest scenario file read, in bytes: a scenario is a page of YAML; anything this big is the wrong file.</summary>
    public const long MaxFileBytes = 1 << 20;

    /// <summary>The first problem the event pass finds, or null when the representation model can safely load the text.</summary>
    public static (Mark At, string Message)? Check(string text)
    {
        var scanner = new Scanner(new StringReader(text));
        var parser = new Parser(scanner);
        // Open collections, innermost on top: to say which bracket was never closed.
        var open = new Stack<ParsingEvent>();
        try
        {
            while (parser.MoveNext())
            {
                switch (parser.Current)
                {
                    case MappingStart or SequenceStart:
                        open.Push(parser.Current);
                        if (open.Count > MaxNestingDepth)
                            return (parser.Current.Start,
                                $"invalid YAML: mappings and lists are nested more than {MaxNestingDepth} levels deep here; a scenario needs at most a few levels (e.g. dataset: partition: kind:)");
                        break;
                    case MappingEnd or SequenceEnd:
                        if (open.Count > 0) open.Pop();
                        break;
                }
            }
            return null;
        }
        catch (YamlException)
        {
            return null; // located already: the loader reports it with its usual wording
        }
        catch (Exception e) when (e is InvalidOperationException or ArgumentException or FormatException or OverflowException or IndexOutOfRangeException)
        {
            var flow = open.FirstOrDefault(x => x is MappingStart { Style: MappingStyle.Flow } or SequenceStart { Style: SequenceStyle.Flow });
            if (flow is not null)
            {
                (string opener, string closer) = flow is MappingStart ? ("{", "}") : ("[", "]");
                return (flow.Start,
                    $"invalid YAML: the '{opener}' here is never closed; close it with '{closer}' (a flow list or mapping may span lines, but must end before the next key)");
            }
            return (scanner.CurrentPosition, "invalid YAML: the parser cannot read past this point; check the quotes, brackets and indentation here and just before");
        }
    }
}
