using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using FedSim.Scenario;

namespace FedSim.Scenarios.Configuration;

/// <summary>
/// JSON Schema (draft 2020-12) for scenario files, for editors (e.g. the YAML language server's
/// <c># yaml-language-server: $schema=...</c>).
/// </summary>
/// <remarks>
/// Built by hand with System.Text.Json.Nodes from <see cref="ScenarioModel"/> and <see cref="ScenarioRules"/>
/// rather than with NJsonSchema's generator: the generator would re-derive the format from the CLR types
/// with its own naming, nullability and enum conventions, which we would then have to bend to snake_case,
/// the <c>*Kinds.All</c> string sets and the range table — a second model that can drift from the loader.
/// Walking the same model keeps one.
/// </remarks>
public static class ScenarioSchema
{
    public const string Draft = "https://json-schema.org/draft/2020-12/schema";

    public static JsonObject Build()
    {
        var schema = new JsonObject
        {
            ["$schema"] = Draft,
            ["title"] = "FedSim scenario",
        };
        foreach (var (key, value) in ObjectSchema(ScenarioModel.Root, new ScenarioSpec()))
            schema[key] = value?.DeepClone();
        return schema;
    }

    public static string ToJson() =>
        Build().ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n";

    private static JsonObject ObjectSchema(ScenarioObject model, object defaults)
    {
        var properties = new JsonObject();
        foreach (var field in model.Fields)
            properties[field.Name] = FieldSchema(field, field.Property.GetValue(defaults));
        var schema = new JsonObject { ["type"] = "object" };
        if (model.Description is { } d) schema["description"] = d;
        schema["properties"] = properties;
        schema["additionalProperties"] = false;
        return schema;
    }

    private static JsonObject FieldSchema(ScenarioField field, object? defaultValue)
    {
        if (field.Kind == FieldKind.Component) return ComponentSchema(field, defaultValue as Components.ComponentOptions);
        if (field.Kind == FieldKind.ComponentList)
        {
            // Items have no default kind: each names its own.
            var items = new JsonObject { ["type"] = "object", ["oneOf"] = KindAlternatives(field, defaultKind: null) };
            var list = new JsonObject { ["type"] = "array" };
            if (field.Description is { } ld) list["description"] = ld;
            list["items"] = items;
            return list;
        }
        if (field.Kind == FieldKind.ObjectList)
        {
            var list = new JsonObject
            {
                ["type"] = "array",
                ["items"] = ObjectSchema(field.Object!, Activator.CreateInstance(field.ItemType!)!),
            };
            if (field.Description is { } ld) list["description"] = ld;
            return list;
        }
        if (field.Kind == FieldKind.Object)
        {
            var nested = ObjectSchema(field.Object!, defaultValue ?? Activator.CreateInstance(field.ValueType)!);
            if (field.Description is { } d) nested["description"] = d; // the property's text says more than the type's
            return nested;
        }

        var rule = field.Rule;
        var schema = new JsonObject();
        string type = TypeName(field.Kind);
        schema["type"] = field.Nullable ? new JsonArray(type, "null") : type;
        if (field.Description is { } description) schema["description"] = description;
        if (defaultValue is not null) schema["default"] = JsonSerializer.SerializeToNode(defaultValue, defaultValue.GetType());

        if (field.Kind == FieldKind.List)
        {
            var items = new JsonObject { ["type"] = TypeName(field.ItemKind!.Value) };
            if (rule is not null) AddBounds(items, rule);
            schema["items"] = items;
            if (rule?.MinItems is { } min) schema["minItems"] = min;
            if (rule?.MaxItems is { } max) schema["maxItems"] = max;
        }
        else if (rule is not null)
        {
            AddBounds(schema, rule);
            if (rule.AllowedValues is { } allowed)
            {
                var values = new JsonArray();
                foreach (var v in allowed) values.Add(v);
                if (field.Nullable) values.Add(null);
                schema["enum"] = values;
            }
            if (rule.NotBlank) schema["minLength"] = 1;
        }
        if (field.Kind == FieldKind.Integer && (field.ValueType == typeof(ulong) || field.ValueType == typeof(uint)) && rule?.Minimum is null)
            schema["minimum"] = 0;
        return schema;
    }

