using System.Reflection;
using System.Reflection.Emit;

namespace FedSim.Tests.Architecture;

/// <summary>
/// Finds every reference a type makes to a forbidden type: base type and interfaces, attributes (with their typeof
/// arguments), fields, properties, events, method and constructor signatures, generic constraints, local variables,
/// and the members and types that method bodies' IL names (calls, field accesses, newobj, typeof, casts), resolved
/// through the module. Generic arguments, arrays, pointers and by-refs are looked through. Nested and
/// compiler-generated types (lambdas' closures, async state machines) are types of their own: scan them too.
/// </summary>
internal sealed class ForbiddenReferenceScanner(Func<Type, bool> isForbidden)
{
    private const BindingFlags Declared = BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance
                                          | BindingFlags.Static | BindingFlags.DeclaredOnly;

    private static readonly OpCode[] OneByte = new OpCode[0x100];
    private static readonly OpCode[] TwoByte = new OpCode[0x100];

    static ForbiddenReferenceScanner()
    {
        foreach (var field in typeof(OpCodes).GetFields(BindingFlags.Public | BindingFlags.Static))
        {
            var op = (OpCode)field.GetValue(null)!;
            ushort value = (ushort)op.Value;
            if (value < 0x100) OneByte[value] = op;
            else if ((value & 0xFF00) == 0xFE00) TwoByte[value & 0xFF] = op;
        }
    }

    /// <summary>Method bodies whose IL was read (a guard against a scan that silently looked at nothing).</summary>
    public int MethodBodiesScanned { get; private set; }

    /// <summary>One line per forbidden reference: where it is and which type it names.</summary>
    public IReadOnlyList<string> Scan(Type type)
    {
        var found = new List<string>();
        void Check(Type? t, string where)
        {
            if (t is not null && Offending(t, []) is { } bad) found.Add($"{type.FullName}: {where} uses {bad.FullName ?? bad.Name}");
        }

        Check(type.BaseType, "base type");
        foreach (var i in type.GetInterfaces()) Check(i, "interface");
        if (type.IsGenericTypeDefinition)
            foreach (var p in type.GetGenericArguments())
                foreach (var c in p.GetGenericParameterConstraints()) Check(c, $"constraint on {p.Name}");
        CheckAttributes(type.GetCustomAttributesData(), "attribute", Check);

        foreach (var f in type.GetFields(Declared))
        {
            Check(f.FieldType, $"field {f.Name}");
            CheckAttributes(f.GetCustomAttributesData(), $"attribute of field {f.Name}", Check);
        }
        foreach (var p in type.GetProperties(Declared))
        {
            Check(p.PropertyType, $"property {p.Name}");
            CheckAttributes(p.GetCustomAttributesData(), $"attribute of property {p.Name}", Check);
        }
        foreach (var e in type.GetEvents(Declared)) Check(e.EventHandlerType, $"event {e.Name}");
        foreach (var m in type.GetMethods(Declared).Cast<MethodBase>().Concat(type.GetConstructors(Declared)))
        {
            string where = $"method {m.Name}";
            if (m is MethodInfo mi)
            {
                Check(mi.ReturnType, $"{where} return type");
                CheckAttributes(mi.ReturnParameter.GetCustomAttributesData(), $"{where} return attribute", Check);
                if (mi.IsGenericMethodDefinition)
                    foreach (var g in mi.GetGenericArguments())
                        foreach (var c in g.GetGenericParameterConstraints()) Check(c, $"{where} constraint on {g.Name}");
            }
            foreach (var p in m.GetParameters())
            {
                Check(p.ParameterType, $"{where} parameter {p.Name}");
                CheckAttributes(p.GetCustomAttributesData(), $"{where} parameter {p.Name} attribute", Check);
            }
            CheckAttributes(m.GetCustomAttributesData(), $"{where} attribute", Check);
            ScanBody(type, m, where, Check);
        }
        return found;
    }

    private void ScanBody(Type type, MethodBase method, string where, Action<Type?, string> check)
    {
        var body = method.GetMethodBody();
        if (body is null) return;
        MethodBodiesScanned++;
        foreach (var local in body.LocalVariables) check(local.LocalType, $"{where} local variable");
        var il = body.GetILAsByteArray();
        if (il is null) return;
        var typeArguments = type.IsGenericType ? type.GetGenericArguments() : null;
        var methodArguments = method.IsGenericMethod ? method.GetGenericArguments() : null;
        int pos = 0;
        while (pos < il.Length)
        {
            var op = il[pos] == 0xFE ? TwoByte[il[pos + 1]] : OneByte[il[pos]];
            pos += op.Size;
            int operand = op.OperandType switch
            {
                OperandType.InlineNone => 0,
                OperandType.ShortInlineBrTarget or OperandType.ShortInlineI or OperandType.ShortInlineVar => 1,
                OperandType.InlineVar => 2,
                OperandType.InlineI8 or OperandType.InlineR => 8,
                OperandType.InlineSwitch => 4 + 4 * BitConverter.ToInt32(il, pos),
                _ => 4,
            };
            if (op.OperandType is OperandType.InlineMethod or OperandType.InlineField or OperandType.InlineType or OperandType.InlineTok)
            {
                var member = method.Module.ResolveMember(BitConverter.ToInt32(il, pos), typeArguments, methodArguments);
                string at = $"{where} body ({op.Name} {member?.Name})";
                switch (member)
                {
                    case Type t: check(t, at); break;
                    case FieldInfo f: check(f.DeclaringType, at); check(f.FieldType, at); break;
                    case MethodBase m:
                        check(m.DeclaringType, at);
                        if (m is MethodInfo mi) check(mi.ReturnType, at);
                        foreach (var p in m.GetParameters()) check(p.ParameterType, at);
                        if (m.IsGenericMethod) foreach (var g in m.GetGenericArguments()) check(g, at);
                        break;
                }
            }
            pos += operand;
        }
    }

    private static void CheckAttributes(IEnumerable<CustomAttributeData> attributes, string where, Action<Type?, string> check)
    {
        foreach (var a in attributes)
        {
            check(a.AttributeType, where);
            foreach (var arg in a.ConstructorArguments.Concat(a.NamedArguments.Select(n => n.TypedValue)))
                if (arg.Value is Type typeArgument) check(typeArgument, $"{where} typeof argument");
        }
    }

    /// <summary>The forbidden type inside <paramref name="t"/> (itself, its element type or a generic argument), or null.</summary>
    private Type? Offending(Type t, HashSet<Type> seen)
    {
        if (!seen.Add(t)) return null;
        if (t.HasElementType) return Offending(t.GetElementType()!, seen);
        if (t.IsGenericParameter) return null;
        if (isForbidden(t)) return t;
        if (t.IsGenericType)
            foreach (var argument in t.GetGenericArguments())
                if (Offending(argument, seen) is { } bad) return bad;
        return null;
    }
}
