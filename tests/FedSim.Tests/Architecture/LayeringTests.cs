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

    /// <summary>
    /// The scenario model is read only by the composition layer (and what sits above it: grain messages that carry the
    /// scenario, the grains, the silo and the CLI). Components see narrow facts, so a new scenario section never
    /// reaches into them.
    /// </summary>
    [Fact]
    public void Components_never_reference_the_scenario_model()
    {
        // Prepare: every namespace of the pure assembly below the composition layer.
        var graph = NamespaceGraph.Of(Source);
        string[] seeTheScenario = ["FedSim.Scenario", "FedSim.Composition", "FedSim.GrainInterfaces"];
        var components = Source[0].GetTypes().Select(t => t.Namespace).OfType<string>()
            .Where(ns => ns.StartsWith("FedSim", StringComparison.Ordinal) && !seeTheScenario.Contains(ns)).Distinct().ToList();

        // Execute
        var offenders = components.Where(ns => graph.Uses(ns).Contains("FedSim.Scenario"))
            .Select(ns => $"{ns}:\n" + string.Join("\n", graph.Why(ns, "FedSim.Scenario").Take(3).Select(w => "    " + w))).ToList();

        // Assert: and the check covered the component families.
        Assert.True(offenders.Count == 0, "components that read the scenario model:\n" + string.Join("\n", offenders));
        Assert.Contains("FedSim.Strategies.Algorithms", components);
        Assert.Contains("FedSim.Data", components);
        Assert.Contains("FedSim.Attacks.Auditing", components);
    }

    [Fact]
    public void The_graph_finds_a_cycle_through_three_namespaces_and_orders_an_acyclic_one()
    {
        var cyclic = NamespaceGraph.FromEdges(("A", "B"), ("B", "C"), ("C", "A"), ("C", "D"));
        var acyclic = NamespaceGraph.FromEdges(("A", "B"), ("B", "C"), ("A", "C"));

        Assert.Equal(["A", "B", "C"], Assert.Single(cyclic.Cycles()));
        Assert.Empty(acyclic.Cycles());
        Assert.Equal([["C"], ["B"], ["A"]], acyclic.Layers());
    }

    /// <summary>A cycle's namespaces and, for each edge inside it, one reference that makes the edge.</summary>
    private static string Describe(NamespaceGraph graph, IReadOnlyList<string> cycle) =>
        $"[{string.Join(", ", cycle)}]\n" + string.Join("\n",
            cycle.SelectMany(from => graph.Uses(from).Where(cycle.Contains).Select(to =>
                $"    {from} -> {to}:\n" + string.Join("\n", graph.Why(from, to).Take(Verbose ? 50 : 3).Select(w => "        " + w)))));

    /// <summary>FEDSIM_LAYERING_VERBOSE=1 lists up to 50 references an edge of a cycle stands on, instead of 3.</summary>
    private static bool Verbose => Environment.GetEnvironmentVariable("FEDSIM_LAYERING_VERBOSE") == "1";
}
