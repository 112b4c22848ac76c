using System.Reflection;

namespace FedSim.Tests.Architecture;

/// <summary>
/// Which namespace uses which, computed from compiled assemblies: an edge A → B when a type of A (or a type nested in
/// one, such as a lambda's closure or an async state machine) refers to a type of B in any way
/// <see cref="TypeReferenceScanner"/> sees. Code the Orleans generator writes (namespace OrleansCodeGen.*) is left out:
/// it serializes types, it is not a design choice; so are the namespaces other generators write (System.*).
/// </summary>
internal sealed class NamespaceGraph
{
    private readonly Dictionary<string, Dictionary<string, List<string>>> _edges = new(StringComparer.Ordinal);

    /// <summary>The graph of every namespace in <paramref name="assemblies"/>, with edges among them only.</summary>
    public static NamespaceGraph Of(IReadOnlyCollection<Assembly> assemblies)
    {
        var graph = new NamespaceGraph();
        var scanner = new TypeReferenceScanner();
        foreach (var type in assemblies.SelectMany(a => a.GetTypes()))
        {
            if (NamespaceOf(type) is not { } from) continue;
            graph._edges.TryAdd(from, new(StringComparer.Ordinal));
            foreach (var (where, referenced) in scanner.References(type))
                if (assemblies.Contains(referenced.Assembly) && NamespaceOf(referenced) is { } to && to != from)
                {
                    var reasons = graph._edges[from].TryGetValue(to, out var r) ? r : graph._edges[from][to] = [];
                    string reason = $"{Outermost(type).FullName}: {where} uses {referenced.FullName ?? referenced.Name}";
                    if (reasons.Count < 50 && !reasons.Contains(reason)) reasons.Add(reason);
                }
        }
        graph.MethodBodiesScanned = scanner.MethodBodiesScanned;
        return graph;
    }

    public int MethodBodiesScanned { get; private set; }

    /// <summary>A graph of the given edges, for testing the graph itself.</summary>
    public static NamespaceGraph FromEdges(params (string From, string To)[] edges)
    {
        var graph = new NamespaceGraph();
        foreach (var (from, to) in edges)
        {
            graph._edges.TryAdd(to, new(StringComparer.Ordinal));
            (graph._edges.TryGetValue(from, out var uses) ? uses : graph._edges[from] = new(StringComparer.Ordinal))[to] = ["given"];
        }
        return graph;
    }

    public IReadOnlyCollection<string> Namespaces => _edges.Keys;

    public IEnumerable<string> Uses(string ns) => _edges.TryGetValue(ns, out var to) ? to.Keys : [];

    /// <summary>References that make the edge <paramref name="from"/> → <paramref name="to"/> (the first 50), for messages.</summary>
    public IReadOnlyList<string> Why(string from, string to) => _edges[from][to];

    /// <summary>
    /// The graph's cycles as strongly connected components of two or more namespaces (Tarjan's algorithm), each
    /// sorted by name.
    /// </summary>
    public IReadOnlyList<IReadOnlyList<string>> Cycles()
    {
        var index = new Dictionary<string, int>();
        var low = new Dictionary<string, int>();
        var stack = new Stack<string>();
        var onStack = new HashSet<string>();
        var cycles = new List<IReadOnlyList<string>>();
        int next = 0;

        void Visit(string v)
        {
            index[v] = low[v] = next++;
            stack.Push(v);
            onStack.Add(v);
            foreach (var w in Uses(v))
            {
                if (!index.ContainsKey(w)) { Visit(w); low[v] = Math.Min(low[v], low[w]); }
                else if (onStack.Contains(w)) low[v] = Math.Min(low[v], index[w]);
            }
            if (low[v] != index[v]) return;
            var component = new List<string>();
            string x;
            do { x = stack.Pop(); onStack.Remove(x); component.Add(x); } while (x != v);
            if (component.Count > 1) cycles.Add(component.Order(StringComparer.Ordinal).ToList());
        }

        foreach (var v in _edges.Keys.Order(StringComparer.Ordinal))
            if (!index.ContainsKey(v)) Visit(v);
        return cycles;
    }

    /// <summary>
    /// Layers of an acyclic graph, bottom first: layer 0 uses nothing, layer k uses only layers below k.
    /// </summary>
    public IReadOnlyList<IReadOnlyList<string>> Layers()
    {
        var depth = new Dictionary<string, int>();
        int Depth(string v) => depth.TryGetValue(v, out int d) ? d : depth[v] = Uses(v).Select(u => Depth(u) + 1).DefaultIfEmpty(0).Max();
        foreach (var v in _edges.Keys) Depth(v);
        return depth.GroupBy(kv => kv.Value).OrderBy(g => g.Key)
            .Select(g => (IReadOnlyList<string>)g.Select(kv => kv.Key).Order(StringComparer.Ordinal).ToList()).ToList();
    }

    private static Type Outermost(Type type)
    {
        while (type.DeclaringType is { } outer) type = outer;
        return type;
    }

    private static string? NamespaceOf(Type type)
    {
        string? ns = Outermost(type).Namespace;
        if (ns is null || !(ns == "FedSim" || ns.StartsWith("FedSim.", StringComparison.Ordinal))) return null;
        return ns;
    }
}
