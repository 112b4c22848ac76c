using YamlDotNet.Core;
using YamlDotNet.Core.Events;

namespace FedSim.Scenarios.Configuration;

/// <summary>
/// A pass over a scenario file's YAML events before the representation model is built, for the two ways YamlDotNet
/// fails outside its own located <see cref="YamlException"/>: nesting deep enough to overflow the stack of the
/// (recursive) node builder, which kills the process, and scanner states that throw a bare
/// <see cref="InvalidOperationException"/> without a position (e.g. <c>name: [unclosed</c> followed by another line).
/// It also measures what aliases stand for: the node builder shares an anchored node rather than copying it, but
/// anything that later walks or prints the nodes (a comparison's labels) visits it once per alias, so aliases of
/// aliases ("billion laughs"), an alias inside the node it names, and nesting deepened through aliases are refused
/// here too. The event parser itself is iterative, so this pass is safe on any input.
/// </summary>
internal static class YamlGuard
{
    /// <summary>
    /// Deepest nesting of mappings and lists a scenario file may have. The scenario format needs four levels
    /// (dataset.partition.kind inside the document); 64 leaves room for any future section and rejects inputs built
    /// to exhaust the stack.
    /// </summary>
    public const int MaxNestingDepth = 64;

    /// <summary>Largest scenario or comparison file read, in bytes: each is a page of YAML; anything this big is the wrong file.</summary>
    public const long MaxFileBytes = 1 << 20;

    /// <summary>
    /// Most mappings, lists and scalars a file may hold once every alias is replaced by what it names: as many as a
    /// file of <see cref="MaxFileBytes"/> could spell out, so aliases save typing but cannot multiply the work.
    /// </summary>
    public const long MaxExpandedNodes = 1 << 20;

    /// <summary>A mapping or list not yet closed, with what it holds so far counting aliases as what they name.</summary>
    private sealed class OpenCollection(ParsingEvent start, long expandedBefore)
    {
        public ParsingEvent Start { get; } = start;
        public long ExpandedBefore { get; } = expandedBefore;
        public int DeepestChild { get; set; }
    }

    /// <summary>The first problem the event pass finds, or null when the representation model can safely load the text.</summary>
    public static (Mark At, string Message)? Check(string text)
    {
        var scanner = new Scanner(new StringReader(text));
        var parser = new Parser(scanner);
        // Open collections, innermost on top: to say which bracket was never closed.
        var open = new Stack<OpenCollection>();
        // Per anchor of this document: how many nodes it stands for and how deep it nests (0 for a scalar).
        var anchors = new Dictionary<string, (long Nodes, int Depth)>(StringComparer.Ordinal);
        long expanded = 0;
        try
        {
            while (parser.MoveNext())
            {
                var current = parser.Current!;
                switch (current)
                {
                    case DocumentStart:
                        anchors.Clear();
                        break;
                    case MappingStart or SequenceStart:
                        open.Push(new OpenCollection(current, expanded));
                        expanded++;
                        if (open.Count > MaxNestingDepth)
                            return (current.Start,
                                $"invalid YAML: mappings and lists are nested more than {MaxNestingDepth} levels deep here; a scenario needs at most a few levels (e.g. dataset: partition: kind:)");
                        break;
                    case MappingEnd or SequenceEnd:
                        if (open.Count == 0) break;
                        var closed = open.Pop();
                        int depth = closed.DeepestChild + 1;
                        if (open.TryPeek(out var parent)) parent.DeepestChild = Math.Max(parent.DeepestChild, depth);
                        if (closed.Start is NodeEvent { Anchor.IsEmpty: false } anchored)
                            anchors[anchored.Anchor.Value] = (expanded - closed.ExpandedBefore, depth);
                        break;
                    case Scalar scalar:
                        expanded++;
                        if (!scalar.Anchor.IsEmpty) anchors[scalar.Anchor.Value] = (1, 0);
                        break;
                    case AnchorAlias alias:
                        if (AliasProblem(alias, open, anchors, ref expanded) is { } problem) return (alias.Start, problem);
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
            // The outermost: an inner one may be closed already, its end not yet reported when the parser failed
            // (`grid: {a: [1]` followed by another line).
            var flow = open.Select(x => x.Start).LastOrDefault(x => x is MappingStart { Style: MappingStyle.Flow } or SequenceStart { Style: SequenceStyle.Flow });
            if (flow is not null)
            {
                (string opener, string closer) = flow is MappingStart ? ("{", "}") : ("[", "]");
                return (flow.Start,
                    $"invalid YAML: the '{opener}' here is never closed; close it with '{closer}' (a flow list or mapping may span lines, but must end before the next key)");
            }
            return (scanner.CurrentPosition, "invalid YAML: the parser cannot read past this point; check the quotes, brackets and indentation here and just before");
        }
    }

    /// <summary>Why <paramref name="alias"/> may not stand where it is, or null; counts what it names into <paramref name="expanded"/>.</summary>
    private static string? AliasProblem(AnchorAlias alias, Stack<OpenCollection> open, Dictionary<string, (long Nodes, int Depth)> anchors, ref long expanded)
    {
        string name = alias.Value.Value;
        if (open.Any(x => x.Start is NodeEvent { Anchor.IsEmpty: false } a && a.Anchor.Value == name))
            return $"invalid YAML: alias '*{name}' is inside the mapping or list it names, so it would repeat without end; write the values out instead";
        // An anchor not defined yet is left to the loader, which reports it with its own wording.
        var (nodes, depth) = anchors.TryGetValue(name, out var named) ? named : (1, 0);
        if (open.Count + depth > MaxNestingDepth)
            return $"invalid YAML: alias '*{name}' here makes mappings and lists nested more than {MaxNestingDepth} levels deep; a scenario needs at most a few levels (e.g. dataset: partition: kind:)";
        if (open.TryPeek(out var parent)) parent.DeepestChild = Math.Max(parent.DeepestChild, depth);
        // Each anchor's count is part of the running total already, so this sum stays below twice the limit.
        expanded += nodes;
        if (expanded > MaxExpandedNodes)
            return $"invalid YAML: with alias '*{name}' here, aliases stand for more than {MaxExpandedNodes:N0} values (aliases of aliases multiply); write the values out instead";
        return null;
    }
}
