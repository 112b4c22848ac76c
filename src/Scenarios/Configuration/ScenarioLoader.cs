using System.Globalization;
using System.Numerics;
using FedSim.Components;
using FedSim.Scenario;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace FedSim.Scenarios.Configuration;

/// <summary>
/// Reads a scenario file into a <see cref="ScenarioSpec"/>, or into every problem it has, each located at
/// a line and column. The YAML representation model keeps a start mark on every node; the loader walks
/// those nodes against <see cref="ScenarioModel"/> (unknown keys, types, nulls), then applies the value
/// rules and cross-field rules of <see cref="ScenarioRules"/>.
/// </summary>
public static class ScenarioLoader
{
    /// <summary>Loads and validates a scenario file. Never throws for a bad or missing file: those are errors in the result.</summary>
    public static ScenarioLoadResult Load(string path)
    {
        string baseDirectory = ScenarioPaths.BaseDirectoryOf(path);
        var (text, problem) = GuardedYaml.ReadText(path, "scenario file");
        if (text is null) return Failed(path, baseDirectory, problem!);
        return Parse(text, path, baseDirectory);
    }

    /// <summary>Parses and validates scenario text; relative dataset paths are checked against <paramref name="baseDirectory"/>.</summary>
    public static ScenarioLoadResult Parse(string yamlText, string fileName, string baseDirectory)
    {
        var walker = new Walker(fileName);
        var spec = walker.Read(yamlText, baseDirectory);
        var errors = walker.Errors.OrderBy(e => e.Line).ThenBy(e => e.Column).ToList();
        return new ScenarioLoadResult(fileName, Path.GetFullPath(baseDirectory), spec, errors);
    }

    private static ScenarioLoadResult Failed(string file, string baseDirectory, string message) =>
        new(file, baseDirectory, null, [new ScenarioError(file, 1, 1, message)]);

    private sealed class Walker(string file)
    {
        public List<ScenarioError> Errors { get; } = [];
        // Per dotted path: where its value starts (scalars, lists) or where its key is (sections).
        private readonly Dictionary<string, Mark> _marks = new(StringComparer.Ordinal);
        private readonly HashSet<string> _invalid = new(StringComparer.Ordinal);
        private Mark _rootMark = new(0, 1, 1);

        public ScenarioSpec? Read(string text, string baseDirectory)
        {
            var (stream, problem) = GuardedYaml.Parse(text);
            if (stream is null)
            {
                Error(problem!.Value.At, problem.Value.Message);
                return null;
            }

            if (stream.Documents.Count == 0 || stream.Documents[0].RootNode is YamlScalarNode { Value: null or "" } and { Style: ScalarStyle.Plain })
            {
                Error(new Mark(0, 1, 1), "the scenario file is empty; write at least 'name: ...' (every other key has a default, see examples/quickstart.yaml)");
                return null;
            }
            if (stream.Documents.Count > 1)
                Error(stream.Documents[1].RootNode.Start, "a scenario file holds one scenario, but a second YAML document ('---') starts here; put it in its own file");

            var root = stream.Documents[0].RootNode;
            if (root is not YamlMappingNode mapping)
            {
                Error(root.Start, $"the top level must be a mapping of keys (name:, devices:, dataset:, training:, ...), got {Describe(root)}");
                return null;
            }

            _rootMark = root.Start;
            var spec = new ScenarioSpec();
            ReadObject(mapping, ScenarioModel.Root, spec);
            foreach (var finding in ScenarioRules.CrossField(spec, baseDirectory, IsValid, p => _marks.ContainsKey(p)))
                Error(Locate(finding.Path), finding.Message);
            return Errors.Count == 0 ? spec : null;
        }

        private void ReadObject(YamlMappingNode mapping, ScenarioObject model, object target)
        {
            foreach (var (keyNode, valueNode) in mapping.Children)
            {
                if (keyNode is not YamlScalarNode { Value: { } key })
                {
                    Error(keyNode.Start, $"keys must be plain names, got {Describe(keyNode)}");
                    continue;
                }
                if (model.ComponentKind is not null && key == "kind") continue; // read by ReadComponent
                var field = model.Find(key);
                if (field is null)
                {
                    Error(keyNode.Start, UnknownKeyMessage(key, model));
                    continue;
                }
                _marks[field.Path] = field.Kind == FieldKind.Object ? keyNode.Start : valueNode.Start;
                ReadField(field, valueNode, target);
            }
        }

