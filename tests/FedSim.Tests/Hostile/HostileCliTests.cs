using System.Text.RegularExpressions;
using FedSim.Scenario;
using FedSim.Data;
using FedSim.Scenarios.Configuration;
using FedSim.Tests.Scenarios;

namespace FedSim.Tests.Hostile;

/// <summary>Tests that change process-wide environment variables run alone, never beside tests that read them.</summary>
[CollectionDefinition(nameof(EnvironmentVariables), DisableParallelization = true)]
public sealed class EnvironmentVariables;

/// <summary>Hints name commands that exist, `data fetch` for what it cannot fetch, and FEDSIM_DATA_DIR in validate and run.</summary>
public sealed partial class HostileCliTests : IClassFixture<HostileFiles>
{
    private readonly HostileFiles _files;

    public HostileCliTests(HostileFiles files) => _files = files;

    [GeneratedRegex("`(fedsim [^`]+)`")]
    private static partial Regex FedsimCommand();

    /// <summary>Every `fedsim ...` command quoted by a dataset hint or a README, with where it was found.</summary>
    public static TheoryData<string, string> QuotedCommands()
    {
        var texts = DatasetKinds.All.Where(k => k != DatasetKinds.Synthetic).Select(k => ($"hint for {k}", DatasetCatalog.WhereToGet(k)))
            .Append(("README.md", File.ReadAllText(Path.Combine(ScenarioTestFiles.RepositoryRoot, "README.md"))))
            .Append(("examples/README.md", File.ReadAllText(Path.Combine(ScenarioTestFiles.ExamplesDirectory, "README.md"))));
        var data = new TheoryData<string, string>();
        foreach (var (where, text) in texts)
            foreach (var command in FedsimCommand().Matches(text).Select(m => m.Groups[1].Value).Distinct())
                data.Add(where, command);
        return data;
    }

    [Theory]
    [MemberData(nameof(QuotedCommands))]
    public async Task Every_quoted_fedsim_command_exists(string where, string command)
    {
        // Prepare: placeholders (DIR, FILE, NAME) stand for values; --help makes the CLI parse without running.
        var words = command.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1..]
            .Select(w => w.Replace("mnist|fashion-mnist|adult", "mnist", StringComparison.Ordinal)).ToArray();

        // Execute
        var run = await HostileFiles.Cli([.. words, "--help"]);

        // Assert
        Assert.True(run.Exit == 0, $"{where}: `{command}` does not parse: {run.Error}");
        if (words is ["data", "fetch", var name, ..] && name is not ("NAME" or "..."))
            Assert.Contains(DatasetFetcher.Known, d => d.Name == name);
    }

    [Theory]
    [InlineData("femnist", "./preprocess.sh")]
    [InlineData("sklearn-digits", "ships inside scikit-learn")]
    [InlineData("breast-cancer", "ships inside scikit-learn")]
    public async Task Data_fetch_of_a_dataset_without_a_download_says_where_it_comes_from(string name, string phrase)
    {
        // Prepare
        string target = _files.Folder("fetch-" + name);

        // Execute
        var run = await HostileFiles.Cli("data", "fetch", name, "--to", target);

        // Assert
        HostileFiles.AssertRejected(run, $"unknown dataset '{name}' for fetch; known: mnist, fashion-mnist, adult, shakespeare.", phrase);
        Assert.Empty(Directory.GetFiles(target));
    }

    [Fact]
    public async Task Data_fetch_with_a_mirror_that_is_not_a_url_is_a_usage_error()
    {
        // Prepare / Execute
        var run = await HostileFiles.Cli("data", "fetch", "adult", "--to", _files.Folder("mirror"), "--mirror", "not a url");

        // Assert
        HostileFiles.AssertRejected(run, "--mirror", "absolute http(s) or file URL");
    }

    [Fact]
    public async Task Run_of_a_missing_csv_column_is_stopped_by_validation_with_the_file_and_key()
    {
        // Prepare
        string dir = _files.Folder("run-missing-column");
        File.WriteAllText(Path.Combine(dir, "d.csv"), "a,b\n1,0\n2,1\n");
        string scenario = Path.Combine(dir, "s.yaml");
        File.WriteAllText(scenario, "name: s\ndataset:\n  kind: csv\n  path: d.csv\n  label_column: y\n");

        // Execute
        var run = await HostileFiles.Cli("run", scenario, "--quiet", "--output", Path.Combine(dir, "out"));

        // Assert
        HostileFiles.AssertRejected(run, $"{scenario}:5:17: {Path.Combine(dir, "d.csv")}:1: ", "label_column 'y' is not a column of this file");
        Assert.False(Directory.Exists(Path.Combine(dir, "out")));
    }
}