    /// <summary>
    /// One alternative per kind: <c>kind</c> fixed to that kind and the kind's own options. The default kind's
    /// alternative does not require <c>kind</c> (a section without it keeps the default), the others do, so
    /// exactly one alternative matches any valid section.
    /// </summary>
    private static JsonObject ComponentSchema(ScenarioField field, Components.ComponentOptions? defaultValue)
    {
        var schema = new JsonObject { ["type"] = field.Nullable ? new JsonArray("object", "null") : "object" };
        if (field.Description is { } d) schema["description"] = d;
        schema["oneOf"] = KindAlternatives(field, defaultValue?.Kind);
        return schema;
    }

    /// <summary>One schema per kind of the field's family; only <paramref name="defaultKind"/>'s may omit <c>kind</c>.</summary>
    private static JsonArray KindAlternatives(ScenarioField field, string? defaultKind)
    {
        var family = field.Family!;
        var alternatives = new JsonArray();
        foreach (var kind in family.Kinds)
        {
            var options = family.Create(kind);
            var alternative = ObjectSchema(field.ObjectFor(kind)!, options);
            var properties = new JsonObject { ["kind"] = new JsonObject { ["const"] = kind } };
            foreach (var (key, value) in (JsonObject)alternative["properties"]!) properties[key] = value?.DeepClone();
            alternative["properties"] = properties;
            if (family.Summary(kind) is { } summary) alternative["description"] = summary;
            if (defaultKind != kind) alternative["required"] = new JsonArray("kind");
            alternatives.Add(alternative);
        }
        return alternatives;
    }

    private static void AddBounds(JsonObject schema, FieldRule rule)
    {
        if (rule.Minimum is { } min) schema["minimum"] = Number(min);
        if (rule.ExclusiveMinimum is { } emin) schema["exclusiveMinimum"] = Number(emin);
        if (rule.Maximum is { } max) schema["maximum"] = Number(max);
        if (rule.ExclusiveMaximum is { } emax) schema["exclusiveMaximum"] = Number(emax);
    }

    // Whole bounds print as integers ("minimum": 1, not 1.0) so integer fields read naturally.
    private static JsonNode Number(double v) => v == Math.Floor(v) && Math.Abs(v) < 1e15 ? JsonValue.Create((long)v) : JsonValue.Create(v);

    private static string TypeName(FieldKind kind) => kind switch
    {
        FieldKind.String => "string",
        FieldKind.Integer => "integer",
        FieldKind.Number => "number",
        FieldKind.Boolean => "boolean",
        FieldKind.List => "array",
        _ => "object",
    };