        private void ReadField(ScenarioField field, YamlNode node, object target)
        {
            if (IsNull(node))
            {
                if (field.Nullable) field.Property.SetValue(target, null);
                else Invalid(field, node.Start,
                    $"{field.Path} has no value; expected {Expected(field)} (remove the key to use the default{DefaultHint(field)})");
                return;
            }

            switch (field.Kind)
            {
                case FieldKind.Object:
                    if (node is not YamlMappingNode child)
                    {
                        Invalid(field, node.Start, $"{field.Path}: expected a mapping of keys ({string.Join(", ", field.Object!.Fields.Select(f => f.Name + ":"))}), got {Describe(node)}");
                        return;
                    }
                    var section = field.Property.GetValue(target) ?? Activator.CreateInstance(field.ValueType)!;
                    field.Property.SetValue(target, section);
                    ReadObject(child, field.Object!, section);
                    return;

                case FieldKind.Component:
                    ReadComponent(field, node, target);
                    return;

                case FieldKind.ObjectList:
                    ReadObjectList(field, node, target);
                    return;

                case FieldKind.ComponentList:
                    ReadComponentList(field, node, target);
                    return;

                case FieldKind.List:
                    if (node is not YamlSequenceNode sequence)
                    {
                        Invalid(field, node.Start, $"{field.Path}: expected {Expected(field)}, got {Describe(node)}; write it as [a, b]");
                        return;
                    }
                    var items = new List<object>();
                    bool ok = true;
                    foreach (var itemNode in sequence.Children)
                    {
                        var item = ConvertScalar(field, itemNode, field.ItemKind!.Value, field.ItemType!, field.Path + " item");
                        if (item is null) { ok = false; continue; }
                        if (!CheckValue(field, itemNode, item, field.Path + " values")) ok = false;
                        items.Add(item);
                    }
                    if (!ok) { _invalid.Add(field.Path); return; }
                    if (!CheckCount(field, node, items.Count)) return;
                    field.Property.SetValue(target, ScenarioModel.ToArray(field, items));
                    return;

                default:
                    var value = ConvertScalar(field, node, field.Kind, field.ValueType, field.Path);
                    if (value is null) { _invalid.Add(field.Path); return; }
                    if (!CheckValue(field, node, value, field.Path)) return;
                    field.Property.SetValue(target, value);
                    return;
            }
        }

        /// <summary>
        /// A section whose <c>kind:</c> picks its options type. Without a kind key the section keeps the kind of
        /// its default; the other keys are read against the chosen kind's options, so an option of another kind
        /// is an unknown key with a pointer to the kinds that have it.
        /// </summary>
        private void ReadComponent(ScenarioField field, YamlNode node, object target)
        {
            if (node is not YamlMappingNode mapping)
            {
                Invalid(field, node.Start, $"{field.Path}: expected a mapping with 'kind:' ({string.Join(", ", field.Family!.Kinds)}) and its options, got {Describe(node)}");
                return;
            }
            if (ReadComponentOptions(field, mapping, field.Property.GetValue(target) as ComponentOptions) is { } options)
                field.Property.SetValue(target, options);
        }

