using System.Collections;
using System.ComponentModel;
using System.Reflection;
using System.Text;
using FedSim.Components;
using FedSim.Scenario;

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
    /// <summary>A section whose <c>kind:</c> picks its options type (see <see cref="FedSim.Components.ComponentCatalog"/>).</summary>
    Component,
    /// <summary>A list of mappings of one fixed type.</summary>
    ObjectList,
    /// <summary>A list of sections, each with its own <c>kind:</c> from one component family.</summary>
    ComponentList,
}

/// <summary>
/// One settable property of the scenario model, as it appears in a file: snake_case name, dotted path,
/// value kind and documentation. Built by reflection over <see cref="ScenarioSpec"/>, so the loader, the
/// writer, the JSON schema and the docs all read the same description of the format.
/// </summary>
public sealed class ScenarioField
{
    internal ScenarioField(PropertyInfo property, string path, FieldKind kind, bool nullable,
        FieldKind? itemKind, Type? itemType, ScenarioObject? objectModel, ComponentFamily? family = null)
    {
        Family = family;
        _rule = new Lazy<FieldRule?>(ResolveRule);
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
    /// <summary>For lists: the CLR type of each item (for a list of components, the family's base type).</summary>
    public Type? ItemType { get; }
    /// <summary>For nested objects: their fields.</summary>
    public ScenarioObject? Object { get; }
    /// <summary>For components: the family whose kinds this section takes.</summary>
    public ComponentFamily? Family { get; }
    public string? Description { get; }

    /// <summary>
    /// The value constraint of this field: the scenario's rule table (<see cref="ScenarioRules.Fields"/>) for the
    /// fixed sections, the options type's DataAnnotations for component options; for a component, its kinds.
    /// </summary>
    public FieldRule? Rule => _rule.Value;

    private readonly Lazy<FieldRule?> _rule;

    private FieldRule? ResolveRule() => Family is { } family
        ? new FieldRule(Path + ".kind") { AllowedValues = family.Kinds }
        : ScenarioRules.For(Path) ?? FieldRule.FromAttributes(Path, Property);

    /// <summary>For components: the fields of <paramref name="kind"/> (null for an unknown kind).</summary>
    public ScenarioObject? ObjectFor(string kind) => Family is { } family && family.TypeOf(kind) is { } type
        ? ScenarioModel.ComponentObject(type, Path)
        : null;

    /// <summary>For components: the fields of every kind, in kind order.</summary>
    public IEnumerable<ScenarioObject> AllKindObjects => Family is { } family ? family.Kinds.Select(k => ObjectFor(k)!) : [];
    /// <summary>The CLR type of the value with any Nullable&lt;T&gt; removed.</summary>
    public Type ValueType => System.Nullable.GetUnderlyingType(Property.PropertyType) ?? Property.PropertyType;

    public override string ToString() => Path;
}

/// <summary>A mapping in a scenario file: the top level or a nested section such as <c>training</c>.</summary>
public sealed class ScenarioObject
{
    private readonly Dictionary<string, ScenarioField> _byName;

    internal ScenarioObject(Type type, string path, IReadOnlyList<ScenarioField> fields, string? componentKind = null)
    {
        ComponentKind = componentKind;
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
    /// <summary>For the options of one component kind: that kind (its mapping also holds a <c>kind:</c> key).</summary>
    public string? ComponentKind { get; }

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
        IEnumerable<ScenarioObject> current = [Root];
        ScenarioField? field = null;
        foreach (var part in path.Split('.'))
        {
            field = current.Select(o => o.Find(part)).FirstOrDefault(f => f is not null);
            if (field is null) return null;
            current = field.Family is not null ? field.AllKindObjects : field.Object is { } o ? [o] : [];
        }
        return field;
    }

    private static readonly System.Collections.Concurrent.ConcurrentDictionary<(Type, string), ScenarioObject> ComponentObjects = new();

