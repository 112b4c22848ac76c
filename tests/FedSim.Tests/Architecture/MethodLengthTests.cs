using System.Reflection;
using System.Reflection.Metadata;
using System.Reflection.Metadata.Ecma335;
using System.Text.RegularExpressions;

namespace FedSim.Tests.Architecture;

/// <summary>
/// Methods stay short enough to read at once: none in src/ over <see cref="MaxLines"/> lines, and the two grains, which
/// should only carry messages, timers and storage, none over <see cref="MaxGrainLines"/>. Lengths come from the
/// compiled assemblies' portable PDBs: the lines from a method's first to its last sequence point (a lambda's body,
/// compiled apart, counts within the method around it; an async method's body is its state machine's MoveNext; static
/// field initializers are no method).
/// </summary>
public sealed partial class MethodLengthTests
{
    private const int MaxLines = 80;
    private const int MaxGrainLines = 40;

    [Fact]
    public void No_method_in_src_is_longer_than_80_lines()
    {
        var tooLong = LayeringTests.Source.SelectMany(MethodSpans).Where(m => m.Lines > MaxLines).Select(m => m.ToString()).ToList();

        Assert.True(tooLong.Count == 0, $"methods over {MaxLines} lines:\n" + string.Join("\n", tooLong));
    }

    [Fact]
    public void No_method_of_the_device_and_experiment_grains_is_longer_than_40_lines()
    {
        var grains = MethodSpans(typeof(FedSim.Devices.DeviceGrain).Assembly)
            .Where(m => m.Type is "FedSim.Devices.DeviceGrain" or "FedSim.Coordination.ExperimentGrain").ToList();

        Assert.True(grains.Count > 30, $"only {grains.Count} grain methods were measured");
        var tooLong = grains.Where(m => m.Lines > MaxGrainLines).Select(m => m.ToString()).ToList();
        Assert.True(tooLong.Count == 0, $"grain methods over {MaxGrainLines} lines:\n" + string.Join("\n", tooLong));
    }

    [Fact]
    public void The_measure_sees_a_long_method()
    {
        var spans = MethodSpans(typeof(MethodLengthTests).Assembly).Where(m => m.Method == nameof(LongFixture)).ToList();

        Assert.Equal(12, Assert.Single(spans).Lines);
    }

    /// <summary>A method's outermost type (nested and compiler-generated types belong to it), its name and its line span.</summary>
    private sealed record MethodSpan(string Type, string Method, string File, int FirstLine, int Lines)
    {
        public override string ToString() => $"{Type}.{Method}: {Lines} lines ({Path.GetFileName(File)}:{FirstLine})";
    }

    private static IEnumerable<MethodSpan> MethodSpans(Assembly assembly)
    {
        string pdb = Path.ChangeExtension(assembly.Location, ".pdb");
        Assert.True(File.Exists(pdb), $"no portable PDB beside {assembly.Location}");
        using var pdbStream = File.OpenRead(pdb);
        using var provider = MetadataReaderProvider.FromPortablePdbStream(pdbStream);
        var debug = provider.GetMetadataReader();
        using var peStream = File.OpenRead(assembly.Location);
        using var pe = new System.Reflection.PortableExecutable.PEReader(peStream);
        var metadata = pe.GetMetadataReader();
        var spans = new List<MethodSpan>();
        foreach (var handle in metadata.MethodDefinitions)
        {
            var points = debug.GetMethodDebugInformation(handle.ToDebugInformationHandle()).GetSequencePoints()
                .Where(p => !p.IsHidden).ToList();
            if (points.Count == 0) continue;
            var method = metadata.GetMethodDefinition(handle);
            // A static constructor is the type's static field initializers, spread over the file: no method anyone reads.
            if (metadata.GetString(method.Name) == ".cctor") continue;
            var (type, name) = Owner(metadata, method);
            if (!type.StartsWith("FedSim", StringComparison.Ordinal)) continue;
            int first = points.Min(p => p.StartLine), last = points.Max(p => p.EndLine);
            spans.Add(new MethodSpan(type, name, debug.GetString(debug.GetDocument(points[0].Document).Name), first, last - first + 1));
        }
        return spans;
    }

    /// <summary>The outermost declaring type's full name, and the method's source name (a state machine's or lambda's owner).</summary>
    private static (string Type, string Method) Owner(MetadataReader metadata, MethodDefinition method)
    {
        var typeHandle = method.GetDeclaringType();
        string name = metadata.GetString(method.Name);
        while (true)
        {
            var type = metadata.GetTypeDefinition(typeHandle);
            string typeName = metadata.GetString(type.Name);
            // Compiler-generated types are named <Method>d__N (async, iterators) or <>c__DisplayClass...: their method is the source method.
            if (GeneratedOwner().Match(typeName) is { Success: true } generated && name == "MoveNext") name = generated.Groups[1].Value;
            var outer = type.GetDeclaringType();
            if (outer.IsNil) return (metadata.GetString(type.Namespace) + "." + typeName, name);
            typeHandle = outer;
        }
    }

    [GeneratedRegex(@"^<([^>]+)>d__\d+$")]
    private static partial Regex GeneratedOwner();

    private static int LongFixture(int x)
    {
        x += 1;
        x += 2;
        x += 3;
        x += 4;
        x += 5;
        x += 6;
        x += 7;
        x += 8;
        x += 9;
        return x;
    }
}
