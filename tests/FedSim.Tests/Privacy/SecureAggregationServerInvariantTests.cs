using System.Reflection;
using FedSim.Privacy.SecureAggregation;
using static FedSim.Tests.Privacy.SecureAggregationTestRound;

namespace FedSim.Tests.Privacy;

/// <summary>The coordinator only ever holds masked vectors, shares and the final sum.</summary>
public sealed class SecureAggregationServerInvariantTests
{
    private const int Length = 2_000;

    [Fact]
    public void Every_vector_the_server_received_is_masked()
    {
        // Prepare: a round with dropouts after sharing, so the server also rebuilds dropped clients' masking keys
        var cohort = Cohort(10);
        var parameters = SecAggParameters.Complete("exp-77/round-1", Length, 10, clipRange: 1.0, threshold: 6);
        var recorder = new Recorder();
        var inputs = cohort.ToDictionary(u => u, u => QuantizedInputOf(parameters, u));

        // Execute
        var result = Run(parameters, cohort, new SecAggDropouts(BeforeMaskedInput: [cohort[1], cohort[4]]), recorder).Result;

        // Assert: the only vectors that went up are masked inputs, and none resembles any client's quantized input
        // (a coordinate of a masked vector equals a given input's with probability 2^-32).
        var received = recorder.Up.Select(m => m.Message).ToList();
        Assert.All(received, m => Assert.IsNotType<QuantizedUpdate>(m));
        var masked = received.OfType<SecAggMaskedInput>().ToList();
        Assert.Equal(8, masked.Count);
        foreach (var m in masked)
            foreach (var (client, input) in inputs)
            {
                int equal = m.MaskedVector.Zip(input).Count(p => p.First == p.Second);
                Assert.True(equal <= 2, $"client {m.From}'s masked vector agrees with client {client}'s input in {equal} of {Length} coordinates");
            }
        // The server's result is the sum and nothing finer.
        Assert.Equal(PlainQuantizedSum(parameters, result.Contributors), result.QuantizedSum);
    }

    /// <summary>Types that can hold one client's update in the clear.</summary>
    private static readonly Type[] PlaintextUpdateTypes =
    [
        typeof(float[]), typeof(double[]), typeof(QuantizedUpdate), typeof(FedSim.GrainInterfaces.DeviceUpdate),
        typeof(Span<float>), typeof(ReadOnlySpan<float>), typeof(Memory<float>), typeof(ReadOnlyMemory<float>),
        typeof(IEnumerable<float>), typeof(IReadOnlyList<float>), typeof(List<float>),
        typeof(Span<double>), typeof(ReadOnlySpan<double>), typeof(IEnumerable<double>), typeof(IReadOnlyList<double>),
    ];

    [Fact]
    public void Server_type_has_no_field_or_parameter_that_holds_a_plaintext_update()
    {
        // Prepare
        const BindingFlags all = BindingFlags.Instance | BindingFlags.Static | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly;
        var server = typeof(SecAggServer);

        // Execute
        var fieldTypes = server.GetFields(all).Select(f => (Where: $"field {f.Name}", f.FieldType));
        var methods = server.GetMethods(all).Cast<MethodBase>().Concat(server.GetConstructors(all)).ToList();
        var parameterTypes = methods.SelectMany(m => m.GetParameters().Select(p => (Where: $"{m.Name}({p.Name})", p.ParameterType)));
        var publicInputs = server.GetMethods(BindingFlags.Instance | BindingFlags.Public | BindingFlags.DeclaredOnly)
            .SelectMany(m => m.GetParameters()).Select(p => p.ParameterType).Distinct().ToList();

        // Assert: nothing typed as a plaintext update, in the server or in any message it accepts
        var offenders = fieldTypes.Concat(parameterTypes)
            .Concat(publicInputs.SelectMany(t => t.GetProperties().Select(p => (Where: $"{t.Name}.{p.Name}", p.PropertyType))))
            .Where(x => PlaintextUpdateTypes.Contains(x.Item2) || x.Item2.IsByRef && PlaintextUpdateTypes.Contains(x.Item2.GetElementType()))
            .Select(x => x.Where)
            .ToList();
        Assert.Empty(offenders);
        // The vector it accepts is the masked one, and only that.
        Assert.Equal([typeof(SecAggMaskedInput)], publicInputs.Where(t => t.GetProperties().Any(p => p.PropertyType == typeof(uint[]))));
        // Only Finish hands a vector back, and that is the sum.
        Assert.Equal(["Finish"], server.GetMethods(BindingFlags.Instance | BindingFlags.Public | BindingFlags.DeclaredOnly)
            .Where(m => m.ReturnType == typeof(SecAggResult)).Select(m => m.Name));
    }

    [Fact]
    public void A_quantized_update_cannot_be_serialized_to_another_grain()
    {
        Assert.Null(typeof(QuantizedUpdate).GetCustomAttribute<GenerateSerializerAttribute>());
        Assert.NotNull(typeof(SecAggMaskedInput).GetCustomAttribute<GenerateSerializerAttribute>());
    }
}
