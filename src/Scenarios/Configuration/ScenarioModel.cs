using System.Collections;
using System.ComponentModel;
using System.Reflection;
using System.Text;
using FedSim.Contracts;

namespace FedSim.Scenarios.Configuration;

/// <summary>The YAML/JSON shape of a scenario field's value.</summary>
public enum FieldKind
{
    Object,
    String,
    Integer,
    Number,
    Boolean,
    List,
}

/// <summary>
/// One settable property of the scenario model, as it appears in a file: snake_case name, dotted path,
/// value kind and documentation. Built by reflection over <see cref="ScenarioSpec"/>, so the loader, the
/// writer, the JSON schema and the docs all read the same description of the format.
/// </summary>
public sealed class ScenarioField
{
    internal ScenarioField(PropertyInfo property, string path, FieldKind kind, bool nullable,
        FieldKind? itemKind, Type? itemType, ScenarioObject? objectModel)
    {
        Property = property;
        Name = ScenarioModel.SnakeCase(property.Name);
        Path = path;
        Kind = kind;
        Nullable = nullable;
        ItemKind = itemKind;
        ItemType = itemType;
        Object = objectModel;
        Description = property.GetCustomAttribute<DescriptionAttribute>()?.Description;
    }

    /// <summary>snake_case key, e.g. <c>devices_per_round</c>.</summary>
    public string Name { get; }
    /// <summary>Dotted path from the top of the file, e.g. <c>training.devices_per_round</c>.</summary>
    public string Path { get; }
    public PropertyInfo Property { get; }
    public FieldKind Kind { get; }
    /// <summary>True when <c>null</c> (or an empty value) is a legal value: it means "use the default behaviour".</summary>
    public bool Nullable { get; }
    /// <summary>For lists: the kind of each item (a scalar kind).</summary>
    public FieldKind? ItemKind { get; }
    /// <summary>For lists: the CLR type of each item.</summary>
    public Type? ItemType { get; }
    /// <summary>For nested objects: their fields.</summary>
    public ScenarioObject? Object { get; }
    public string? Description { get; }
    /// <summary>The CLR type of the value with any Nullable&lt;T&gt; removed.</summary>
    public Type ValueType => System.Nullable.GetUnderlyingType(Property.PropertyType) ?? Property.PropertyType;

    public override string ToString() => Path;
}

/// <summary>A mapping in a scenario file: the top level or a nested section such as <c>training</c>.</summary>
public sealed class ScenarioObject
{
    private readonly Dictionary<string, ScenarioField> _byName;

    internal ScenarioObject(Type type, string path, IReadOnlyList<ScenarioField> fields)
    {
        Type = type;
        Path = path;
        Fields = fields;
        Description = type.GetCustomAttribute<DescriptionAttribute>()?.Description;
        _byName = fields.ToDictionary(f => f.Name, StringComparer.Ordinal);
    }

    public Type Type { get; }
    /// <summary>Dotted path of this section ("" for the top level).</summary>
    public string Path { get; }
    public IReadOnlyList<ScenarioField> Fields { get; }
    public string? Description { get; }

    public ScenarioField? Find(string name) => _byName.GetValueOrDefault(name);
}

/// <summary>Reflection over <see cref="ScenarioSpec"/>: the single description of the scenario format.</summary>
public static class ScenarioModel
{
    private static readonly NullabilityInfoContext Nullability = new();
    private static readonly Lazy<ScenarioObject> LazyRoot = new(() => Describe(typeof(ScenarioSpec), ""));

    /// <summary>The top level of a scenario file.</summary>
    public static ScenarioObject Root => LazyRoot.Value;

    /// <summary>Every field, depth-first in declaration order (sections before their children).</summary>
    public static IEnumerable<ScenarioField> AllFields => Walk(Root);

    /// <summary>The field at a dotted path such as <c>training.rounds</c>, or null.</summary>
    public static ScenarioField? Find(string path)
    {
        var current = Root;
        ScenarioField? field = null;
        foreach (var part in path.Split('.'))
        {
            if (current is null) return null;
            field = current.Find(part);
            if (field is null) return null;
            current = field.Object;
        }
        return field;
    }

