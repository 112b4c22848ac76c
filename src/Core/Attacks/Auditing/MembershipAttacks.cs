using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using FedSim.Components;

namespace FedSim.Attacks.Auditing;

/// <summary>The membership-inference attacks: every <see cref="MembershipAttack"/> subclass in this assembly, by threat model then order.</summary>
public static class MembershipAttacks
{
    /// <summary>Every attack, by threat model, then report order.</summary>
    public static IReadOnlyList<MembershipAttack> All { get; } = Discover();

    /// <summary>The attacks of <paramref name="threatModel"/>, in report order.</summary>
    public static IReadOnlyList<MembershipAttack> For(string threatModel) => All.Where(a => a.ThreatModel == threatModel).ToArray();

    /// <summary>The attack <paramref name="name"/> of <paramref name="threatModel"/>, or null.</summary>
    public static MembershipAttack? Find(string threatModel, string name) => All.FirstOrDefault(a => a.ThreatModel == threatModel && a.Name == name);

    /// <summary>The names of <paramref name="threatModel"/>'s attacks, in report order.</summary>
    public static string[] NamesFor(string threatModel) => For(threatModel).Select(a => a.Name).ToArray();

    private static IReadOnlyList<MembershipAttack> Discover()
    {
        var attacks = Descriptors.Discover<MembershipAttack, (string ThreatModel, string Name)>(
            found => found.OrderBy(a => a.ThreatModel, StringComparer.Ordinal).ThenBy(a => a.Order).ThenBy(a => a.Name, StringComparer.Ordinal),
            a => (a.ThreatModel, a.Name), key => $"{key.ThreatModel} attack '{key.Name}'");
        var greedy = attacks.FirstOrDefault(a => (a.Needs & ~a.Granted) != 0);
        if (greedy is not null)
            throw new InvalidOperationException($"{greedy.GetType().Name} needs {greedy.Needs & ~greedy.Granted}, which the {greedy.ThreatModel} threat model does not grant");
        return attacks;
    }
}

/// <summary>The allowed values of an attacker's <c>attacks</c> list: its threat model's attacks in the registry.</summary>
[AttributeUsage(AttributeTargets.Property)]
public sealed class MembershipAttackNamesAttribute(string threatModel)
    : AllowedValuesAttribute(MembershipAttacks.NamesFor(threatModel).Cast<object?>().ToArray());

/// <summary>The description of an attacker's <c>attacks</c> list (schema, docs), written from the attacks found.</summary>
[AttributeUsage(AttributeTargets.Property)]
public sealed class MembershipAttacksDescriptionAttribute(string threatModel) : DescriptionAttribute
{
    public override string Description
    {
        get
        {
            var attacks = MembershipAttacks.For(threatModel);
            var optIn = attacks.Where(a => !a.RunsByDefault).Select(a => a.Name).ToArray();
            string empty = optIn.Length == 0 ? "all" : $"all but {string.Join(", ", optIn)}";
            return $"Attacks to run (empty: {empty}): " + string.Join("; ", attacks.Select(a => $"{a.Name}: {a.Summary}")) + ".";
        }
    }
}
