using FedSim.Attacks.Poisoning;
using FedSim.Scenarios.Compare;
using FedSim.Strategies.Algorithms;

namespace FedSim.Tests.Compare;

public sealed class SweepTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("fedsim-sweep-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Write(string name, string text)
    {
        string path = Path.Combine(_dir, name);
        File.WriteAllText(path, text);
        return path;
    }

    private const string Base = """
        name: base
        seed: 5
        devices: 20
        training:
          rounds: 3
          devices_per_round: 10
        """;

    [Fact]
    public void A_grid_expands_to_every_combination_times_every_seed_first_axis_slowest()
    {
        // Prepare
        Write("base.yaml", Base);
        string file = Write("sweep.yaml", """
            base: base.yaml
            grid:
              strategy.kind: [fedavg, fedprox]
              byzantine: [null, {kind: sign-flip, fraction: 0.2}]
            seeds: [1, 2, 3]
            target_accuracy: 0.8
            """);

        // Execute
        var (sweep, errors) = SweepFile.Load(file);
        var (runs, expansionErrors) = SweepExpansion.Expand(sweep!);

        // Assert
        Assert.Empty(errors);
        Assert.Empty(expansionErrors);
        Assert.Equal(12, runs.Count);
        Assert.Equal([1UL, 2UL, 3UL], runs.Take(3).Select(r => r.Seed));
        Assert.Equal(["strategy.kind=fedavg, byzantine=null", "strategy.kind=fedavg, byzantine={kind: sign-flip, fraction: 0.2}",
            "strategy.kind=fedprox, byzantine=null", "strategy.kind=fedprox, byzantine={kind: sign-flip, fraction: 0.2}"],
            runs.Select(r => r.Configuration.Label).Distinct());
        Assert.IsType<FedProxOptions>(runs[^1].Scenario.Strategy);
        Assert.Equal(0.2, Assert.IsType<SignFlipOptions>(runs[^1].Scenario.Byzantine).Fraction);
        Assert.Null(runs[0].Scenario.Byzantine);
        Assert.Equal(3UL, runs[^1].Scenario.Seed);
        Assert.Equal(20, runs[0].Scenario.Devices); // the rest comes from the base
        Assert.Equal("c04-fedprox-kind-sign-flip-fraction-0.2/seed-3", runs[^1].FolderName);
        Assert.Equal(0.8, sweep!.TargetAccuracy);
    }

    [Fact]
    public void An_inline_scenario_works_like_a_base_file()
    {
        string file = Write("inline.yaml", """
            scenario:
              name: inline
              devices: 10
            grid:
              training.rounds: [1, 2]
            """);

        var (sweep, errors) = SweepFile.Load(file);
        var (runs, _) = SweepExpansion.Expand(sweep!);

        Assert.Empty(errors);
        Assert.Equal([1, 2], runs.Select(r => r.Scenario.Training.Rounds));
        Assert.Equal([1UL, 1UL], runs.Select(r => r.Seed)); // no seeds: the scenario's own (default 1)
    }

    [Theory]
    [InlineData("base: base.yaml\ngrid:\n  training.roundz: [1]\n", 3, 3, "did you mean 'training.rounds'")]
    [InlineData("base: base.yaml\ngrid:\n  training.rounds: 5\n", 3, 20, "non-empty list")]
    [InlineData("base: base.yaml\nseeds: [1, x]\n", 2, 12, "not a non-negative integer")]
    [InlineData("base: base.yaml\nseeds: [1, 1]\n", 2, 12, "listed twice")]
    [InlineData("base: base.yaml\nconcurrency: 0\n", 2, 14, "1 to 64")]
    [InlineData("base: base.yaml\ntarget_accuracy: 2\n", 2, 18, "(0, 1]")]
    [InlineData("base: base.yaml\ngridd: {}\n", 2, 1, "did you mean 'grid'")]
    [InlineData("grid:\n  training.rounds: [1]\n", 1, 1, "base: FILE.yaml")]
    [InlineData("base: missing.yaml\n", 1, 7, "cannot read the base scenario")]
    [InlineData("base: base.yaml\ngrid:\n  seed: [1, 2]\n", 3, 3, "put the values there")]
    [InlineData("base: base.yaml\ngrid:\n  training.rounds: [1, 2]\nfacet: training.round\n", 4, 8, "did you mean 'training.rounds'")]
    [InlineData("facet: strategy.kind\nbase: base.yaml\n", 1, 8, "facet: none")]
    [InlineData("base: base.yaml\nfacet: []\n", 2, 8, "one grid key")]
    public void Bad_comparison_files_are_reported_at_the_line_and_column(string text, int line, int column, string phrase)
    {
        Write("base.yaml", Base);
        string file = Write("bad.yaml", text);

        var (sweep, errors) = SweepFile.Load(file);

        Assert.Null(sweep);
        var error = Assert.Single(errors);
        Assert.Equal((line, column), (error.Line, error.Column));
        Assert.Contains(phrase, error.Message);
    }

    [Theory]
    [InlineData("", null)]                          // the figure chooses: the key with the most values
    [InlineData("facet: byzantine\n", "byzantine")]
    [InlineData("facet: none\n", null)]             // one panel
    public void Facet_names_a_grid_key_or_none_and_defaults_to_the_key_with_the_most_values(string facet, string? expected)
    {
        Write("base.yaml", Base);
        string file = Write("facet.yaml", "base: base.yaml\ngrid:\n  byzantine: [null, {kind: sign-flip, fraction: 0.2}]\n" +
                                          "  strategy.kind: [fedavg, fedprox, scaffold]\n" + facet);

        var (sweep, errors) = SweepFile.Load(file);

        Assert.Empty(errors);
        Assert.Equal(facet.Length == 0 ? "strategy.kind" : expected, CompareFigures.FacetKey(sweep!.Grid, sweep.Facet));
    }

    [Fact]
    public void A_grid_value_that_makes_an_invalid_scenario_is_reported_at_that_value()
    {
        Write("base.yaml", Base);
        string file = Write("sweep.yaml", "base: base.yaml\ngrid:\n  training.devices_per_round: [5, 50]\n");

        var (sweep, _) = SweepFile.Load(file);
        var (runs, errors) = SweepExpansion.Expand(sweep!);

        Assert.Empty(runs);
        var error = Assert.Single(errors);
        Assert.Equal(file, error.File);
        Assert.Equal(3, error.Line);
        Assert.Contains("training.devices_per_round=50", error.Message);
        Assert.Contains("cannot exceed devices (20)", error.Message);
    }

    [Fact]
    public void A_bad_base_scenario_is_reported_in_its_own_file()
    {
        string baseFile = Write("base.yaml", "name: b\ntraining:\n  rounds: -1\n");
        string file = Write("sweep.yaml", "base: base.yaml\n");

        var (sweep, _) = SweepFile.Load(file);
        var (_, errors) = SweepExpansion.Expand(sweep!);

        var error = Assert.Single(errors);
        Assert.Equal((baseFile, 3), (error.File, error.Line));
    }
}

/// <summary>The shipped comparison files (examples/compare/*.yaml) load and expand into valid scenarios.</summary>
public sealed class ExampleComparisonTests
{
    public static TheoryData<string> Comparisons()
    {
        var data = new TheoryData<string>();
        foreach (var file in Directory.GetFiles(Path.Combine(Scenarios.ScenarioTestFiles.ExamplesDirectory, "compare"), "*.yaml").Order())
            data.Add(Path.GetFileName(file));
        return data;
    }

    [Theory]
    [MemberData(nameof(Comparisons))]
    public void Example_comparison_expands_into_valid_runs(string file)
    {
        var (sweep, errors) = SweepFile.Load(Path.Combine(Scenarios.ScenarioTestFiles.ExamplesDirectory, "compare", file));
        Assert.Empty(errors);
        var (runs, expansionErrors) = SweepExpansion.Expand(sweep!);

        Assert.Empty(expansionErrors);
        Assert.NotEmpty(runs);
        Assert.Equal(Path.GetFileNameWithoutExtension(file), sweep!.Name);
        Assert.Contains($"compare/{file}", File.ReadAllText(Path.Combine(Scenarios.ScenarioTestFiles.ExamplesDirectory, "README.md")));
    }
}