    /// <summary>PascalCase property name to snake_case key: <c>DevicesPerRound</c> → <c>devices_per_round</c>.</summary>
    public static string SnakeCase(string name)
    {
        var sb = new StringBuilder(name.Length + 4);
        for (int i = 0; i < name.Length; i++)
        {
            char c = name[i];
            if (char.IsUpper(c))
            {
                // A new word starts at an upper-case letter after a lower-case letter or digit, or at the
                // last capital of an acronym followed by lower case ("HTTPServer" → "http_server").
                bool boundary = i > 0 && (char.IsLower(name[i - 1]) || char.IsDigit(name[i - 1])
                    || (char.IsUpper(name[i - 1]) && i + 1 < name.Length && char.IsLower(name[i + 1])));
                if (boundary) sb.Append('_');
                sb.Append(char.ToLowerInvariant(c));
            }
            else sb.Append(c);
        }
        return sb.ToString();
    }

    /// <summary>Reads a field's current value from the object that holds it.</summary>
    public static object? GetValue(ScenarioField field, object owner) => field.Property.GetValue(owner);

    /// <summary>Deep copy of a spec through the model (every settable property, arrays copied).</summary>
    public static ScenarioSpec Clone(ScenarioSpec spec) => (ScenarioSpec)CloneObject(Root, spec);

    private static object CloneObject(ScenarioObject model, object source)
    {
        var copy = Activator.CreateInstance(model.Type)!;
        foreach (var field in model.Fields)
        {
            var value = field.Property.GetValue(source);
            if (value is not null && field.Object is not null) value = CloneObject(field.Object, value);
            else if (value is Array array) value = array.Clone();
            field.Property.SetValue(copy, value);
        }
        return copy;
    }

    private static IEnumerable<ScenarioField> Walk(ScenarioObject obj)
    {
        foreach (var field in obj.Fields)
        {
            yield return field;
            if (field.Object is not null)
                foreach (var child in Walk(field.Object)) yield return child;
        }
    }

    private static ScenarioObject Describe(Type type, string path)
    {
        var fields = new List<ScenarioField>();
        var properties = type.GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(p => p.CanRead && p.CanWrite && p.GetIndexParameters().Length == 0)
            .OrderBy(p => p.MetadataToken); // declaration order, so files and docs read like the model
        foreach (var property in properties)
        {
            string name = SnakeCase(property.Name);
            string fieldPath = path.Length == 0 ? name : path + "." + name;
            var propertyType = property.PropertyType;
            bool nullable = System.Nullable.GetUnderlyingType(propertyType) is not null
                || (!propertyType.IsValueType && Nullability.Create(property).WriteState == NullabilityState.Nullable);
            var valueType = System.Nullable.GetUnderlyingType(propertyType) ?? propertyType;

            if (ScalarKind(valueType) is { } scalar)
            {
                fields.Add(new ScenarioField(property, fieldPath, scalar, nullable, null, null, null));
            }
            else if (ListItemType(valueType) is { } itemType)
            {
                var itemKind = ScalarKind(itemType)
                    ?? throw new NotSupportedException($"{type.Name}.{property.Name}: lists of {itemType.Name} are not supported by the scenario format");
                fields.Add(new ScenarioField(property, fieldPath, FieldKind.List, nullable, itemKind, itemType, null));
            }
            else if (valueType.IsClass && valueType.GetConstructor(Type.EmptyTypes) is not null)
            {
                fields.Add(new ScenarioField(property, fieldPath, FieldKind.Object, nullable, null, null, Describe(valueType, fieldPath)));
            }
            else
            {
                throw new NotSupportedException($"{type.Name}.{property.Name}: type {valueType.Name} is not supported by the scenario format");
            }
        }
        return new ScenarioObject(type, path, fields);
    }

    internal static FieldKind? ScalarKind(Type t)
    {
        if (t == typeof(string)) return FieldKind.String;
        if (t == typeof(bool)) return FieldKind.Boolean;
        if (t == typeof(int) || t == typeof(long) || t == typeof(uint) || t == typeof(ulong) || t == typeof(short) || t == typeof(byte))
            return FieldKind.Integer;
        if (t == typeof(double) || t == typeof(float)) return FieldKind.Number;
        return null;
    }

    private static Type? ListItemType(Type t)
    {
        if (t.IsArray) return t.GetElementType();
        return null;
    }

    /// <summary>Builds an array of the field's item type from converted items.</summary>
    internal static Array ToArray(ScenarioField field, IReadOnlyList<object> items)
    {
        var array = Array.CreateInstance(field.ItemType!, items.Count);
        for (int i = 0; i < items.Count; i++) array.SetValue(items[i], i);
        return array;
    }

    internal static IEnumerable<object?> Items(object? list) => list is IEnumerable e ? e.Cast<object?>() : [];
}
