using FedSim.Strategies;
using FedSim.Tests.Architecture.Fixtures;

namespace FedSim.Tests.Architecture;

/// <summary>
/// The pure parts of FedSim.Core (algorithms, attacks, data, determinism, training plans, components, the round
/// pipeline, privacy) use neither TorchSharp nor Orleans' runtime, so they stay unit-testable and portable. Orleans'
/// serialization attributes are allowed on data types. The scan reads signatures, attributes, local variables and
/// the members named in method bodies' IL (see <see cref="ForbiddenReferenceScanner"/>); what it cannot see is
/// reflection by name at run time (Type.GetType("TorchSharp...")), which no pure part has a reason to do.
/// </summary>
public sealed class PureNamespacesTests
{
    private static readonly string[] PureNamespaces =
    [
        "FedSim.Strategies", "FedSim.Attacks", "FedSim.Data", "FedSim.Determinism", "FedSim.Training",
        "FedSim.Components", "FedSim.Rounds", "FedSim.Privacy",
    ];

    /// <summary>Orleans types a pure type may name: the serialization attributes, nothing of the runtime.</summary>
    private static readonly HashSet<string> AllowedOrleansTypes =
    [
        "Orleans.GenerateSerializerAttribute", "Orleans.IdAttribute", "Orleans.ImmutableAttribute", "Orleans.AliasAttribute",
    ];

    internal static bool IsForbidden(Type t)
    {
        string ns = t.Namespace ?? "";
        string assembly = t.Assembly.GetName().Name ?? "";
        if (ns == "TorchSharp" || ns.StartsWith("TorchSharp.", StringComparison.Ordinal) || assembly.StartsWith("TorchSharp", StringComparison.Ordinal))
            return true;
        bool orleans = ns == "Orleans" || ns.StartsWith("Orleans.", StringComparison.Ordinal) || assembly.StartsWith("Orleans.", StringComparison.Ordinal);
        return orleans && !AllowedOrleansTypes.Contains(t.FullName ?? "");
    }

    private static bool IsPure(Type t)
        => t.Namespace is { } ns && PureNamespaces.Any(p => ns == p || ns.StartsWith(p + ".", StringComparison.Ordinal));

    [Fact]
    public void Pure_namespaces_use_no_TorchSharp_and_no_Orleans_runtime_types()
    {
        // Prepare
        var pure = typeof(IAggregator).Assembly.GetTypes().Where(IsPure).ToList();
        var scanner = new ForbiddenReferenceScanner(IsForbidden);

        // Execute
        var violations = pure.SelectMany(scanner.Scan).ToList();

        // Assert: and the scan really covered each namespace that exists today and read method bodies.
        Assert.True(violations.Count == 0, "pure parts reference TorchSharp or Orleans runtime types:\n" + string.Join("\n", violations));
        foreach (var ns in PureNamespaces.Where(p => p != "FedSim.Privacy"))
            Assert.Contains(pure, t => t.Namespace == ns || t.Namespace!.StartsWith(ns + ".", StringComparison.Ordinal));
        Assert.True(scanner.MethodBodiesScanned > 500, $"only {scanner.MethodBodiesScanned} method bodies were scanned");
    }

    [Fact]
    public void Scanner_catches_a_TorchSharp_field_in_an_aggregator()
    {
        var violations = new ForbiddenReferenceScanner(IsForbidden).Scan(typeof(AggregatorWithTensorField));

        Assert.Contains(violations, v => v.Contains("field _scratch") && v.Contains("TorchSharp"));
    }

    [Fact]
    public void Scanner_catches_TorchSharp_used_only_inside_a_method_body()
    {
        // The type's signatures are clean; only the IL of Aggregate calls into TorchSharp.
        var violations = new ForbiddenReferenceScanner(IsForbidden).Scan(typeof(AggregatorCallingTorch));

        Assert.Contains(violations, v => v.Contains("method Aggregate body") && v.Contains("TorchSharp"));
    }

    [Fact]
    public void Scanner_catches_Orleans_runtime_types_in_signatures_and_attributes()
    {
        var violations = new ForbiddenReferenceScanner(IsForbidden).Scan(typeof(StageUsingTheGrainFactory));

        Assert.Contains(violations, v => v.Contains("parameter factory") && v.Contains("Orleans.IGrainFactory"));
        Assert.Contains(violations, v => v.Contains("attribute") && v.Contains("Orleans.Concurrency.StatelessWorkerAttribute"));
    }

    [Fact]
    public void Scanner_allows_Orleans_serialization_attributes_on_data_types()
    {
        var violations = new ForbiddenReferenceScanner(IsForbidden).Scan(typeof(SerializableOptionsFixture));

        Assert.Empty(violations);
    }
}
