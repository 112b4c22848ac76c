using System.Text.RegularExpressions;
using FedSim.Scenarios.Cli;
using FedSim.Scenarios.Reports;

namespace FedSim.ClusterTests;

/// <summary>
/// Shipped examples, shortened, give byte for byte the result files recorded in <c>Golden/&lt;cpu&gt;/</c>: a refactoring
/// that changes a single number, a row's order or a column fails here. The numbers are bitwise reproducible on one CPU
/// kind only (MKL and oneDNN pick their kernels by instruction set), so each CPU kind has its own recording; a CPU
/// without one skips with how to record it. Record only from a commit whose outputs are known good
/// (<c>FEDSIM_GOLDEN_UPDATE=1 dotnet test tests/FedSim.ClusterTests --filter GoldenOutputTests</c>), never to make a
/// change pass.
/// </summary>
public sealed partial class GoldenOutputTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("fedsim-golden-").FullName;

    /// <summary>Each case: the example, the command, the edits that shorten it, and the result files compared.</summary>
    public static TheoryData<string> Cases => ["quickstart", "mnist-fedavg", "secure-aggregation", "attack"];

    private static (string Example, string Command, (string Pattern, string Replacement)[] Edits, string[] Files) Case(string name) => name switch
    {
        "quickstart" => ("quickstart.yaml", "run", [(@"(?m)^(\s*rounds:) 60\b", "$1 4")], RunFiles),
        "mnist-fedavg" => ("mnist-iid-fedavg.yaml", "run", [(@"(?m)^(\s*rounds:) 200\b", "$1 2")], RunFiles),
        "secure-aggregation" => ("location-attack-secagg.yaml", "run", [(@"(?m)^(\s*rounds:) 30\b", "$1 3")], RunFiles),
        "attack" => ("location-attack.yaml", "attack",
            [(@"(?m)^(\s*rounds:) 30\b", "$1 3"), (@"(?m)^(\s*every:) 30\b", "$1 3"),
             (@"reference_models: 8\b", "reference_models: 4"), (@"reference_epochs: 30\b", "reference_epochs: 3")],
            [.. RunFiles, "attack.json", "attack_devices.csv"]),
        _ => throw new ArgumentOutOfRangeException(nameof(name), name, "no such golden case"),
    };

    private static readonly string[] RunFiles = ["metrics.csv", "clients.csv", "failures.csv", "devices.csv"];

    [GoldenTheory, MemberData(nameof(Cases))]
    public async Task Shipped_example_gives_its_recorded_result_files(string name)
    {
        // Prepare
        var (example, command, edits, files) = Case(name);
        string golden = Path.Combine(GoldenRoot, CpuKind, name);
        bool update = Updating;
        string scenario = ShortenedExample(example, edits);
        string output = Path.Combine(_folder, name);

        // Execute
        var stderr = new StringWriter();
        int exit = await FedSimCli.RunAsync([command, scenario, "--output", output, "--quiet"], TextWriter.Null, stderr);

        // Assert
        Assert.True(exit == 0, $"{command} {example} exited {exit}: {stderr}");
        foreach (string file in files)
        {
            string actual = Comparable(file, await File.ReadAllTextAsync(Path.Combine(output, file)));
            string expectedPath = Path.Combine(golden, file);
            if (update)
            {
                Directory.CreateDirectory(golden);
                await File.WriteAllTextAsync(expectedPath, actual);
                continue;
            }
            string expected = await File.ReadAllTextAsync(expectedPath);
            Assert.True(expected == actual, $"{name}: {file} differs from {expectedPath} at line {FirstDifferentLine(expected, actual)}");
        }
    }

    /// <summary>metrics.csv loses its wall_seconds column, the only one that differs between runs.</summary>
    private static string Comparable(string file, string text) => file == "metrics.csv" ? MetricsCsv.WithoutWallTime(text) : text;

    private static int FirstDifferentLine(string expected, string actual)
    {
        string[] a = expected.Split('\n'), b = actual.Split('\n');
        int i = 0;
        while (i < a.Length && i < b.Length && a[i] == b[i]) i++;
        return i + 1;
    }

    /// <summary>The example with its edits applied (each must match) and its dataset path made absolute.</summary>
    private string ShortenedExample(string example, (string Pattern, string Replacement)[] edits)
    {
        string examples = Path.Combine(RepositoryRoot, "src", "Scenarios", "examples");
        string text = File.ReadAllText(Path.Combine(examples, example));
        foreach (var (pattern, replacement) in edits)
        {
            Assert.Matches(pattern, text);
            text = Regex.Replace(text, pattern, replacement);
        }
        text = DatasetPath().Replace(text, m => m.Groups[1].Value + DatasetFolder(examples, m.Groups[2].Value));
        string path = Path.Combine(_folder, example);
        File.WriteAllText(path, text);
        return path;
    }

    /// <summary>A dataset folder as the example names it, or under $FEDSIM_SHARED_DATASETS when that is set.</summary>
    private static string DatasetFolder(string examples, string relative)
    {
        string local = Path.GetFullPath(Path.Combine(examples, relative));
        if (Environment.GetEnvironmentVariable("FEDSIM_SHARED_DATASETS") is { Length: > 0 } root)
            return Path.Combine(root, Path.GetFileName(local));
        return local;
    }

    [GeneratedRegex(@"(?m)^(\s*path:\s*)(\S+)")]
    private static partial Regex DatasetPath();

    internal static bool Updating => Environment.GetEnvironmentVariable("FEDSIM_GOLDEN_UPDATE") == "1";

    internal static string RepositoryRoot { get; } = FindRepositoryRoot();

    internal static string GoldenRoot => Path.Combine(RepositoryRoot, "tests", "FedSim.ClusterTests", "Golden");

    private static string FindRepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "FedSim.sln"))) return dir.FullName;
        throw new DirectoryNotFoundException($"no FedSim.sln above {AppContext.BaseDirectory}");
    }

    /// <summary>
    /// The CPU kind the recordings are valid for: the model name and the vector extensions MKL and oneDNN choose
    /// kernels by (e.g. "intel-xeon-processor-avx2-avx512f-avx512-bf16-amx-tile").
    /// </summary>
    internal static string CpuKind { get; } = ReadCpuKind();

    private static string ReadCpuKind()
    {
        if (!File.Exists("/proc/cpuinfo")) return "unknown-cpu";
        var lines = File.ReadLines("/proc/cpuinfo").ToList();
        string model = lines.FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1] ?? "unknown";
        var flags = (lines.FirstOrDefault(l => l.StartsWith("flags", StringComparison.Ordinal))?.Split(':', 2)[1] ?? "")
            .Split(' ', StringSplitOptions.RemoveEmptyEntries).ToHashSet();
        string[] kernelChoosing = ["avx2", "avx512f", "avx512_bf16", "avx512_vnni", "amx_tile"];
        string name = model + " " + string.Join(' ', kernelChoosing.Where(flags.Contains));
        return NotAlphanumeric().Replace(name.Replace("(R)", "").Replace("(TM)", "").ToLowerInvariant(), "-").Trim('-');
    }

    [GeneratedRegex("[^a-z0-9]+")]
    private static partial Regex NotAlphanumeric();

    public void Dispose()
    {
        try { Directory.Delete(_folder, recursive: true); }
        catch (IOException) { }
    }
}

/// <summary>Skips, saying how to record them, on a CPU kind without golden outputs (unless recording).</summary>
public sealed class GoldenTheoryAttribute : TheoryAttribute
{
    public GoldenTheoryAttribute()
    {
        if (!GoldenOutputTests.Updating && !Directory.Exists(Path.Combine(GoldenOutputTests.GoldenRoot, GoldenOutputTests.CpuKind)))
            Skip = $"no golden outputs for this CPU kind ({GoldenOutputTests.CpuKind}) in {GoldenOutputTests.GoldenRoot}; " +
                   "record them from a known-good commit with FEDSIM_GOLDEN_UPDATE=1";
    }
}
