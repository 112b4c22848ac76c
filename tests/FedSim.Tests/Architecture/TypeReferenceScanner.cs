using System.Reflection;
using System.Reflection.Emit;

namespace FedSim.Tests.Architecture;

/// <summary>
/// Lists every type a type refers to: base type and interfaces, attributes (with their typeof
/// arguments), fields, properties, events, method and constructor signatures, generic constraints, local variables,
/// and the members and types that method bodies' IL names (calls, field accesses, newobj, typeof, casts), resolved
/// through the module. Generic arguments, arrays, pointers and by-refs are looked through. Nested and
/// compiler-generated types (lambdas' closures, async state machines) are types of their own: scan them too.
/// </summary>
internal sealed class TypeReferenceScanner
{
    private const BindingFlags Declared = BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance
                                          | BindingFlags.Static | BindingFlags.DeclaredOnly;

    private static readonly OpCode[] OneByte = new OpCode[0x100];
    private static readonly OpCode[] TwoByte = new OpCode[0x100];

    static TypeReferenceScanner()
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

    /// <summary>
    /// Every reference <paramref name="type"/> makes: where it is, and each type it names there (element types and
    /// generic arguments looked through, so <c>List&lt;Foo[]&gt;</c> names List, Foo[] and Foo).
    /// </summary>
    public IReadOnlyList<(string Where, Type Referenced)> References(Type type)
    {
        var found = new List<(string, Type)>();
        void Check(Type? t, string where)
        {
            if (t is not null) foreach (var named in Named(t, [])) found.Add((where, named));
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

    /// <summary><paramref name="t"/>, its element type and its generic arguments, recursively.</summary>
    private static IEnumerable<Type> Named(Type t, HashSet<Type> seen)
    {
        if (!seen.Add(t)) yield break;
        if (t.HasElementType)
        {
            foreach (var inner in Named(t.GetElementType()!, seen)) yield return inner;
            yield break;
        }
        if (t.IsGenericParameter) yield break;
        yield return t;
        if (t.IsGenericType)
            foreach (var argument in t.GetGenericArguments())
                foreach (var inner in Named(argument, seen)) yield return inner;
    }
}

/// <summary>The references of a type to forbidden types, one line each: where it is and which type it names.</summary>
internal sealed class ForbiddenReferenceScanner(Func<Type, bool> isForbidden)
{
    private readonly TypeReferenceScanner _scanner = new();

    /// <summary>Method bodies whose IL was read (a guard against a scan that silently looked at nothing).</summary>
    public int MethodBodiesScanned => _scanner.MethodBodiesScanned;

    public IReadOnlyList<string> Scan(Type type) =>
        _scanner.References(type).Where(r => isForbidden(r.Referenced))
            .Select(r => $"{type.FullName}: {r.Where} uses {r.Referenced.FullName ?? r.Referenced.Name}")
            .Distinct().ToList();
}
