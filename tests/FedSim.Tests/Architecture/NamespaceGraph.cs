using System.Reflection;

namespace FedSim.Tests.Architecture;

/// <summary>
/// Which namespace uses which, computed from compiled assemblies: an edge A → B when a type of A (or a type nested in
/// one, such as a lambda's closure or an async state machine) refers to a type of B in any way
/// <see cref="TypeReferenceScanner"/> sees. Code the Orleans generator writes (namespace OrleansCodeGen.*) is left out:
/// it serializes types, it is not a design choice.
/// </summary>
internal sealed class NamespaceGraph
{
    private readonly Dictionary<string, Dictionary<string, string>> _edges = new(StringComparer.Ordinal);

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
                    graph._edges[from].TryAdd(to, $"{Outermost(type).FullName}: {where} uses {referenced.FullName ?? referenced.Name}");
        }
        graph.MethodBodiesScanned = scanner.MethodBodiesScanned;
        return graph;
    }

    public int MethodBodiesScanned { get; private set; }

    public IReadOnlyCollection<string> Namespaces => _edges.Keys;

    public IEnumerable<string> Uses(string ns) => _edges.TryGetValue(ns, out var to) ? to.Keys : [];

    /// <summary>One reference that makes the edge <paramref name="from"/> → <paramref name="to"/>, for messages.</summary>
    public string Why(string from, string to) => _edges[from][to];

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
        if (ns is null || ns.StartsWith("OrleansCodeGen", StringComparison.Ordinal)) return null;
        return ns;
    }
}