        /// <summary>
        /// One component's mapping: its <c>kind:</c> (or the kind of <paramref name="current"/> when the mapping has
        /// none), then its other keys against that kind's options. Null (with the error recorded) when the kind is
        /// missing or unknown.
        /// </summary>
        private ComponentOptions? ReadComponentOptions(ScenarioField field, YamlMappingNode mapping, ComponentOptions? current)
        {
            var family = field.Family!;
            string? kind = current?.Kind;
            var kindEntry = mapping.Children.FirstOrDefault(c => c.Key is YamlScalarNode { Value: "kind" });
            if (kindEntry.Value is { } kindNode)
            {
                _marks[field.Path + ".kind"] = kindNode.Start;
                if (kindNode is not YamlScalarNode { Value: { Length: > 0 } written } || IsNull(kindNode))
                {
                    Invalid(field, kindNode.Start, $"{field.Path}.kind: expected one of: {string.Join(", ", family.Kinds)}, got {Describe(kindNode)}");
                    return null;
                }
                if (family.TypeOf(written) is null)
                {
                    string? close = Suggestions.Closest(written, family.Kinds);
                    string hint = close is not null ? $"did you mean '{close}'? " : "";
                    Invalid(field, kindNode.Start, $"{field.Path}.kind: unknown {family.Name} '{written}'; {hint}expected one of: {string.Join(", ", family.Kinds)}");
                    return null;
                }
                kind = written;
            }
            if (kind is null)
            {
                Invalid(field, mapping.Start, $"{field.Path} needs 'kind:', one of: {string.Join(", ", family.Kinds)}");
                return null;
            }
            var options = current is not null && current.Kind == kind ? current : family.Create(kind);
            ReadObject(mapping, field.ObjectFor(kind)!, options);
            return options;
        }

        /// <summary>A list of components: every item is a mapping that names its own <c>kind:</c>.</summary>
        private void ReadComponentList(ScenarioField field, YamlNode node, object target)
        {
            var family = field.Family!;
            if (node is not YamlSequenceNode sequence)
            {
                Invalid(field, node.Start, $"{field.Path}: expected a list of sections, each with 'kind:' ({string.Join(", ", family.Kinds)}), got {Describe(node)}; write each item as '- kind: ...'");
                return;
            }
            var items = new List<object>();
            foreach (var itemNode in sequence.Children)
            {
                if (itemNode is not YamlMappingNode itemMapping)
                {
                    Invalid(field, itemNode.Start, $"{field.Path}: every item must be a mapping with 'kind:' ({string.Join(", ", family.Kinds)}), got {Describe(itemNode)}");
                    continue;
                }
                if (ReadComponentOptions(field, itemMapping, current: null) is { } options) items.Add(options);
            }
            if (!CheckCount(field, node, items.Count)) return;
            field.Property.SetValue(target, ScenarioModel.ToArray(field, items));
        }

        /// <summary>A list of mappings, each read against the item type's fields.</summary>
        private void ReadObjectList(ScenarioField field, YamlNode node, object target)
        {
            if (node is not YamlSequenceNode sequence)
            {
                Invalid(field, node.Start, $"{field.Path}: expected a list of mappings ({string.Join(", ", field.Object!.Fields.Select(f => f.Name + ":"))}), got {Describe(node)}");
                return;
            }
            var items = new List<object>();
            foreach (var itemNode in sequence.Children)
            {
                if (itemNode is not YamlMappingNode itemMapping)
                {
                    Invalid(field, itemNode.Start, $"{field.Path}: every item must be a mapping ({string.Join(", ", field.Object!.Fields.Select(f => f.Name + ":"))}), got {Describe(itemNode)}");
                    continue;
                }
                var item = Activator.CreateInstance(field.ItemType!)!;
                ReadObject(itemMapping, field.Object!, item);
                items.Add(item);
            }
            if (!CheckCount(field, node, items.Count)) return;
            field.Property.SetValue(target, ScenarioModel.ToArray(field, items));
        }

        /// <summary>Converts a scalar node to the CLR type, or records a type error and returns null.</summary>
        private object? ConvertScalar(ScenarioField field, YamlNode node, FieldKind kind, Type type, string what)
        {
            string expected = ExpectedScalar(kind, type);
            if (node is not YamlScalarNode scalar)
            {
                Invalid(field, node.Start, $"{what}: expected {expected}, got {Describe(node)}");
                return null;
            }
            string text = scalar.Value ?? "";
            if (IsNull(scalar))
            {
                Invalid(field, node.Start, $"{what}: expected {expected}, got an empty value");
                return null;
            }
            if (kind == FieldKind.String) return text;

            // Numbers and booleans must be plain: a quoted "10" is a string in YAML and in the JSON schema.
            if (scalar.Style != ScalarStyle.Plain)
            {
                Invalid(field, node.Start, $"{what}: expected {expected}, got the quoted string '{text}'; remove the quotes");
                return null;
            }

