using System.Text.Json;
using System.Text.Json.Nodes;
using FedSim.Scenario;
using FedSim.Scenarios.Cli;
using FedSim.Scenarios.Configuration;
using FedSim.Data;

namespace FedSim.Tests.Scenarios;

public sealed class ScenarioSchemaTests
{
    private static JsonObject Schema() => JsonNode.Parse(ScenarioSchema.ToJson())!.AsObject();

    /// <summary>The schema of a dotted path, looking inside component alternatives (oneOf) and list items.</summary>
    private static JsonObject? PropertyAt(JsonObject schema, string path)
    {
        IEnumerable<JsonObject> current = [schema];
        foreach (var part in path.Split('.'))
        {
            var next = current.SelectMany(Shapes).Select(o => o["properties"]?[part]).OfType<JsonObject>().ToList();
            if (next.Count == 0) return null;
            current = next;
        }
        return current.First();
    }

    private static IEnumerable<JsonObject> Shapes(JsonObject node)
    {
        yield return node;
        // A list of components nests both: items whose alternatives are the kinds.
        if (node["items"] is JsonObject items)
            foreach (var shape in Shapes(items)) yield return shape;
        if (node["oneOf"] is JsonArray alternatives)
            foreach (var alternative in alternatives.OfType<JsonObject>()) yield return alternative;
    }

    [Fact]
    public void Schema_is_valid_json_for_draft_2020_12()
    {
        // Execute
        var schema = Schema();

        // Assert
        Assert.Equal("https://json-schema.org/draft/2020-12/schema", (string?)schema["$schema"]);
        Assert.Equal("object", (string?)schema["type"]);
    }

    [Fact]
    public void Schema_lists_every_property_of_the_model()
    {
        // Prepare
        var schema = Schema();

        // Execute
        var missing = ScenarioModel.AllFields.Where(f => PropertyAt(schema, f.Path) is null).Select(f => f.Path).ToList();

        // Assert
        Assert.Empty(missing);
        Assert.NotNull(PropertyAt(schema, "training.devices_per_round"));
        Assert.NotNull(PropertyAt(schema, "dataset.partition.shards_per_device"));
    }

    [Fact]
    public void Every_object_in_the_schema_forbids_additional_properties()
    {
        // Prepare
        var objects = new List<JsonObject>();
        void Collect(JsonObject node)
        {
            if (node["properties"] is JsonObject props)
            {
                objects.Add(node);
                foreach (var (_, child) in props) Collect(child!.AsObject());
            }
            if (node["items"] is JsonObject items) Collect(items);
            if (node["oneOf"] is JsonArray alternatives)
                foreach (var alternative in alternatives.OfType<JsonObject>()) Collect(alternative);
        }

        // Execute
        Collect(Schema());

        // Assert: the top level, every fixed section, every list item and every kind of every component.
        int components = ScenarioModel.AllFields.Where(f => f.Family is not null).Sum(f => f.Family!.Kinds.Count);
        Assert.True(objects.Count >= 1 + ScenarioModel.AllFields.Count(f => f.Kind is FieldKind.Object or FieldKind.ObjectList) + components);
        Assert.All(objects, o => Assert.False((bool)o["additionalProperties"]!));
    }

    [Fact]
    public void Schema_carries_types_defaults_descriptions_enums_and_ranges_from_the_model()
    {
        // Prepare
        var schema = Schema();

        // Execute
        var rounds = PropertyAt(schema, "training.rounds")!;
        var lr = PropertyAt(schema, "training.learning_rate")!;
        var kind = PropertyAt(schema, "dataset.kind")!;
        var hidden = PropertyAt(schema, "model.hidden")!;
        var channels = PropertyAt(schema, "model.channels")!;
        var output = PropertyAt(schema, "output")!;

        // Assert
        Assert.Equal("integer", (string?)rounds["type"]);
        Assert.Equal(new TrainingSpec().Rounds, (int)rounds["default"]!);
        Assert.Equal(1, (int)rounds["minimum"]!);
        Assert.Equal("Number of federated rounds.", (string?)rounds["description"]);
        Assert.Equal("number", (string?)lr["type"]);
        Assert.Equal(0, (int)lr["exclusiveMinimum"]!);
        Assert.Equal(DatasetKinds.All, kind["enum"]!.AsArray().Select(v => (string)v!));
        Assert.Equal("array", (string?)hidden["type"]);
        Assert.Equal(1, (int)hidden["items"]!["minimum"]!);
        Assert.Equal(2, (int)channels["minItems"]!);
        Assert.Equal(2, (int)channels["maxItems"]!);
        Assert.Equal(["string", "null"], output["type"]!.AsArray().Select(v => (string)v!));
    }

    [Fact]
    public async Task Schema_command_writes_the_same_schema_to_stdout_or_a_file()
    {
        // Prepare
        var stdout = new StringWriter();
        string file = Path.Combine(Path.GetTempPath(), $"fedsim-schema-{Guid.NewGuid():N}.json");

        // Execute
        int toStdout = await FedSimCli.RunAsync(["schema"], stdout, new StringWriter());
        int toFile = await FedSimCli.RunAsync(["schema", "--output", file], new StringWriter(), new StringWriter());

        // Assert
        Assert.Equal(0, toStdout);
        Assert.Equal(0, toFile);
        using (JsonDocument.Parse(stdout.ToString())) { }
        Assert.Equal(ScenarioSchema.ToJson(), stdout.ToString());
        Assert.Equal(ScenarioSchema.ToJson(), File.ReadAllText(file));
        File.Delete(file);
    }
}