/// <summary>FEDSIM_DATA_DIR: the validator and the loader find a dataset without a path in the same place.</summary>
[Collection(nameof(EnvironmentVariables))]
public sealed class DataDirVariableTests : IClassFixture<HostileFiles>
{
    private readonly HostileFiles _files;

    public DataDirVariableTests(HostileFiles files) => _files = files;

    private const string AdultRow = "39, State-gov, 77516, Bachelors, 13, Never-married, Adm-clerical, Not-in-family, White, Male, 2174, 0, 40, United-States, <=50K";
    private const string RichRow = "52, Self-emp-inc, 287927, HS-grad, 9, Married-civ-spouse, Exec-managerial, Wife, White, Female, 15024, 0, 40, United-States, >50K";

    [Fact]
    public async Task A_dataset_without_a_path_is_found_under_FEDSIM_DATA_DIR_by_validate_and_by_the_loader()
    {
        // Prepare
        string root = _files.Folder("data-root");
        Directory.CreateDirectory(Path.Combine(root, "adult"));
        File.WriteAllText(Path.Combine(root, "adult", "adult.data"), $"{AdultRow}\n{RichRow}\n{AdultRow}\n{RichRow}\n");
        File.WriteAllText(Path.Combine(root, "adult", "adult.test"), $"|1x3 Cross validator\n{AdultRow}.\n{RichRow}.\n");
        string scenario = Path.Combine(_files.Folder("data-dir-scenario"), "adult.yaml");
        File.WriteAllText(scenario, "name: adult\ndevices: 2\ndataset:\n  kind: adult\ntraining:\n  devices_per_round: 2\n");
        string? before = Environment.GetEnvironmentVariable(DatasetCatalog.DataDirVariable);

        // Execute
        HostileFiles.CliRun unset, set;
        string? resolved;
        DatasetSplit loaded;
        try
        {
            Environment.SetEnvironmentVariable(DatasetCatalog.DataDirVariable, Path.Combine(root, "nowhere"));
            unset = await HostileFiles.Cli("validate", scenario);
            Environment.SetEnvironmentVariable(DatasetCatalog.DataDirVariable, root);
            set = await HostileFiles.Cli("validate", scenario);
            var spec = ScenarioLoader.Load(scenario).GetSpecOrThrow();
            resolved = ScenarioPaths.ResolveForRun(spec, Path.GetDirectoryName(scenario)!).Dataset.Path;
            loaded = DatasetCatalog.Load(new DatasetSpec { Kind = DatasetKinds.Adult }, "/", 1);
        }
        finally
        {
            Environment.SetEnvironmentVariable(DatasetCatalog.DataDirVariable, before);
        }

        // Assert
        if (DatasetCatalog.FindInWellKnownPlaces(DatasetKinds.Adult) is null)
            HostileFiles.AssertRejected(unset, $"{scenario}:4:9: ", $"{Path.Combine(root, "nowhere", "adult")}");
        Assert.True(set.Exit == 0, set.Error);
        Assert.Contains($"{scenario}: ok", set.Out);
        Assert.Equal(Path.Combine(root, "adult"), resolved);
        Assert.Equal(4, loaded.Train.Count);
    }
}