            switch (kind)
            {
                case FieldKind.Boolean:
                    if (text is "true" or "True" or "TRUE") return true;
                    if (text is "false" or "False" or "FALSE") return false;
                    break;
                case FieldKind.Integer:
                    if (BigInteger.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var big))
                    {
                        var (min, max) = IntegerRange(type);
                        if (big >= min && big <= max) return Convert.ChangeType((decimal)big, type, CultureInfo.InvariantCulture);
                        string range = min.IsZero ? $"a non-negative integer up to {max}" : $"an integer between {min} and {max}";
                        Invalid(field, node.Start, $"{what}: expected {range}, got '{text}'");
                        return null;
                    }
                    break;
                case FieldKind.Number:
                    if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var d))
                    {
                        if (double.IsFinite(d)) return type == typeof(float) ? (object)(float)d : d;
                        Invalid(field, node.Start, $"{what}: expected a finite number, got '{text}'");
                        return null;
                    }
                    if (text is ".inf" or ".Inf" or ".INF" or "-.inf" or "+.inf" or ".nan" or ".NaN" or ".NAN")
                    {
                        Invalid(field, node.Start, $"{what}: expected a finite number, got '{text}'");
                        return null;
                    }
                    break;
            }
            Invalid(field, node.Start, $"{what}: expected {expected}, got '{text}'");
            return null;
        }

        /// <summary>Range, allowed-value and blank checks from the rule table; records an error and returns false on failure.</summary>
        private bool CheckValue(ScenarioField field, YamlNode node, object value, string what)
        {
            var rule = field.Rule;
            if (rule is null) return true;

            if (value is string s)
            {
                if (rule.NotBlank && string.IsNullOrWhiteSpace(s))
                {
                    Invalid(field, node.Start, field.Nullable
                        ? $"{what} is blank; give a value or remove the key"
                        : $"{what} must not be blank");
                    return false;
                }
                if (rule.AllowedValues is { } allowed && !allowed.Contains(s, StringComparer.Ordinal))
                {
                    string? close = Suggestions.Closest(s, allowed);
                    string hint = close is not null ? $"did you mean '{close}'? " : "";
                    Invalid(field, node.Start, $"{what}: unknown value '{s}'; {hint}expected one of: {string.Join(", ", allowed)}");
                    return false;
                }
                return true;
            }

            if (rule.HasBounds && value is IConvertible)
            {
                double number = Convert.ToDouble(value, CultureInfo.InvariantCulture);
                if (!rule.InBounds(number))
                {
                    Invalid(field, node.Start, $"{what} must be {rule.DescribeBounds()}, got {FieldRule.Format(number)}");
                    return false;
                }
            }
            return true;
        }

        private bool CheckCount(ScenarioField field, YamlNode node, int count)
        {
            var rule = field.Rule;
            if (rule is null) return true;
            string? problem = null;
            if (rule.MinItems is { } min && rule.MaxItems is { } max && min == max && count != min)
                problem = $"needs exactly {min} values";
            else if (rule.MinItems is { } lo && count < lo) problem = $"needs at least {lo} values";
            else if (rule.MaxItems is { } hi && count > hi) problem = $"takes at most {hi} values";
            if (problem is null) return true;
            Invalid(field, node.Start, $"{field.Path} {problem}, got {count}");
            return false;
        }

        private string UnknownKeyMessage(string key, ScenarioObject model)
        {
            string where = model.Path.Length == 0 ? "at the top level" : $"in {model.Path}";
            var names = model.Fields.Select(f => f.Name).ToList();
            if (Suggestions.Closest(key, names) is { } close)
                return $"unknown key '{key}' {where}; did you mean '{close}'?";

            // An option of another kind of the same component ("f" under aggregator kind median) names the kinds that take it.
            if (model.ComponentKind is not null && ScenarioModel.Find(model.Path) is { Family: not null } component)
            {
                var kinds = ScenarioModel.KindsHaving(component, model.Path + "." + key);
                if (kinds.Count > 0)
                    return $"unknown key '{key}' {where}: {component.Family!.Name} '{model.ComponentKind}' has no option '{key}' (it belongs to {string.Join(", ", kinds)}); valid keys are: kind, {string.Join(", ", names)}";
            }
            // A right key in the wrong section ("rounds" at the top level) deserves a pointer to its home.
            var homes = ScenarioModel.AllFields.Where(f => f.Name == key).Select(f => f.Path).ToList();
            if (homes.Count == 1)
                return $"unknown key '{key}' {where}; did you mean '{homes[0]}'? ('{key}' belongs under '{homes[0][..homes[0].LastIndexOf('.')]}')";
            if (homes.Count > 1)
                return $"unknown key '{key}' {where}; '{key}' belongs in a section: {string.Join(", ", homes)}";
            return $"unknown key '{key}' {where}; valid keys are: {string.Join(", ", names)}";
        }

        private bool IsValid(string path) => !_invalid.Any(p => path == p || path.StartsWith(p + ".", StringComparison.Ordinal));

        /// <summary>The mark of a path, or of its nearest written ancestor, or of the top level.</summary>
        private Mark Locate(string path)
        {
            for (string? p = path; !string.IsNullOrEmpty(p); p = p.Contains('.') ? p[..p.LastIndexOf('.')] : null)
                if (_marks.TryGetValue(p, out var mark)) return mark;
            return _rootMark;
        }

        private void Invalid(ScenarioField field, Mark at, string message)
        {
            _invalid.Add(field.Path);
            Error(at, message);
        }

        private void Error(Mark at, string message) =>
            Errors.Add(new ScenarioError(file, (int)Math.Max(1, at.Line), (int)Math.Max(1, at.Column), message));

        private static bool IsNull(YamlNode node) =>
            node is YamlScalarNode { Style: ScalarStyle.Plain, Value: null or "" or "~" or "null" or "Null" or "NULL" };

        private static string Expected(ScenarioField field) => field.Kind switch
        {
            FieldKind.Object => "a mapping of keys",
            FieldKind.List => $"a list of {Plural(field.ItemKind!.Value)}",
            FieldKind.ObjectList => "a list of mappings",
            FieldKind.ComponentList => $"a list of sections with 'kind:' ({string.Join(", ", field.Family!.Kinds)})",
            _ => ExpectedScalar(field.Kind, field.ValueType),
        };

        private static string ExpectedScalar(FieldKind kind, Type type) => kind switch
        {
            FieldKind.String => "a string",
            FieldKind.Integer => type == typeof(ulong) || type == typeof(uint) ? "a non-negative integer" : "an integer",
            FieldKind.Number => "a number",
            FieldKind.Boolean => "true or false",
            _ => kind.ToString().ToLowerInvariant(),
        };

        private static string Plural(FieldKind kind) => kind switch
        {
            FieldKind.Integer => "integers",
            FieldKind.Number => "numbers",
            FieldKind.Boolean => "booleans",
            _ => "strings",
        };

        private static string DefaultHint(ScenarioField field)
        {
            if (field.Kind == FieldKind.Object) return "s";
            var owner = field.Property.DeclaringType is { } t ? Activator.CreateInstance(t) : null;
            object? value = owner is null ? null : field.Property.GetValue(owner);
            return value switch
            {
                null => "",
                Array a => $", [{string.Join(", ", a.Cast<object>().Select(Invariant))}]",
                _ => $", {Invariant(value)}",
            };
        }

        private static string Invariant(object v) => Convert.ToString(v, CultureInfo.InvariantCulture) ?? "";

        private static string Describe(YamlNode node) => node switch
        {
            YamlMappingNode => "a mapping",
            YamlSequenceNode => "a list",
            YamlScalarNode { Style: ScalarStyle.SingleQuoted or ScalarStyle.DoubleQuoted } s => $"the string '{s.Value}'",
            YamlScalarNode s => $"'{s.Value}'",
            _ => "an unsupported node",
        };

        private static (BigInteger Min, BigInteger Max) IntegerRange(Type type) => type switch
        {
            _ when type == typeof(int) => (int.MinValue, int.MaxValue),
            _ when type == typeof(long) => (long.MinValue, long.MaxValue),
            _ when type == typeof(uint) => (0, uint.MaxValue),
            _ when type == typeof(ulong) => (0, ulong.MaxValue),
            _ when type == typeof(short) => (short.MinValue, short.MaxValue),
            _ when type == typeof(byte) => (0, byte.MaxValue),
            _ => throw new NotSupportedException(type.Name),
        };
    }
}
