using System.Reflection;
using FedSim.Strategies;
using Xunit.Abstractions;

namespace FedSim.Tests.Architecture;

/// <summary>
/// The namespaces of src/ form layers: no cycle anywhere, so each namespace can be read, tested and replaced knowing
/// only those below it. The graph is computed from the compiled assemblies (see <see cref="NamespaceGraph"/>).
/// </summary>
public sealed class LayeringTests(ITestOutputHelper output)
{
    internal static readonly Assembly[] Source =
    [
        typeof(IAggregator).Assembly, typeof(FedSim.Devices.DeviceGrain).Assembly,
        typeof(FedSim.Silo.FedSimSiloExtensions).Assembly, typeof(FedSim.Scenarios.Cli.FedSimCli).Assembly,
    ];

    [Fact]
    public void Source_namespaces_have_no_cycles()
    {
        // Execute
        var graph = NamespaceGraph.Of(Source);
        var cycles = graph.Cycles();

        // Assert
        Assert.True(graph.Namespaces.Count > 30 && graph.MethodBodiesScanned > 2000,
            $"the scan saw {graph.Namespaces.Count} namespaces and {graph.MethodBodiesScanned} method bodies");
        Assert.True(cycles.Count == 0, "namespace cycles:\n" + string.Join("\n", cycles.Select(c => Describe(graph, c))));
        foreach (var (layer, i) in graph.Layers().Select((l, i) => (l, i))) output.WriteLine($"layer {i}: {string.Join(", ", layer)}");
    }

    /// <summary>A cycle's namespaces and, for each edge inside it, one reference that makes the edge.</summary>
    private static string Describe(NamespaceGraph graph, IReadOnlyList<string> cycle) =>
        $"[{string.Join(", ", cycle)}]\n" + string.Join("\n",
            cycle.SelectMany(from => graph.Uses(from).Where(cycle.Contains).Select(to => $"    {from} -> {to}: {graph.Why(from, to)}")));
}
