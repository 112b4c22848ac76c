using System.Reflection;
using System.Reflection.Emit;
using FedSim.Compute;
using TorchSharp;

namespace FedSim.Tests.Compute;

/// <summary>
/// TorchSharp 0.107 frees a <see cref="Scalar"/> only in its finalizer, and its methods read the native handle and
/// then no longer need the object: a Scalar made for one call (an implicit double to Scalar, the alpha of 1 that
/// <c>add_(Tensor)</c> passes itself, the learning rate inside torch.optim's step) can be collected and freed while
/// libtorch still reads it. In optimized builds that happened: `toFloat` failed at Scalar.h:140 inside add_ in bench
/// runs, and under constant collections about one training in a hundred failed (or, read from reused memory,
/// could take a wrong step). The compute code therefore holds every Scalar it passes; this checks its IL for the
/// calls that would not.
/// </summary>
public sealed class ScalarLifetimeTests
{
    [Fact]
    public void Compute_code_hands_libtorch_no_temporary_scalar()
    {
        // Prepare: every method body of the compute code and the bench, lambdas and iterators included.
        var methods = typeof(BatchedTrainer).Assembly.GetTypes().Concat(typeof(FedSim.Scenarios.Bench.TrainingBench).Assembly.GetTypes())
            .Where(t => t.Namespace is "FedSim.Compute" or "FedSim.Scenarios.Bench")
            .SelectMany(t => t.GetMethods(BindingFlags.Instance | BindingFlags.Static | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly)
                .Cast<MethodBase>()
                .Concat(t.GetConstructors(BindingFlags.Instance | BindingFlags.Static | BindingFlags.Public | BindingFlags.NonPublic)))
            .Where(m => m.GetMethodBody() is not null)
            .ToList();

        // Execute
        var offenders = methods.SelectMany(m => Callees(m).Where(IsTemporaryScalarCall).Select(c => $"{m.DeclaringType!.Name}.{m.Name} calls {c.DeclaringType!.Name}.{c}")).ToList();

        // Assert: the trainers are in the list, so the scan did look at them.
        Assert.Contains(methods, m => m.DeclaringType == typeof(BatchedTrainer));
        Assert.Contains(methods, m => m.DeclaringType == typeof(ReferenceTrainer));
        Assert.True(offenders.Count == 0, "Pass a held Scalar (a local in `using`, or HeldScalars) instead:\n" + string.Join("\n", offenders.Distinct()));
    }

    [Fact]
    public void The_scan_finds_an_implicit_scalar_and_the_alpha_free_add()
    {
        // The check above is only as good as its IL reader: it must see the calls in a method that makes them.
        var callees = Callees(typeof(ScalarLifetimeTests).GetMethod(nameof(MakesTemporaries), BindingFlags.NonPublic | BindingFlags.Static)!).ToList();

        Assert.Equal(2, callees.Count(IsTemporaryScalarCall));
    }

    private static torch.Tensor MakesTemporaries(torch.Tensor a, torch.Tensor b) => a.add_(b).mul_(0.5);

    /// <summary>Calls that create a Scalar only for the call: implicit conversions, and add_/add with no alpha.</summary>
    private static bool IsTemporaryScalarCall(MethodBase callee) =>
        (callee.DeclaringType == typeof(Scalar) && callee.Name == "op_Implicit")
        || (callee.DeclaringType == typeof(torch.Tensor) && callee.Name is "add_" or "add" or "add_scalar"
            && callee.GetParameters() is [{ ParameterType: var only }] && only == typeof(torch.Tensor))
        || callee.DeclaringType == typeof(torch.optim);

    /// <summary>The methods <paramref name="method"/> calls (call, callvirt, newobj), read from its IL.</summary>
    private static IEnumerable<MethodBase> Callees(MethodBase method)
    {
        byte[] il = method.GetMethodBody()!.GetILAsByteArray()!;
        var generics = (method.DeclaringType!.IsGenericType ? method.DeclaringType.GetGenericArguments() : null,
                        method.IsGenericMethod ? method.GetGenericArguments() : null);
        for (int at = 0; at < il.Length;)
        {
            var opcode = il[at] == 0xFE ? TwoByte[il[at + 1]] : OneByte[il[at]];
            at += opcode.Size;
            if (opcode == OpCodes.Call || opcode == OpCodes.Callvirt || opcode == OpCodes.Newobj)
            {
                MethodBase? callee = null;
                try { callee = method.Module.ResolveMethod(BitConverter.ToInt32(il, at), generics.Item1, generics.Item2); }
                catch (ArgumentException) { } // a vararg or otherwise unresolvable reference: not a TorchSharp call
                if (callee is not null) yield return callee;
            }
            at += OperandSize(opcode, il, at);
        }
    }

    private static readonly Dictionary<byte, OpCode> OneByte = new(), TwoByte = new();

    static ScalarLifetimeTests()
    {
        foreach (var field in typeof(OpCodes).GetFields(BindingFlags.Public | BindingFlags.Static))
        {
            var opcode = (OpCode)field.GetValue(null)!;
            if (opcode.Size == 1) OneByte[(byte)opcode.Value] = opcode;
            else TwoByte[(byte)(opcode.Value & 0xFF)] = opcode;
        }
    }

    private static int OperandSize(OpCode opcode, byte[] il, int at) => opcode.OperandType switch
    {
        OperandType.InlineNone => 0,
        OperandType.ShortInlineBrTarget or OperandType.ShortInlineI or OperandType.ShortInlineVar => 1,
        OperandType.InlineVar => 2,
        OperandType.InlineI8 or OperandType.InlineR => 8,
        OperandType.InlineSwitch => 4 + 4 * BitConverter.ToInt32(il, at),
        _ => 4,
    };
}
