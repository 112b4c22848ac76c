using System.Reflection;
using FedSim.GrainInterfaces;
using FedSim.Scenarios.Running;

namespace FedSim.Tests.Architecture;

/// <summary>
/// FedSim.Core is what a client of a cluster references: the grain interfaces, the messages and the scenario model
/// (with the pure parts its options build). It must load without TorchSharp's managed or native libraries and without
/// the silo's runtime, and no grain contract may live anywhere else.
/// </summary>
public sealed class CoreAssemblyTests
{
    private static readonly Assembly Core = typeof(IExperimentGrain).Assembly;

    /// <summary>Assemblies a client must not need: the grains with their compute pool, the silo host, TorchSharp.</summary>
    private static bool IsServerSide(AssemblyName name)
    {
        string n = name.Name ?? "";
        return n is "FedSim.Grains" or "FedSim.Silo" or "Orleans.Runtime" || n.StartsWith("TorchSharp", StringComparison.Ordinal);
    }

    private static bool IsServerSide(Type t) => IsServerSide(t.Assembly.GetName());

    [Fact]
    public void The_core_assembly_references_no_grain_silo_or_TorchSharp_assembly()
    {
        var references = Core.GetReferencedAssemblies();

        Assert.Equal("FedSim.Core", Core.GetName().Name);
        Assert.DoesNotContain(references, IsServerSide);
        Assert.Contains(references, r => r.Name == "Orleans.Core.Abstractions"); // IGrain's home: the list is the real one
    }

    [Fact]
    public void Every_grain_interface_and_message_of_FedSim_lives_in_the_core_assembly()
    {
        // Prepare: FedSim's other assemblies, as loaded by the tests, and every type a grain method takes or returns.
        var others = new[] { typeof(FedSim.Compute.ComputePool).Assembly, typeof(FedSim.Silo.FedSimSiloExtensions).Assembly, typeof(ClusterClient).Assembly };
        var crossing = TypesCrossingGrains();

        // Execute: grain interfaces and grain-crossing types declared elsewhere.
        var misplaced = others.SelectMany(a => a.GetTypes())
            .Where(t => (t.IsInterface && typeof(IAddressable).IsAssignableFrom(t))
                        || (t.GetCustomAttribute<GenerateSerializerAttribute>() is not null && crossing.Contains(t)))
            .Select(t => t.FullName)
            .ToList();

        // Assert: and the core assembly really holds the grain interfaces.
        Assert.True(misplaced.Count == 0, "grain contracts outside FedSim.Core:\n" + string.Join("\n", misplaced));
        Assert.Contains(Core.GetTypes(), t => t == typeof(IDeviceGrain));
    }

    /// <summary>The types grain interface methods take or return (generic arguments looked through).</summary>
    private static HashSet<Type> TypesCrossingGrains()
    {
        var grainInterfaces = Core.GetTypes().Where(t => t.IsInterface && typeof(IAddressable).IsAssignableFrom(t));
        return grainInterfaces.SelectMany(i => i.GetMethods())
            .SelectMany(m => m.GetParameters().Select(p => p.ParameterType).Append(m.ReturnType))
            .SelectMany(Flatten)
            .ToHashSet();

        static IEnumerable<Type> Flatten(Type t) => t.IsGenericType ? t.GetGenericArguments().SelectMany(Flatten).Prepend(t) : [t];
    }

    [Fact]
    public void The_cluster_client_names_only_core_types_never_a_grain_silo_or_TorchSharp_type()
    {
        // Prepare: the client and what it exposes to the runner, with their compiler-generated types (async state machines).
        var client = new[] { typeof(ClusterClient), typeof(IExperimentHost) };
        var types = client.Concat(typeof(ClusterClient).GetNestedTypes(BindingFlags.Public | BindingFlags.NonPublic)).ToList();
        var scanner = new ForbiddenReferenceScanner(IsServerSide);

        // Execute
        var violations = types.SelectMany(scanner.Scan).ToList();

        // Assert: the scan read the client's code (ConnectAsync's state machine among it).
        Assert.True(violations.Count == 0, "the cluster client references server-side types:\n" + string.Join("\n", violations));
        Assert.True(scanner.MethodBodiesScanned > 10, $"only {scanner.MethodBodiesScanned} method bodies were scanned");
    }

    [Fact]
    public void The_scanner_sees_a_server_side_type_where_a_client_would_name_one()
    {
        var violations = new ForbiddenReferenceScanner(IsServerSide).Scan(typeof(FedSim.Scenarios.Running.EmbeddedSilo));

        Assert.Contains(violations, v => v.Contains("FedSim.Compute.ComputePool", StringComparison.Ordinal));
    }
}
