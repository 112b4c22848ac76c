using System.Collections.Concurrent;
using System.ComponentModel;
using System.Reflection;

namespace FedSim.Components;

/// <summary>
/// Marks the abstract options type of a component family (strategy, aggregator, byzantine attack, ...):
/// a scenario section whose <c>kind:</c> picks one concrete options type, and that type's properties are
/// the section's other keys. The scenario loader, writer, schema and docs read the family through
/// <see cref="ComponentCatalog"/>, so adding a kind is one new options class, not edits in six places.
/// </summary>
[AttributeUsage(AttributeTargets.Class, Inherited = false)]
public sealed class ComponentFamilyAttribute(string name) : Attribute
{
    /// <summary>The family's name in messages ("aggregator").</summary>
    public string Name { get; } = name;
}

/// <summary>
/// Marks a concrete options type as the options of one kind in its family. The class itself is the kind's
/// descriptor: its properties (with [Description] and DataAnnotations ranges) are the options, and its
/// methods build the component and check what spans several sections (see <see cref="ComponentOptions"/>).
/// </summary>
[AttributeUsage(AttributeTargets.Class, Inherited = false)]
public sealed class ComponentKindAttribute(string kind) : Attribute
{
    /// <summary>The value of <c>kind:</c> in scenario files ("trimmed-mean").</summary>
    public string Kind { get; } = kind;

    /// <summary>Position in lists, docs and messages (the baseline first); ties sort by kind name.</summary>
    public int Order { get; init; } = 100;
}

/// <summary>A problem a component found with the scenario around it: the dotted key it is about and the message.</summary>
public readonly record struct ComponentFinding(string Path, string Message);

/// <summary>
/// Base of every component options type. <see cref="Kind"/> comes from the class's
/// <see cref="ComponentKindAttribute"/>, so an options object always knows which kind it configures.
/// </summary>
[GenerateSerializer]
public abstract class ComponentOptions
{
    /// <summary>The kind name this options type configures.</summary>
    public string Kind => ComponentCatalog.KindOf(GetType());
}

/// <summary>One family: its abstract options type and every kind found for it.</summary>
public sealed class ComponentFamily
{
    private readonly Dictionary<string, Type> _byKind;

    internal ComponentFamily(string name, Type baseType, IReadOnlyList<(string Kind, Type Type)> kinds)
    {
        Name = name;
        BaseType = baseType;
        Kinds = kinds.Select(k => k.Kind).ToArray();
        _byKind = kinds.ToDictionary(k => k.Kind, k => k.Type, StringComparer.Ordinal);
        Description = baseType.GetCustomAttribute<DescriptionAttribute>()?.Description;
    }

    public string Name { get; }
    public Type BaseType { get; }
    public string? Description { get; }

    /// <summary>Kind names in their declared order (<see cref="ComponentKindAttribute.Order"/>, then name).</summary>
    public IReadOnlyList<string> Kinds { get; }

    public Type? TypeOf(string kind) => _byKind.GetValueOrDefault(kind);

    /// <summary>A fresh options object of <paramref name="kind"/> with its defaults.</summary>
    public ComponentOptions Create(string kind)
        => (ComponentOptions)Activator.CreateInstance(TypeOf(kind) ?? throw new ArgumentException($"unknown {Name} kind '{kind}'; known: {string.Join(", ", Kinds)}"))!;

    /// <summary>The one-line summary of a kind (the options type's [Description]).</summary>
    public string? Summary(string kind) => TypeOf(kind)?.GetCustomAttribute<DescriptionAttribute>()?.Description;
}

/// <summary>
/// Finds component families and their kinds by reflection over the assemblies that declare them, once.
/// Kind names must be unique within a family; a duplicate is a programming error reported at first use.
/// </summary>
public static class ComponentCatalog
{
    private static readonly ConcurrentDictionary<Type, ComponentFamily?> Families = new();
    private static readonly ConcurrentDictionary<Type, string> Kinds = new();

    /// <summary>The family whose abstract options type is <paramref name="baseType"/>, or null when it is not a family.</summary>
    public static ComponentFamily? FamilyOf(Type baseType) => Families.GetOrAdd(baseType, Discover);

    /// <summary>The kind name of a concrete options type.</summary>
    public static string KindOf(Type optionsType) => Kinds.GetOrAdd(optionsType, t =>
        t.GetCustomAttribute<ComponentKindAttribute>()?.Kind
        ?? throw new InvalidOperationException($"{t.Name} has no [ComponentKind]; every concrete component options type names its kind"));

    private static ComponentFamily? Discover(Type baseType)
    {
        if (baseType.GetCustomAttribute<ComponentFamilyAttribute>() is not { } family) return null;
        var kinds = baseType.Assembly.GetTypes()
            .Where(t => !t.IsAbstract && baseType.IsAssignableFrom(t) && t.GetCustomAttribute<ComponentKindAttribute>() is not null)
            .Select(t => (Attribute: t.GetCustomAttribute<ComponentKindAttribute>()!, Type: t))
            .OrderBy(k => k.Attribute.Order).ThenBy(k => k.Attribute.Kind, StringComparer.Ordinal)
            .Select(k => (k.Attribute.Kind, k.Type))
            .ToList();
        var duplicate = kinds.GroupBy(k => k.Kind).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
            throw new InvalidOperationException($"{family.Name} kind '{duplicate.Key}' is declared by {string.Join(" and ", duplicate.Select(d => d.Type.Name))}");
        return new ComponentFamily(family.Name, baseType, kinds);
    }
}

/// <summary>
/// Finds a descriptor family (dataset kinds, membership attacks): one instance of every concrete subclass of the
/// family's base type in the base type's assembly, so a new member is one new file.
/// </summary>
public static class Descriptors
{
    /// <summary>
    /// One instance of each concrete <typeparamref name="T"/> (each has a parameterless constructor), in the order
    /// <paramref name="order"/> gives; two that share a <paramref name="key"/> are a programming error, reported with
    /// <paramref name="describe"/> naming the key.
    /// </summary>
    public static IReadOnlyList<T> Discover<T, TKey>(Func<IEnumerable<T>, IEnumerable<T>> order, Func<T, TKey> key, Func<TKey, string> describe)
        where T : class
    {
        var found = order(typeof(T).Assembly.GetTypes()
            .Where(t => !t.IsAbstract && typeof(T).IsAssignableFrom(t))
            .Select(t => (T)Activator.CreateInstance(t)!)).ToList();
        var duplicate = found.GroupBy(key).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
            throw new InvalidOperationException($"{describe(duplicate.Key)} is declared by {string.Join(" and ", duplicate.Select(d => d.GetType().Name))}");
        return found;
    }
}
