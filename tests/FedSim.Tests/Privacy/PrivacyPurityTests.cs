using System.Reflection;

namespace FedSim.Tests.Privacy;

public sealed class PrivacyPurityTests
{
    [Fact]
    public void Privacy_types_use_neither_torchsharp_nor_the_orleans_runtime()
    {
        // FedSim.Privacy is pure C# (design.md): it must test and run without a silo or libtorch. Orleans'
        // serialization attributes are allowed; any Orleans or TorchSharp type in a signature is not.
        var types = typeof(FedSim.Privacy.Accounting.PrivacyParameterException).Assembly.GetTypes()
            .Where(t => t.Namespace?.StartsWith("FedSim.Privacy", StringComparison.Ordinal) == true)
            .ToList();
        const BindingFlags all = BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly;

        var used = types.SelectMany(t =>
            new[] { t.BaseType }.Concat(t.GetInterfaces())
                .Concat(t.GetFields(all).Select(f => f.FieldType))
                .Concat(t.GetProperties(all).Select(p => p.PropertyType))
                .Concat(t.GetMethods(all).SelectMany(m => m.GetParameters().Select(p => p.ParameterType).Append(m.ReturnType))))
            .Where(u => u is not null)
            .Select(u => u!.Assembly.GetName().Name ?? "")
            .Distinct();

        Assert.NotEmpty(types);
        Assert.DoesNotContain(used, name => name.StartsWith("TorchSharp", StringComparison.Ordinal) || name.StartsWith("Orleans", StringComparison.Ordinal));
    }
}
