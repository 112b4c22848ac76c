using FedSim.Scenarios.Cli;
using FedSim.Scenarios.Configuration;

namespace FedSim.Tests.Scenarios;

/// <summary>
/// Each malformed scenario must produce an error at the exact line and column with a message that says
/// what is wrong, and `fedsim validate` must exit 2 without a stack trace.
/// </summary>
public sealed class MalformedScenarioTests : IClassFixture<ScenarioTestFiles>
{
    private readonly ScenarioTestFiles _files;

    public MalformedScenarioTests(ScenarioTestFiles files) => _files = files;

    public static TheoryData<string, string, int, int, string> Cases => new()
    {
        // case name, YAML, line, column, phrase expected in the message
        { "bad indentation", "training:\n  rounds: 5\n batch_size: 3\n", 3, 2, "invalid YAML" },
        { "unclosed flow list", "model:\n  hidden: [1, 2\n", 3, 1, "invalid YAML" },
        { "tab indentation", "training:\n\trounds: 5\n", 2, 1, "not tabs" },
        { "undefined alias", "seed: 3\nname: *nope\n", 2, 7, "anchor that is not defined" },
        { "duplicate key", "name: a\nname: b\n", 2, 1, "duplicate key 'name'" },
        { "empty file", "", 1, 1, "empty" },
        { "comments only", "# nothing here\n", 1, 1, "empty" },
        { "top level is a list", "- a\n- b\n", 1, 1, "top level must be a mapping" },
        { "top level is a scalar", "hello\n", 1, 1, "top level must be a mapping" },
        { "two documents", "name: a\n---\nname: b\n", 3, 1, "second YAML document" },
        { "misspelt top-level key", "nme: x\n", 1, 1, "did you mean 'name'?" },
        { "misspelt nested key", "training:\n  lerning_rate: 0.1\n", 2, 3, "did you mean 'learning_rate'?" },
        { "key in the wrong section", "rounds: 5\n", 1, 1, "did you mean 'training.rounds'?" },
        { "camelCase key", "training:\n  devicesPerRound: 5\n", 2, 3, "did you mean 'devices_per_round'?" },
        { "unknown key, nothing close", "training:\n  xyzzy: 1\n", 2, 3, "valid keys are: rounds, devices_per_round" },
        { "word instead of integer", "training:\n  rounds: ten\n", 2, 11, "expected an integer, got 'ten'" },
        { "fraction instead of integer", "devices: 10.5\n", 1, 10, "expected an integer, got '10.5'" },
        { "quoted number", "devices: \"10\"\n", 1, 10, "remove the quotes" },
        { "word instead of number", "training:\n  learning_rate: fast\n", 2, 18, "expected a number, got 'fast'" },
        { "infinite number", "training:\n  learning_rate: .inf\n", 2, 18, "expected a finite number" },
        { "negative seed", "seed: -1\n", 1, 7, "non-negative integer" },
        { "integer overflow", "devices: 99999999999\n", 1, 10, "between -2147483648 and 2147483647" },
        { "scalar instead of list", "model:\n  hidden: 200\n", 2, 11, "expected a list of integers" },
        { "scalar instead of section", "training: 5\n", 1, 11, "expected a mapping of keys" },
        { "null value", "training:\n  rounds: ~\n", 2, 11, "has no value" },
        { "empty section", "training:\nname: x\n", 1, 10, "training has no value" },
        { "zero rounds", "training:\n  rounds: 0\n", 2, 11, "must be at least 1, got 0" },
        { "zero devices", "devices: 0\n", 1, 10, "devices must be at least 1" },
        { "zero learning rate", "training:\n  learning_rate: 0\n", 2, 18, "must be greater than 0" },
        { "test fraction above one", "dataset:\n  test_fraction: 1.5\n", 2, 18, "greater than 0 and less than 1" },
        { "momentum of one", "training:\n  momentum: 1\n", 2, 13, "less than 1" },
        { "negative alpha", "dataset:\n  partition:\n    alpha: -1\n", 3, 12, "alpha must be greater than 0" },
        { "zero batch size", "training:\n  batch_size: 0\n", 2, 15, "batch_size must be at least 1" },
        { "zero local epochs", "training:\n  local_epochs: 0\n", 2, 17, "local_epochs must be at least 1" },
        { "evaluate every zero rounds", "evaluation:\n  every: 0\n", 2, 10, "every must be at least 1" },
        { "zero-width hidden layer", "model:\n  hidden: [200, 0]\n", 2, 17, "must be at least 1, got 0" },
        { "three cnn channels", "model:\n  channels: [8, 16, 32]\n", 2, 13, "needs exactly 2 values, got 3" },
        { "misspelt dataset kind", "dataset:\n  kind: mnsit\n", 2, 9, "did you mean 'mnist'?" },
        { "unknown optimizer", "training:\n  optimizer: rmsprop\n", 2, 14, "expected one of: sgd, momentum, adam" },
        { "more sampled than registered devices", "devices: 5\ntraining:\n  devices_per_round: 10\n", 3, 22, "cannot exceed devices (5)" },
        { "cnn on a tabular dataset", "dataset:\n  kind: adult\n  path: data\nmodel:\n  kind: cnn\n", 5, 9, "needs an image dataset" },
        { "mlp on text", "dataset:\n  kind: shakespeare\n  path: data\nmodel:\n  kind: mlp\n", 5, 9, "holds token sequences" },
        { "cnn on text", "dataset:\n  kind: shakespeare\n  path: data\nmodel:\n  kind: cnn\n", 5, 9, "use lstm or transformer" },
        { "lstm on images", "dataset:\n  kind: mnist\n  path: data\nmodel:\n  kind: lstm\n", 5, 9, "is not text" },
        { "transformer on your own csv", "dataset:\n  kind: csv\n  path: data.csv\nmodel:\n  kind: transformer\n", 5, 9, "is not text" },
        { "owner minimum on a kind without it", "dataset:\n  kind: mnist\n  path: data\n  min_samples_per_owner: 5\n", 4, 26, "only applies to dataset.kind shakespeare" },
        { "zero owner minimum", "dataset:\n  min_samples_per_owner: 0\n", 2, 26, "must be at least 1" },
        { "natural partition without owners", "dataset:\n  kind: mnist\n  path: data\n  partition:\n    kind: natural\n", 5, 11, "only femnist" },
        { "file dataset without path", "dataset:\n  kind: mnist\n", 2, 9, "fedsim data fetch mnist --to DIR" },
        { "dataset path that does not exist", "dataset:\n  kind: mnist\n  path: nowhere/mnist\n", 3, 9, "does not exist" },
        { "path on synthetic data", "dataset:\n  path: data\n", 2, 9, "kind is 'synthetic'" },
        { "blank name", "name: ''\n", 1, 7, "must not be blank" },
        { "name with a slash", "name: a/b\n", 1, 7, "cannot contain '/'" },
        { "too few synthetic samples", "devices: 100\ndataset:\n  samples: 50\n", 3, 12, "fewer than devices (100)" },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Malformed_scenario_is_reported_at_its_line_and_column(string name, string yaml, int line, int column, string phrase)
    {
        // Prepare
        string file = name.Replace(' ', '-') + ".yaml";

        // Execute
        var result = ScenarioLoader.Parse(yaml, file, _files.Directory);

        // Assert
        Assert.False(result.Succeeded);
        Assert.Null(result.Spec);
        var located = result.Errors.Where(e => e.Line == line && e.Column == column).ToList();
        Assert.True(located.Count > 0,
            $"expected an error at {line}:{column}, got:\n{string.Join("\n", result.Errors)}");
        Assert.Contains(located, e => e.Message.Contains(phrase, StringComparison.Ordinal));
        Assert.All(result.Errors, e => Assert.Equal(file, e.File));
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Validate_command_exits_2_with_the_located_error_and_no_stack_trace(string name, string yaml, int line, int column, string phrase)
    {
        // Prepare
        string path = _files.Write(name.Replace(' ', '-') + ".yaml", yaml);
        var stdout = new StringWriter();
        var stderr = new StringWriter();

        // Execute
        int exit = await FedSimCli.RunAsync(["validate", path], stdout, stderr);

        // Assert
        string errors = stderr.ToString();
        Assert.Equal(ExitCodes.InvalidInput, exit);
        Assert.Contains($"{path}:{line}:{column}: ", errors);
        Assert.Contains(phrase, errors);
        Assert.DoesNotContain("   at ", errors);
        Assert.DoesNotContain("Exception", errors);
        Assert.DoesNotContain(": ok", stdout.ToString());
    }

    [Fact]
    public void Every_error_in_a_file_is_reported_not_just_the_first()
    {
        // Prepare
        const string yaml = "devices: 0\ntraining:\n  rounds: ten\n  lerning_rate: 0.1\nmodel:\n  kind: cnnn\n";

        // Execute
        var result = ScenarioLoader.Parse(yaml, "many.yaml", _files.Directory);

        // Assert
        Assert.Equal(
            ["many.yaml:1:10", "many.yaml:3:11", "many.yaml:4:3", "many.yaml:6:9"],
            result.Errors.Select(e => $"{e.File}:{e.Line}:{e.Column}"));
    }

    [Fact]
    public void Error_text_has_the_compiler_style_location_prefix()
    {
        // Prepare
        var error = new ScenarioError("exp.yaml", 4, 11, "training.rounds: expected an integer, got 'ten'");

        // Execute
        string text = error.ToString();

        // Assert
        Assert.Equal("exp.yaml:4:11: training.rounds: expected an integer, got 'ten'", text);
    }

    [Fact]
    public void Invalid_field_does_not_cascade_into_cross_field_errors()
    {
        // Prepare: devices is invalid, so "devices_per_round cannot exceed devices" would only be noise.
        const string yaml = "devices: many\ntraining:\n  devices_per_round: 10\n";

        // Execute
        var result = ScenarioLoader.Parse(yaml, "x.yaml", _files.Directory);

        // Assert
        var error = Assert.Single(result.Errors);
        Assert.Equal(1, error.Line);
    }

    [Fact]
    public void Missing_default_fashion_mnist_says_how_to_install_it()
    {
        // Prepare: only meaningful where the Debian package is not installed.
        if (Directory.Exists(ScenarioPaths.FashionMnistDefault)) return;
        const string yaml = "dataset:\n  kind: fashion-mnist\n";

        // Execute
        var result = ScenarioLoader.Parse(yaml, "f.yaml", _files.Directory);

        // Assert
        var error = Assert.Single(result.Errors);
        Assert.Equal((2, 9), (error.Line, error.Column));
        Assert.Contains("apt-get install dataset-fashion-mnist", error.Message);
    }
}
