using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using FedSim.Contracts;

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
        if (field.Kind == FieldKind.Object)
        {
            var nested = ObjectSchema(field.Object!, defaultValue ?? Activator.CreateInstance(field.ValueType)!);
            if (field.Description is { } d) nested["description"] = d; // the property's text says more than the type's
            return nested;
        }

        var rule = ScenarioRules.For(field.Path);
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
            object? owner = OwnerOf(field.Path, defaults);
            object? value = owner is null ? null : field.Property.GetValue(owner);
            var rule = ScenarioRules.For(field.Path);
            string type = field.Kind switch
            {
                FieldKind.List => $"list of {TypeName(field.ItemKind!.Value)}s",
                FieldKind.Object => "section",
                _ => TypeName(field.Kind),
            };
            string shownDefault = field.Kind == FieldKind.Object ? "" : value switch
            {
                null => "(none)",
                Array a => $"`[{string.Join(", ", a.Cast<object>())}]`",
                string s => $"`{s}`",
                double dbl => $"`{FieldRule.Format(dbl)}`",
                _ => $"`{value}`",
            };
            var allowed = new List<string>();
            if (rule?.AllowedValues is { } values) allowed.Add(string.Join(", ", values.Select(v => $"`{v}`")));
            if (rule is not null && rule.HasBounds) allowed.Add((field.Kind == FieldKind.List ? "each " : "") + rule.DescribeBounds());
            if (rule?.MinItems is { } mi && rule.MaxItems == mi) allowed.Add($"exactly {mi} values");
            if (rule is { NotBlank: true }) allowed.Add("not blank");
            // Escaped so Markdown renders "results/<name>" instead of swallowing "<name>" as an HTML tag.
            string description = (field.Description ?? "").Replace("|", "\\|").Replace("<", "&lt;").Replace(">", "&gt;");
            sb.Append($"| `{field.Path}` | {type} | {shownDefault} | {string.Join("; ", allowed)} | {description} |\n");
        }
        return sb.ToString();
    }

    private static object? OwnerOf(string path, ScenarioSpec defaults)
    {
        object? owner = defaults;
        var parts = path.Split('.');
        var model = ScenarioModel.Root;
        for (int i = 0; i < parts.Length - 1 && owner is not null; i++)
        {
            var f = model.Find(parts[i])!;
            owner = f.Property.GetValue(owner);
            model = f.Object!;
        }
        return owner;
    }
}
