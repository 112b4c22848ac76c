using System.Globalization;
using System.Text.RegularExpressions;
using FedSim.Components;
using FedSim.Scenario;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;

namespace FedSim.Scenarios.Configuration;

/// <summary>
/// Writes a <see cref="ScenarioSpec"/> back to scenario YAML (every field, in model order), e.g. the
/// "scenario as run" saved next to results, with CLI overrides applied. <see cref="ScenarioLoader"/>
/// reads the output back to an equal spec.
/// </summary>
public static partial class ScenarioWriter
{
    /// <summary>The scenario as YAML text. With <paramref name="withDescriptions"/>, each key is preceded by its documentation as a comment.</summary>
    public static string ToYaml(ScenarioSpec spec, bool withDescriptions = false, string? header = null)
    {
        var text = new StringWriter(CultureInfo.InvariantCulture) { NewLine = "\n" };
        var emitter = new Emitter(text);
        emitter.Emit(new StreamStart());
        emitter.Emit(new DocumentStart());
        if (header is not null)
            foreach (var line in header.Split('\n')) emitter.Emit(new Comment(line.TrimEnd('\r'), false));
        WriteObject(emitter, ScenarioModel.Root, spec, withDescriptions);
        emitter.Emit(new DocumentEnd(isImplicit: true));
        emitter.Emit(new StreamEnd());
        return text.ToString();
    }

    /// <summary>Writes the scenario to a file (creating its folder), with descriptions as comments.</summary>
    public static void Save(ScenarioSpec spec, string path, string? header = null)
    {
        if (Path.GetDirectoryName(Path.GetFullPath(path)) is { } folder) Directory.CreateDirectory(folder);
        File.WriteAllText(path, ToYaml(spec, withDescriptions: true, header));
    }

    private static void WriteObject(IEmitter emitter, ScenarioObject model, object value, bool withDescriptions)
    {
        emitter.Emit(new MappingStart(AnchorName.Empty, TagName.Empty, true, MappingStyle.Block));
        if (model.ComponentKind is { } kind)
        {
            // A component's kind comes first: it decides which of the keys below are valid.
            if (withDescriptions && value.GetType().GetCustomAttributes(typeof(System.ComponentModel.DescriptionAttribute), false)
                    .FirstOrDefault() is System.ComponentModel.DescriptionAttribute summary)
                emitter.Emit(new Comment(summary.Description, false));
            emitter.Emit(Plain("kind"));
            emitter.Emit(StringScalar(kind));
        }
        foreach (var field in model.Fields)
        {
            var fieldValue = field.Property.GetValue(value);
            if (fieldValue is null) continue; // null means "default behaviour"; omitting the key says the same
            if (value is IKindDependentSection section && !section.Applies(field.Name)) continue; // not read by this kind
            if (withDescriptions && field.Description is { } description)
                emitter.Emit(new Comment(description, false));
            emitter.Emit(Plain(field.Name));
            switch (field.Kind)
            {
                case FieldKind.Object:
                    WriteObject(emitter, field.Object!, fieldValue, withDescriptions);
                    break;
                case FieldKind.Component:
                    WriteObject(emitter, ScenarioModel.ComponentObject(fieldValue.GetType(), field.Path), fieldValue, withDescriptions);
                    break;
                case FieldKind.ObjectList:
                    emitter.Emit(new SequenceStart(AnchorName.Empty, TagName.Empty, true, SequenceStyle.Block));
                    foreach (var item in ScenarioModel.Items(fieldValue))
                        if (item is not null) WriteObject(emitter, field.Object!, item, withDescriptions: false);
                    emitter.Emit(new SequenceEnd());
                    break;
                case FieldKind.ComponentList:
                    emitter.Emit(new SequenceStart(AnchorName.Empty, TagName.Empty, true, SequenceStyle.Block));
                    foreach (var item in ScenarioModel.Items(fieldValue))
                        if (item is not null) WriteObject(emitter, ScenarioModel.ComponentObject(item.GetType(), field.Path), item, withDescriptions: false);
                    emitter.Emit(new SequenceEnd());
                    break;
                case FieldKind.List:
                    emitter.Emit(new SequenceStart(AnchorName.Empty, TagName.Empty, true, SequenceStyle.Flow));
                    foreach (var item in ScenarioModel.Items(fieldValue))
                        if (item is not null) emitter.Emit(ScalarFor(field.ItemKind!.Value, item));
                    emitter.Emit(new SequenceEnd());
                    break;
                default:
                    emitter.Emit(ScalarFor(field.Kind, fieldValue));
                    break;
            }
        }
        emitter.Emit(new MappingEnd());
    }

    private static Scalar ScalarFor(FieldKind kind, object value) => kind switch
    {
        FieldKind.String => StringScalar((string)value),
        FieldKind.Boolean => Plain((bool)value ? "true" : "false"),
        // "R" round-trips doubles exactly; the loader parses the same invariant form.
        FieldKind.Number => Plain(Convert.ToDouble(value, CultureInfo.InvariantCulture).ToString("R", CultureInfo.InvariantCulture)),
        _ => Plain(Convert.ToString(value, CultureInfo.InvariantCulture)!),
    };

    private static Scalar Plain(string text) => new(AnchorName.Empty, TagName.Empty, text, ScalarStyle.Plain, true, false);

    // Strings that YAML would read as null, a boolean or a number are quoted so they stay strings;
    // the emitter itself falls back to quoting for anything else that cannot be plain (": ", "#", ...).
    private static Scalar StringScalar(string text) =>
        new(AnchorName.Empty, TagName.Empty, text, LooksTyped(text) ? ScalarStyle.DoubleQuoted : ScalarStyle.Any, true, true);

    private static bool LooksTyped(string text) => text.Length == 0 || TypedScalar().IsMatch(text);

    [GeneratedRegex(@"^(~|null|Null|NULL|true|True|TRUE|false|False|FALSE|yes|Yes|YES|no|No|NO|on|On|ON|off|Off|OFF|[-+]?(\.[0-9]+|[0-9][0-9_]*(\.[0-9]*)?)([eE][-+]?[0-9]+)?|[-+]?\.(inf|Inf|INF)|\.(nan|NaN|NAN)|0x[0-9a-fA-F]+|0o[0-7]+)$")]
    private static partial Regex TypedScalar();
}
