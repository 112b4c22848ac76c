using System.Text.Json.Nodes;
using FedSim.Attacks.Auditing;
using FedSim.Scenario;
using FedSim.Scenarios.Configuration;

namespace FedSim.Tests.Scenarios;

/// <summary>
/// Lists of components (<c>attacks:</c>): every item names its own kind and takes that kind's options; the loader,
/// writer, schema, docs and clone treat them through the same model as single components.
/// </summary>
public sealed class ComponentListTests(ScenarioTestFiles files) : IClassFixture<ScenarioTestFiles>
{
    private ScenarioLoadResult Parse(string yaml) => ScenarioLoader.Parse(yaml, "list.yaml", files.Directory);

    [Fact]
    public void A_list_of_components_loads_each_item_as_its_own_kind_in_file_order()
    {
        // Prepare
        const string yaml = """
            name: audited
            attacks:
              - kind: server
                max_devices: 3
              - kind: outsider
                attacks: [loss, lira-online]
                reference_models: 16
              - kind: server
            """;

        // Execute
        var result = Parse(yaml);

        // Assert
        Assert.True(result.Succeeded, string.Join("\n", result.Errors));
        var attacks = result.Spec!.Attacks;
        Assert.Equal(3, attacks.Length);
        Assert.Equal(3, Assert.IsType<ServerAttackerOptions>(attacks[0]).MaxDevices);
        var outsider = Assert.IsType<OutsiderAttackerOptions>(attacks[1]);
        Assert.Equal([AttackNames.Loss, AttackNames.LiraOnline], outsider.Selected);
        Assert.Equal(16, outsider.ReferenceModels);
        Assert.Equal(new ServerAttackerOptions().MaxDevices, Assert.IsType<ServerAttackerOptions>(attacks[2]).MaxDevices);
        Assert.Empty(new ScenarioSpec().Attacks);
    }

    [Theory]
    [InlineData("attacks:\n  - max_devices: 3\n", 2, "attacks needs 'kind:', one of: outsider, server, client")]
    [InlineData("attacks:\n  - kind: outsidr\n", 2, "unknown attacker 'outsidr'; did you mean 'outsider'?")]
    [InlineData("attacks:\n  - kind: server\n    reference_models: 4\n", 3, "attacker 'server' has no option 'reference_models' (it belongs to outsider)")]
    [InlineData("attacks:\n  - kind: outsider\n    attacks: [lira]\n", 3, "unknown value 'lira'")]
    [InlineData("attacks:\n  - kind: outsider\n    reference_models: 7\n", 3, "give an even number")]
    [InlineData("attacks: outsider\n", 1, "expected a list of sections, each with 'kind:'")]
    [InlineData("attacks:\n  - outsider\n", 2, "every item must be a mapping with 'kind:'")]
    public void A_bad_list_item_is_an_error_at_its_line(string yaml, int line, string message)
    {
        // Execute
        var result = Parse(yaml);

        // Assert
        var error = Assert.Single(result.Errors);
        Assert.Equal(line, error.Line);
        Assert.Contains(message, error.Message);
    }

    [Fact]
    public void A_written_list_of_components_loads_back_equal_and_clones_deeply()
    {
        // Prepare
        var spec = new ScenarioSpec
        {
            Audit = new AuditSpec { Every = 3, Members = 200, Holdout = 0.25, Delta = 1e-6 },
            Attacks =
            [
                new OutsiderAttackerOptions { Attacks = [AttackNames.Rmia], ReferenceModels = 4, RmiaGamma = 2 },
                new ClientAttackerOptions { Device = 3, AscentSteps = 2 },
            ],
        };

        // Execute
        string yaml = ScenarioWriter.ToYaml(spec, withDescriptions: true);
        var loaded = Parse(yaml);
        var clone = ScenarioModel.Clone(spec);
        ((OutsiderAttackerOptions)clone.Attacks[0]).ReferenceModels = 64;

        // Assert
        Assert.True(loaded.Succeeded, string.Join("\n", loaded.Errors) + "\n" + yaml);
        Assert.Equal(ScenarioWriter.ToYaml(spec), ScenarioWriter.ToYaml(loaded.Spec!));
        Assert.Equal(2, Assert.IsType<ClientAttackerOptions>(loaded.Spec!.Attacks[1]).AscentSteps);
        Assert.Equal(0.25, loaded.Spec.Audit.Holdout);
        Assert.NotSame(spec.Attacks, clone.Attacks);
        Assert.Equal(4, ((OutsiderAttackerOptions)spec.Attacks[0]).ReferenceModels);
    }

    [Fact]
    public void The_schema_gives_a_list_whose_items_must_name_their_kind()
    {
        // Execute
        var schema = JsonNode.Parse(ScenarioSchema.ToJson())!.AsObject();
        var attacks = schema["properties"]!["attacks"]!.AsObject();
        var alternatives = attacks["items"]!["oneOf"]!.AsArray().Select(a => a!.AsObject()).ToList();

        // Assert
        Assert.Equal("array", (string?)attacks["type"]);
        Assert.Equal([ThreatModels.Outsider, ThreatModels.Server, ThreatModels.Client, OneRunAuditOptions.KindName],
            alternatives.Select(a => (string?)a["properties"]!["kind"]!["const"]));
        Assert.All(alternatives, a => Assert.Equal("kind", (string?)a["required"]![0]));
        Assert.Equal(2, (int)alternatives[0]["properties"]!["reference_models"]!["minimum"]!);
    }

    [Fact]
    public void The_field_table_lists_the_list_its_kinds_and_their_options()
    {
        // Execute
        string table = ScenarioSchema.MarkdownFieldTable();

        // Assert
        Assert.Contains("| `attacks` | list of sections |", table);
        Assert.Contains("| `attacks.kind` | string | (none) | `outsider`, `server`, `client`, `one-run` |", table);
        Assert.Contains("| `attacks.reference_models` | integer | `8` |", table);
        Assert.Contains("(outsider) Reference models", table);
    }
}