    /// <summary>The fields of one component options type under <paramref name="path"/> (cached).</summary>
    internal static ScenarioObject ComponentObject(Type optionsType, string path)
        => ComponentObjects.GetOrAdd((optionsType, path), key => Describe(key.Item1, key.Item2, ComponentCatalog.KindOf(key.Item1)));

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
            if (value is Array components && field.Kind == FieldKind.ComponentList)
            {
                var copy2 = Array.CreateInstance(field.ItemType!, components.Length);
                for (int i = 0; i < components.Length; i++)
                    copy2.SetValue(components.GetValue(i) is { } item ? CloneObject(ComponentObject(item.GetType(), field.Path), item) : null, i);
                value = copy2;
            }
            else if (value is not null && field.Family is not null) value = CloneObject(ComponentObject(value.GetType(), field.Path), value);
            else if (value is not null && field.Object is not null && field.Kind == FieldKind.Object) value = CloneObject(field.Object, value);
            else if (value is Array items && field.Kind == FieldKind.ObjectList)
            {
                var copy2 = Array.CreateInstance(field.ItemType!, items.Length);
                for (int i = 0; i < items.Length; i++) copy2.SetValue(items.GetValue(i) is { } item ? CloneObject(field.Object!, item) : null, i);
                value = copy2;
            }
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
            // A component's options differ by kind; list each dotted path once (the first kind that has it).
            var seen = new HashSet<string>(StringComparer.Ordinal);
            foreach (var kindObject in field.AllKindObjects)
                foreach (var child in Walk(kindObject))
                    if (seen.Add(child.Path)) yield return child;
        }
    }

    /// <summary>The kinds of <paramref name="field"/>'s family that have an option at <paramref name="path"/>.</summary>
    public static IReadOnlyList<string> KindsHaving(ScenarioField field, string path)
        => field.Family is null ? [] : field.Family.Kinds.Where(k => Walk(field.ObjectFor(k)!).Any(f => f.Path == path)).ToArray();

    private static ScenarioObject Describe(Type type, string path, string? componentKind = null)
    {
        var fields = new List<ScenarioField>();
        // Declaration order, so files and docs read like the model; a component's own options come before
        // those it inherits from its family (strategy: server_learning_rate before aggregator).
        var properties = type.GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(p => p.CanRead && p.CanWrite && p.GetIndexParameters().Length == 0)
            .OrderByDescending(p => Depth(p.DeclaringType!))
            .ThenBy(p => p.MetadataToken);
        foreach (var property in properties)
        {
            string name = SnakeCase(property.Name);
            string fieldPath = path.Length == 0 ? name : path + "." + name;
            var propertyType = property.PropertyType;
            bool nullable = System.Nullable.GetUnderlyingType(propertyType) is not null
                || (!propertyType.IsValueType && Nullability.Create(property).WriteState == NullabilityState.Nullable);
            var valueType = System.Nullable.GetUnderlyingType(propertyType) ?? propertyType;

            if (ComponentCatalog.FamilyOf(valueType) is { } family)
            {
                fields.Add(new ScenarioField(property, fieldPath, FieldKind.Component, nullable, null, null, null, family));
            }
            else if (ListItemType(valueType) is { } componentItem && ComponentCatalog.FamilyOf(componentItem) is { } itemFamily)
            {
                fields.Add(new ScenarioField(property, fieldPath, FieldKind.ComponentList, nullable, null, componentItem, null, itemFamily));
            }
            else if (ScalarKind(valueType) is { } scalar)
            {
                fields.Add(new ScenarioField(property, fieldPath, scalar, nullable, null, null, null));
            }
            else if (ListItemType(valueType) is { } objectItem && ScalarKind(objectItem) is null && objectItem.IsClass
                     && objectItem.GetConstructor(Type.EmptyTypes) is not null)
            {
                fields.Add(new ScenarioField(property, fieldPath, FieldKind.ObjectList, nullable, null, objectItem, Describe(objectItem, fieldPath)));
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
        return new ScenarioObject(type, path, fields, componentKind);
    }

    private static int Depth(Type t)
    {
        int depth = 0;
        for (var b = t.BaseType; b is not null; b = b.BaseType) depth++;
        return depth;
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
