using System.Text;
using FedSim.Scenarios.Configuration;

namespace FedSim.Tests.Hostile;

/// <summary>
/// Comparison files (and the base scenarios they name) built to hang, exhaust memory or crash the reader: each must
/// be refused by `fedsim compare` (and its `--dry-run`) with exit 2 and `file:line:column: message`, no stack trace,
/// and within a bound instead of running until memory or the stack runs out. The folder holds "base.yaml", a valid
/// scenario.
/// </summary>
public sealed class HostileCompareFileTests : IClassFixture<HostileFiles>
{
    /// <summary>Long enough for a loaded machine; a reader that expands aliases or recurses without bound takes far longer or dies.</summary>
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(60);

    private readonly string _dir;

    public HostileCompareFileTests(HostileFiles files)
    {
        _dir = files.Folder("compare-files");
        File.WriteAllText(Path.Combine(_dir, "base.yaml"), "name: base\ndevices: 4\ntraining:\n  rounds: 1\n  devices_per_round: 2\n");
    }

    private static string Repeat(string s, int n) => new StringBuilder(s.Length * n).Insert(0, s, n).ToString();

    /// <summary>
    /// Grid values, each a list of nine aliases to the value before: 9^9 values once every alias is written out.
    /// Inside the grid, where the reader turns each value into a label before anything else checks it.
    /// </summary>
    private static string BillionLaughs()
    {
        var text = new StringBuilder("base: base.yaml\ngrid:\n  training.rounds:\n");
        text.Append("    - &a0 [" + string.Join(", ", Enumerable.Repeat("lol", 9)) + "]\n");
        for (int level = 1; level <= 8; level++)
            text.Append($"    - &a{level} [{string.Join(", ", Enumerable.Repeat($"*a{level - 1}", 9))}]\n");
        return text.ToString();
    }

    /// <summary>Grid values nested 60 deep, each holding an alias to the value before: shallow as written, 60,000 levels as meant.</summary>
    private static string NestingThroughAliases()
    {
        var text = new StringBuilder("base: base.yaml\ngrid:\n  training.rounds:\n");
        text.Append($"    - &a0 {Repeat("[", 60)}x{Repeat("]", 60)}\n");
        for (int level = 1; level < 1_000; level++)
            text.Append($"    - &a{level} {Repeat("[", 60)}*a{level - 1}{Repeat("]", 60)}\n");
        return text.ToString();
    }

    public static TheoryData<string, string, int, int, string> Cases => new()
    {
        // case, comparison file, line, column, phrase
        { "billion laughs in the grid", BillionLaughs(), 10, 12, "aliases stand for more than 1,048,576 values" },
        { "a grid value that contains itself", "base: base.yaml\ngrid:\n  training.rounds: &r [1, *r]\n", 3, 27, "inside the mapping or list it names" },
        { "nesting deepened through aliases", NestingThroughAliases(), 5, 71, "nested more than 64 levels" },
        { "flow lists nested 10,000 deep", "base: base.yaml\ngrid: " + Repeat("[", 10_000) + Repeat("]", 10_000) + "\n", 2, 70, "nested more than 64 levels" },
        { "block lists nested 10,000 deep", "base: base.yaml\ngrid:\n  training.rounds:\n    " + Repeat("- ", 10_000) + "1\n", 4, 129, "nested more than 64 levels" },
        { "unclosed flow list before another key", "base: base.yaml\ngrid: [a,\nseeds: [1]\n", 2, 7, "the '[' here is never closed" },
        { "unclosed flow mapping before another key", "base: base.yaml\ngrid: {training.rounds: [1]\nseeds: [1]\n", 2, 7, "the '{' here is never closed" },
        { "undefined alias", "base: base.yaml\ngrid:\n  training.rounds: *nowhere\n", 3, 20, "alias '*nowhere' refers to an anchor that is not defined" },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Compare_refuses_a_hostile_comparison_file_at_its_line_and_column(string name, string yaml, int line, int column, string phrase)
    {
        // Prepare
        string path = Write(name, yaml);

        // Execute
        var run = await Compare(path);
        var dryRun = await Compare(path, "--dry-run");

        // Assert
        HostileFiles.AssertRejected(run, $"{path}:{line}:{column}: ", phrase);
        HostileFiles.AssertRejected(dryRun, $"{path}:{line}:{column}: ", phrase);
    }

    [Fact]
    public async Task Compare_refuses_a_ten_megabyte_comparison_file_unread()
    {
        // Prepare
        string path = Write("ten megabytes", "base: base.yaml\n# " + new string('x', 10 << 20) + "\n");

        // Execute
        var run = await Compare(path);
        var dryRun = await Compare(path, "--dry-run");

        // Assert
        HostileFiles.AssertRejected(run, $"{path}:1:1: ", "a comparison file is a page of YAML (at most 1,048,576 bytes)");
        HostileFiles.AssertRejected(dryRun, $"{path}:1:1: ", "a comparison file is a page of YAML");
    }

    [Fact]
    public async Task A_hostile_base_scenario_is_refused_at_its_own_line_and_column()
    {
        // Prepare
        string baseFile = Write("deep base", "name: " + Repeat("[", 10_000) + Repeat("]", 10_000) + "\n");
        string path = Write("deep base sweep", $"base: {Path.GetFileName(baseFile)}\ngrid:\n  training.rounds: [1, 2]\n");

        // Execute
        var run = await Compare(path, "--dry-run");

        // Assert
        HostileFiles.AssertRejected(run, $"{baseFile}:1:70: ", "nested more than 64 levels");
    }

    [Fact]
    public async Task A_ten_megabyte_base_scenario_is_refused_at_the_base_key()
    {
        // Prepare
        string baseFile = Write("huge base", "name: x\n# " + new string('x', 10 << 20) + "\n");
        string path = Write("huge base sweep", $"base: {Path.GetFileName(baseFile)}\n");

        // Execute
        var run = await Compare(path, "--dry-run");

        // Assert
        HostileFiles.AssertRejected(run, $"{path}:1:7: ", $"at most {YamlGuard.MaxFileBytes:N0} bytes");
    }

    [Fact]
    public async Task Aliases_that_stay_small_are_still_accepted()
    {
        // Prepare
        string path = Write("small aliases", "base: base.yaml\ngrid:\n  training.rounds: &rounds [1, 2]\n  training.local_epochs: *rounds\n");

        // Execute
        var run = await Compare(path, "--dry-run");

        // Assert
        Assert.True(run.Exit == 0, run.Error);
        Assert.Contains("4 configuration(s) x 1 seed(s)", run.Out);
    }

    private string Write(string name, string text)
    {
        string path = Path.Combine(_dir, string.Concat(name.Select(c => char.IsLetterOrDigit(c) ? c : '-')) + ".yaml");
        File.WriteAllText(path, text);
        return path;
    }

    /// <summary>`fedsim compare FILE ARGS` on a worker thread, failed after <see cref="Bound"/>; results, if any, stay in the scratch folder.</summary>
    private Task<HostileFiles.CliRun> Compare(string path, params string[] args) =>
        Task.Run(() => HostileFiles.Cli(["compare", path, "--output", Path.Combine(_dir, "results"), .. args])).WaitAsync(Bound);
}
