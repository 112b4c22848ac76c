using System.Text;
using FedSim.Compute;
using FedSim.Data;
using FedSim.Scenarios.Configuration;

namespace FedSim.Tests.Hostile;

/// <summary>
/// Scenario files that `validate` used to pass (or crash on) while `run` failed: each must now be caught by
/// `fedsim validate` with exit 2 and `file:line:column: message`, no stack trace, and validation must go on to the
/// next file. The folder holds "data/" (an empty dataset folder), "data/ok.csv" and "big/" fixtures.
/// </summary>
public sealed class HostileScenarioTests : IClassFixture<HostileFiles>
{
    private readonly HostileFiles _files;
    private readonly string _dir;

    public HostileScenarioTests(HostileFiles files)
    {
        _files = files;
        _dir = files.Folder("scenarios");
        Directory.CreateDirectory(Path.Combine(_dir, "data"));
        File.WriteAllText(Path.Combine(_dir, "data", "ok.csv"), "x,colour,site,label\n1.5,red,a,0\n2.5,blue,b,1\n");
    }

    private static string Repeat(string s, int n) => new StringBuilder(s.Length * n).Insert(0, s, n).ToString();

    public static TheoryData<string, string, int, int, string> Cases => new()
    {
        // case, YAML, line, column, phrase
        { "unclosed flow list before another key", "name: [unclosed\nseed: 1\n", 1, 7, "the '[' here is never closed" },
        { "unclosed flow list before a list item", "name: [a\n- b\n", 1, 7, "the '[' here is never closed" },
        { "unclosed flow mapping before another key", "model: {kind: mlp\nseed: 1\n", 1, 8, "the '{' here is never closed" },
        { "flow lists nested 100,000 deep", "name: " + Repeat("[", 100_000) + Repeat("]", 100_000) + "\n", 1, 70, "nested more than 64 levels" },
        { "flow mappings nested 10,000 deep", "name: " + Repeat("{a: ", 10_000) + "1" + Repeat("}", 10_000) + "\n", 1, 259, "nested more than 64 levels" },
        { "block lists nested 100,000 deep", "model:\n  hidden:\n    " + Repeat("- ", 100_000) + "1\n", 3, 129, "nested more than 64 levels" },
        { "unterminated quoted string", "name: \"unterminated\nseed: 1\n", 1, 7, "invalid YAML" },
        { "a list as a key", "[a]: 1\n", 1, 1, "keys must be plain names" },
        { "anchors and aliases to blow up", "a: &a [x, x, x]\nb: &b [*a, *a, *a]\nc: [*b, *b, *b]\n", 1, 1, "unknown key 'a'" },
        { "hidden layer of 2,000,000,000 units", "model:\n  hidden: [2000000000]\n", 2, 11, "one float32 array of at most 2,147,483,591 values" },
        { "hidden layers of 50,000 x 50,000", "model:\n  hidden: [50000, 50000]\n", 2, 11, "one float32 array" },
        { "200,000 hidden layers", "model:\n  hidden: [" + string.Join(", ", Enumerable.Repeat("1", 200_000)) + "]\n", 2, 11, "takes at most 100 values, got 200000" },
        { "101 hidden layers", "model:\n  hidden: [" + string.Join(", ", Enumerable.Repeat("8", 101)) + "]\n", 2, 11, "takes at most 100 values" },
        { "mlp without hidden layers", "model:\n  kind: mlp\n  hidden: []\n", 3, 11, "needs at least one hidden layer" },
        { "hidden width beyond int", "model:\n  hidden: [99999999999]\n", 2, 12, "between -2147483648 and 2147483647" },
        { "cnn of 100,000 channels", "dataset:\n  kind: mnist\n  path: data\nmodel:\n  kind: cnn\n  channels: [100000, 100000]\n  dense: 100000\n", 7, 10, "one float32 array" },
        { "a round's updates beyond any memory",
            "devices: 100000\ndataset:\n  samples: 300000\nmodel:\n  hidden: [500000]\ntraining:\n  devices_per_round: 100000\n", 7, 22, "holds every update of a round until it completes" },
        { "300-character name", "name: " + new string('n', 300) + "\n", 1, 7, "at most 100" },
        { "name with a newline", "name: \"two\\nlines\"\n", 1, 7, "cannot contain '\\u000a'" },
        { "name with a tab", "name: \"a\\tb\"\n", 1, 7, "cannot contain '\\u0009'" },
        { "name with a NUL", "name: \"a\\0b\"\n", 1, 7, "cannot contain '\\u0000'" },
        { "name with a backslash", "name: 'a\\b'\n", 1, 7, "cannot contain '\\'" },
        { "5,000 workers", "compute:\n  workers: 5000\n", 2, 12, "compute.workers must be at least 0 and at most 256" },
        { "cohort of a million", "compute:\n  cohort_size: 1000000\n", 2, 16, "at most 4096" },
        { "negative workers", "compute:\n  workers: -3\n", 2, 12, "at least 0" },
        { "more devices than MNIST has training samples", "devices: 100000\ndataset:\n  kind: mnist\n  path: data\n", 1, 10, "training samples of 'mnist'" },
        { "more devices than Adult has rows", "devices: 40000\ndataset:\n  kind: adult\n  path: data\n", 1, 10, "32,561 training samples of 'adult'" },
        { "more shards than breast cancer has rows",
            "devices: 300\ndataset:\n  kind: sklearn-breast-cancer\n  path: data/ok.csv\n  partition:\n    kind: shards\n    shards_per_device: 2\n", 1, 10, "2 samples or shards" },
        { "label_column on a synthetic dataset", "dataset:\n  label_column: y\n", 2, 17, "only applies to dataset.kind csv" },
        { "owner_column on mnist", "dataset:\n  kind: mnist\n  path: data\n  owner_column: writer\n", 4, 17, "only applies to dataset.kind csv" },
        { "natural partition of a csv without owner_column", "dataset:\n  kind: csv\n  path: data/ok.csv\n  partition:\n    kind: natural\n", 5, 11, "needs dataset.owner_column" },
        { "csv path that is a folder", "dataset:\n  kind: csv\n  path: data\n", 3, 9, "is a folder" },
        { "csv without a path", "dataset:\n  kind: csv\n", 2, 9, "dataset.path is required for dataset kind 'csv'" },
        { "csv label column missing from the header", "dataset:\n  kind: csv\n  path: data/ok.csv\n  label_column: target\n", 4, 17, "label_column 'target' is not a column" },
        { "csv owner column missing from the header", "dataset:\n  kind: csv\n  path: data/ok.csv\n  owner_column: clinic\n", 4, 17, "owner_column 'clinic' is not a column" },
        { "femnist without a path", "dataset:\n  kind: femnist\n", 2, 9, "./preprocess.sh -s niid --sf 0.05 -k 0 -t sample" },
        { "sklearn digits without a path", "dataset:\n  kind: sklearn-digits\n", 2, 9, "ships inside scikit-learn" },
        { "adult without a path", "dataset:\n  kind: adult\n", 2, 9, "`fedsim data fetch adult --to DIR`" },
        { "NaN test fraction", "dataset:\n  test_fraction: .nan\n", 2, 18, "expected a finite number" },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Validate_catches_what_would_fail_at_run_time(string name, string yaml, int line, int column, string phrase)
    {
        // Prepare
        if (FindInWellKnownPlacesWouldSucceed(yaml)) return; // a machine with the dataset installed system-wide
        string path = Path.Combine(_dir, string.Concat(name.Select(c => char.IsLetterOrDigit(c) ? c : '-')) + ".yaml");
        File.WriteAllText(path, yaml);

        // Execute
        var run = await HostileFiles.Cli("validate", path);

        // Assert
        HostileFiles.AssertRejected(run, $"{path}:{line}:{column}: ", phrase);
        Assert.DoesNotContain(": ok", run.Out);
    }

    [Fact]
    public void There_are_many_hostile_scenario_cases()
    {
        Assert.True(Cases.Count >= 35, $"{Cases.Count} cases");
    }

    [Fact]
    public async Task Validate_goes_on_to_the_next_file_after_an_unlocated_parser_failure()
    {
        // Prepare
        string bad = Path.Combine(_dir, "bad-then-good.yaml");
        string good = Path.Combine(_dir, "good-after-bad.yaml");
        File.WriteAllText(bad, "name: [unclosed\nseed: 1\n");
        File.WriteAllText(good, "name: good\n");

        // Execute
        var run = await HostileFiles.Cli("validate", bad, good);

        // Assert
        HostileFiles.AssertRejected(run, $"{bad}:1:7: ", "never closed");
        Assert.Contains($"{good}: ok", run.Out);
    }

    [Fact]
    public async Task Scenario_file_over_a_mebibyte_is_refused_unread()
    {
        // Prepare
        string path = Path.Combine(_dir, "huge.yaml");
        File.WriteAllText(path, "name: x\n# " + new string('x', (int)YamlGuard.MaxFileBytes) + "\n");

        // Execute
        var run = await HostileFiles.Cli("validate", path);

        // Assert
        HostileFiles.AssertRejected(run, $"{path}:1:1: ", "at most 1,048,576 bytes");
    }

    [Fact]
    public async Task Binary_file_given_as_a_scenario_is_a_located_yaml_error()
    {
        // Prepare
        string path = Path.Combine(_dir, "scenario.yaml.gz");
        File.WriteAllBytes(path, HostileFiles.Gzip("name: zipped\n"));

        // Execute
        var run = await HostileFiles.Cli("validate", path);

        // Assert
        HostileFiles.AssertRejected(run, $"{path}:1:", "invalid YAML");
    }

    [Fact]
    public async Task Cuda_is_accepted_only_where_its_libraries_and_driver_are_present()
    {
        // Prepare
        string path = Path.Combine(_dir, "cuda.yaml");
        File.WriteAllText(path, "name: cuda\ncompute:\n  device: cuda\n");
        string? problem = CudaProbe.Problem();

        // Execute
        var run = await HostileFiles.Cli("validate", path);

        // Assert: on this repository's CPU build there is no CUDA libtorch, so this is the rejection branch.
        if (problem is null) Assert.Equal(0, run.Exit);
        else HostileFiles.AssertRejected(run, $"{path}:3:11: ", "compute.device is 'cuda' but");
    }

    private static bool FindInWellKnownPlacesWouldSucceed(string yaml)
    {
        foreach (var kind in new[] { "femnist", "sklearn-digits", "adult" })
            if (yaml == $"dataset:\n  kind: {kind}\n" && DatasetCatalog.FindInWellKnownPlaces(kind) is not null) return true;
        return false;
    }
}
