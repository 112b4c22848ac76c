using System.Diagnostics;
using FedSim.Compute;

namespace FedSim.Tests.Scenarios;

/// <summary>A fact that packs and installs the tool: about a minute and 2 GB of disk, so it runs only with FEDSIM_TOOL_TEST=1.</summary>
public sealed class ToolInstallFactAttribute : FactAttribute
{
    public const string Variable = "FEDSIM_TOOL_TEST";

    public ToolInstallFactAttribute()
    {
        if (Environment.GetEnvironmentVariable(Variable) != "1")
            Skip = $"packs and installs the fedsim .NET tool (about a minute, 2 GB of disk); set {Variable}=1 to run it.";
    }
}

/// <summary>
/// `fedsim` as a .NET tool, installed the way the README says: dotnet pack, then dotnet tool install from the package
/// folder into a tool path. The installed command must print its help and train a model, which loads TorchSharp's
/// native libraries from the installed copy (patched by build/ElfVersionPatch.targets where the system needs it).
/// </summary>
public sealed class ToolInstallTests
{
    [ToolInstallFact]
    public void Packed_tool_installs_prints_help_and_trains_with_its_own_native_libraries()
    {
        // Prepare
        string work = Path.Combine(Path.GetTempPath(), "fedsim-tool-test-" + Guid.NewGuid().ToString("N"));
        string packages = Path.Combine(work, "packages"), tools = Path.Combine(work, "tools");
        Directory.CreateDirectory(work);
        File.WriteAllText(Path.Combine(work, "tiny.yaml"),
            "name: tiny\ndevices: 2\ndataset:\n  samples: 200\ntraining:\n  rounds: 1\n  devices_per_round: 2\n");
        try
        {
            // Execute
            var pack = Run("dotnet", ["pack", Path.Combine(ScenarioTestFiles.RepositoryRoot, "src", "Scenarios"), "-c", "Release", "-o", packages], work);
            var install = Run("dotnet", ["tool", "install", "--tool-path", tools, "--add-source", packages, "fedsim"], work);
            string fedsim = Path.Combine(tools, OperatingSystem.IsWindows() ? "fedsim.exe" : "fedsim");
            var help = Run(fedsim, ["--help"], work);
            var run = Run(fedsim, ["run", "tiny.yaml", "--quiet", "--output", Path.Combine(work, "out")], work);

            // Assert
            Assert.True(pack.Exit == 0, pack.Output);
            Assert.True(install.Exit == 0, install.Output);
            Assert.True(help.Exit == 0, help.Output);
            Assert.Contains("Usage:", help.Output);
            Assert.Contains("validate", help.Output);
            Assert.True(run.Exit == 0, run.Output);
            Assert.Contains("tiny: 1/1 rounds", run.Output);
            if (OperatingSystem.IsLinux() && ElfVersionRequirements.FindSystemLibStdCxx() is { } libstdcxx)
            {
                string installed = Directory.GetFiles(Path.Combine(tools, ".store"), ElfVersionRequirements.TorchSharpNativeLibrary, SearchOption.AllDirectories)
                    .Single(p => p.Contains("linux-x64", StringComparison.Ordinal));
                bool systemHasIt = ElfVersionRequirements.ReadDefinitions(libstdcxx).Contains(ElfVersionRequirements.PatchedVersion);
                var requirement = ElfVersionRequirements.Read(installed).Single(r => r.Name == ElfVersionRequirements.PatchedVersion);
                Assert.Equal(!systemHasIt, requirement.IsWeak);
            }
        }
        finally
        {
            try { Directory.Delete(work, recursive: true); } catch (IOException) { }
        }
    }

    private static (int Exit, string Output) Run(string file, string[] args, string directory)
    {
        var info = new ProcessStartInfo(file) { WorkingDirectory = directory, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) info.ArgumentList.Add(a);
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromMinutes(5)))
        {
            process.Kill(entireProcessTree: true);
            return (-1, $"{file} {string.Join(' ', args)} timed out after 5 minutes");
        }
        return (process.ExitCode, $"{file} {string.Join(' ', args)}\n{stdout.Result}{stderr.Result}");
    }
}