    /// <summary>
    /// A Markdown table of every field (key, type, default, allowed values or range, description),
    /// generated from the same model; examples/README.md embeds it.
    /// </summary>
    public static string MarkdownFieldTable()
    {
        var sb = new StringBuilder();
        sb.Append("| key | type | default | allowed | description |\n");
        sb.Append("|---|---|---|---|---|\n");
        var defaults = new ScenarioSpec();
        foreach (var field in ScenarioModel.AllFields)
        {
            var componentKinds = ComponentKindsOf(field);
            object? owner = componentKinds is not null ? ComponentDefaults(field, componentKinds[0]) : OwnerOf(field.Path, defaults);
            object? value = owner is null ? null : field.Property.GetValue(owner);
            var rule = field.Rule;
            string type = field.Kind switch
            {
                FieldKind.List => $"list of {TypeName(field.ItemKind!.Value)}s",
                FieldKind.Object or FieldKind.Component => "section",
                FieldKind.ObjectList => "list of sections",
                FieldKind.ComponentList => "list of sections",
                _ => TypeName(field.Kind),
            };
            if (field.Family is { } family)
            {
                // The section row, then its kind row: the kinds with their one-line summaries.
                string kinds = string.Join(", ", family.Kinds.Select(k => $"`{k}`"));
                string summaries = string.Join("; ", family.Kinds.Select(k => $"`{k}`: {family.Summary(k)?.TrimEnd('.')}")).Replace("|", "\\|").Replace("<", "&lt;").Replace(">", "&gt;");
                sb.Append($"| `{field.Path}` | {type} | | | {Escape(field.Description)} |\n");
                string defaultKind = value is Components.ComponentOptions o ? $"`{o.Kind}`" : "(none)";
                sb.Append($"| `{field.Path}.kind` | string | {defaultKind} | {kinds} | {summaries} |\n");
                continue;
            }
            string shownDefault = field.Kind is FieldKind.Object or FieldKind.ObjectList ? "" : ShowDefault(value);
            if (componentKinds is { Count: > 1 })
            {
                // Kinds may default an option differently (server_learning_rate: 1 for fedavg, 0.01 for fedadam).
                var perKind = componentKinds.Select(k => (Components.ComponentOptions)ComponentDefaults(field, k)!)
                    .Select(o => (o.Kind, Shown: ShowDefault(o.GetType().GetProperty(field.Property.Name)!.GetValue(o))))
                    .GroupBy(p => p.Shown).ToList();
                if (perKind.Count > 1)
                    shownDefault = string.Join("; ", perKind.Select(g => $"{g.Key} ({string.Join(", ", g.Select(p => p.Kind))})"));
            }
            var allowed = new List<string>();
            if (rule?.AllowedValues is { } values) allowed.Add(string.Join(", ", values.Select(v => $"`{v}`")));
            if (rule is not null && rule.HasBounds) allowed.Add((field.Kind == FieldKind.List ? "each " : "") + rule.DescribeBounds());
            if (rule?.MinItems is { } mi && rule.MaxItems == mi) allowed.Add($"exactly {mi} values");
            if (rule is { NotBlank: true }) allowed.Add("not blank");
            // Escaped so Markdown renders "results/<name>" instead of swallowing "<name>" as an HTML tag.
            string description = Escape(field.Description);
            if (componentKinds is not null) description = $"({string.Join(", ", componentKinds)}) {description}";
            sb.Append($"| `{field.Path}` | {type} | {shownDefault} | {string.Join("; ", allowed)} | {description} |\n");
        }
        return sb.ToString();
    }

    private static string ShowDefault(object? value) => value switch
    {
        null => "(none)",
        Array a => $"`[{string.Join(", ", a.Cast<object>())}]`",
        string s => $"`{s}`",
        double dbl => $"`{FieldRule.Format(dbl)}`",
        _ => $"`{value}`",
    };

    private static string Escape(string? text) => (text ?? "").Replace("|", "\\|").Replace("<", "&lt;").Replace(">", "&gt;");

    /// <summary>For an option of a component kind: the component's kinds that have it; null for fixed fields.</summary>
    private static IReadOnlyList<string>? ComponentKindsOf(ScenarioField field)
    {
        var parts = field.Path.Split('.');
        for (int i = parts.Length - 1; i >= 1; i--)
            if (ScenarioModel.Find(string.Join('.', parts[..i])) is { Family: not null } component)
            {
                var kinds = ScenarioModel.KindsHaving(component, field.Path);
                return kinds.Count > 0 ? kinds : null;
            }
        return null;
    }

    /// <summary>A default options object of <paramref name="kind"/> that owns <paramref name="field"/> (or its section).</summary>
    private static object? ComponentDefaults(ScenarioField field, string kind)
    {
        var parts = field.Path.Split('.');
        for (int i = parts.Length - 1; i >= 1; i--)
            if (ScenarioModel.Find(string.Join('.', parts[..i])) is { Family: { } family })
            {
                // Options sit directly in their component's mapping (no nested plain sections inside components).
                return i == parts.Length - 1 ? family.Create(kind) : null;
            }
        return null;
    }

    private static object? OwnerOf(string path, ScenarioSpec defaults)
    {
        object? owner = defaults;
        var parts = path.Split('.');
        var model = ScenarioModel.Root;
        for (int i = 0; i < parts.Length - 1 && owner is not null; i++)
        {
            var f = model.Find(parts[i]);
            if (f?.Object is null) return null;
            // Under a list of sections the defaults shown are those of a fresh item.
            // Under a section that is off by default (privacy.central) the defaults shown are those it gets when given.
            owner = f.Kind == FieldKind.ObjectList ? Activator.CreateInstance(f.ItemType!)
                : f.Property.GetValue(owner) ?? Activator.CreateInstance(f.ValueType);
            model = f.Object;
        }
        return owner;
    }
}
