using System.Runtime.InteropServices;
using System.Text.Json.Serialization;
using FedSim.Compute;
using FedSim.Scenario;

namespace FedSim.Scenarios.Reports;

/// <summary>One file a run read: what it was for, where it was, and exactly which bytes (summary.json "provenance.files").</summary>
/// <param name="Role">"dataset", "model.init" or "heterogeneity.trace": the scenario key that led to it.</param>
/// <param name="Path">Full path, as resolved (a dataset given without a path names the well-known folder it was found in).</param>
/// <param name="Bytes">Its size; null when it could no longer be read when the run ended (then <paramref name="Sha256"/> is null too).</param>
public sealed record ProvenanceFile(string Role, string Path, long? Bytes, string? Sha256);

/// <summary>
/// summary.json's "provenance": what produced the numbers, so that a reader can tell two results folders apart (or
/// know they match) without the machine they came from: the FedSim build, the runtime and native libraries, the
/// machine, the command, and every file read with its SHA-256 (<see cref="FileHashes"/>).
/// </summary>
public sealed record Provenance
{
    /// <summary>The commit FedSim was built from (from its informational version); null when the build did not record one.</summary>
    public string? Commit { get; init; }
    [JsonPropertyName("dotnet")] public required string Dotnet { get; init; }
    [JsonPropertyName("torchsharp")] public required string TorchSharp { get; init; }
    /// <summary>The libtorch package or PyTorch installation (<see cref="TorchBuildInfo.Libtorch"/>).</summary>
    public string? Libtorch { get; init; }
    public string? LibtorchFile { get; init; }
    public string? Blas { get; init; }
    public int? TorchThreads { get; init; }
    /// <summary>The compute pool's device ("cpu", "cuda:0"); null when this process ran no pool (a cluster client).</summary>
    public string? ComputeDevice { get; init; }
    [JsonPropertyName("os")] public required string Os { get; init; }
    public required string Cpu { get; init; }
    public required int Cores { get; init; }
    /// <summary>The fedsim command and its arguments (<see cref="Command"/>), else the process's own command line.</summary>
    public required IReadOnlyList<string> CommandLine { get; init; }
    public required string WorkingDirectory { get; init; }
    public required IReadOnlyList<ProvenanceFile> Files { get; init; }

    /// <summary>
    /// The command being run ("fedsim", "run", "file.yaml", ...), set where the command line is parsed; it flows with
    /// the command's asynchronous calls, so commands run side by side in one process (tests) each record their own.
    /// </summary>
    public static readonly AsyncLocal<IReadOnlyList<string>?> Command = new();

    /// <summary>
    /// The provenance of a run of <paramref name="spec"/> (resolved: absolute paths) in this process, which read the
    /// dataset files <paramref name="datasetFiles"/>.
    /// </summary>
    public static Provenance Collect(ScenarioSpec spec, IReadOnlyList<string> datasetFiles, string? computeDevice)
    {
        var torch = TorchBuild.Describe();
        var files = datasetFiles.Select(f => Read("dataset", f)).ToList();
        if (spec.Model.Init is { Length: > 0 } init) files.Add(Read("model.init", init));
        if (spec.Heterogeneity.Trace is { Length: > 0 } trace) files.Add(Read("heterogeneity.trace", trace));
        return new Provenance
        {
            Commit = RunSummary.CurrentVersion.Split('+') is [_, var commit] ? commit : null,
            Dotnet = RuntimeInformation.FrameworkDescription,
            TorchSharp = torch.TorchSharp,
            Libtorch = torch.Libtorch,
            LibtorchFile = torch.LibtorchFile,
            Blas = torch.Blas,
            TorchThreads = torch.Threads,
            ComputeDevice = computeDevice,
            Os = $"{RuntimeInformation.OSDescription} ({RuntimeInformation.OSArchitecture})",
            Cpu = CpuModel(),
            Cores = Environment.ProcessorCount,
            CommandLine = Command.Value ?? Environment.GetCommandLineArgs(),
            WorkingDirectory = Environment.CurrentDirectory,
            Files = files,
        };
    }

    /// <summary>A file's record; one moved or made unreadable since the run read it is named without a hash, never failing the run.</summary>
    private static ProvenanceFile Read(string role, string path)
    {
        try
        {
            var (bytes, sha) = FileHashes.Of(path);
            return new ProvenanceFile(role, Path.GetFullPath(path), bytes, sha);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return new ProvenanceFile(role, Path.GetFullPath(path), null, null);
        }
    }

    /// <summary>The CPU's model name (/proc/cpuinfo), or the architecture where the system does not say.</summary>
    private static string CpuModel()
    {
        const string cpuinfo = "/proc/cpuinfo";
        if (File.Exists(cpuinfo)
            && File.ReadLines(cpuinfo).FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal)) is { } line)
            return line.Split(':', 2)[1].Trim();
        return RuntimeInformation.ProcessArchitecture.ToString();
    }
}
