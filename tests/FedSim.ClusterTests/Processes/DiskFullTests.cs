using System.Diagnostics;
using FedSim.Scenarios.Reports;

namespace FedSim.ClusterTests.Processes;

/// <summary>
/// A real <c>fedsim run</c> whose results folder's disk fills up mid-run (a small tmpfs, filled to the last byte):
/// it stops with exit 1 and a message that names the disk error and the way on, loses no finished round, counts no
/// device as failed for it, and <c>--resume</c> after freeing space ends with the uninterrupted metrics.
/// </summary>
[Collection(nameof(ProcessCollection))]
public sealed class DiskFullTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("fedsim-diskfull-").FullName;
    private string? _mounted;

    public void Dispose()
    {
        if (_mounted is not null) ScratchDisk.Unmount(_mounted);
        try { Directory.Delete(_folder, recursive: true); } catch (IOException) { }
    }

    /// <summary>SCAFFOLD, so devices write state every round: both the devices' and the coordinator's writes can hit the full disk.</summary>
    private static readonly string Scenario = ProcessScenarios.Scaffold("diskfull", rounds: 10);

    [ScratchDiskFact]
    public async Task A_full_disk_stops_the_run_with_a_located_error_and_resume_ends_with_the_uninterrupted_metrics()
    {
        // Prepare: the uninterrupted reference on the ordinary disk, and a 4 MiB disk for the run under test.
        string scenario = Path.Combine(_folder, "diskfull.yaml");
        await File.WriteAllTextAsync(scenario, Scenario);
        string reference = Path.Combine(_folder, "reference");
        Assert.Equal(0, await Scenarios.Cli.FedSimCli.RunAsync(["run", scenario, "--output", reference, "--quiet"], TextWriter.Null, TextWriter.Null));
        _mounted = ScratchDisk.Mount(Path.Combine(_folder, "disk"), "4m");
        string output = Path.Combine(_mounted, "out"), filler = Path.Combine(_mounted, "filler");

        // Execute: fill the disk once a few rounds are on it; then free it and resume.
        int exit;
        List<string> problems;
        string stderr;
        using (var fedsim = FedSimProcess.Start(_folder, "run", scenario, "--output", output, "--quiet"))
        {
            string metrics = Path.Combine(output, MetricsCsv.FileName);
            var wait = Stopwatch.StartNew();
            while (wait.Elapsed < TimeSpan.FromSeconds(60) && (!File.Exists(metrics) || File.ReadAllLines(metrics).Length < 1 + 3))
                await Task.Delay(20);
            ScratchDisk.Fill(filler);
            exit = await fedsim.WaitForExitAsync(TimeSpan.FromSeconds(90));
            problems = ProcessChecks.FolderProblems(output, summaryRequired: false).ToList();
            stderr = string.Join('\n', fedsim.Stderr);
            Assert.True(exit != 0 || MetricsCsv.Read(metrics).Count < 10, "the run finished before the disk filled:\n" + fedsim.Transcript());
        }
        int roundsKept = MetricsCsv.Read(Path.Combine(output, MetricsCsv.FileName)).Count;
        File.Delete(filler);
        var resumeError = new StringWriter();
        int resumed = await Scenarios.Cli.FedSimCli.RunAsync(["run", scenario, "--output", output, "--resume", "--quiet"], TextWriter.Null, resumeError);

        // Assert: a runtime failure (1), said in words with the way on, and no crash or stack trace.
        Assert.Equal(1, exit);
        Assert.Contains("No space left on device", stderr);
        Assert.Contains("--resume", stderr);
        Assert.DoesNotContain("   at ", stderr);
        Assert.DoesNotContain("Unhandled exception", stderr);
        Assert.Empty(problems);
        Assert.InRange(roundsKept, 3, 9);
        Assert.True(resumed == 0, resumeError.ToString());
        Assert.Equal(MetricsCsv.WithoutWallTime(await File.ReadAllTextAsync(Path.Combine(reference, MetricsCsv.FileName))),
                     MetricsCsv.WithoutWallTime(await File.ReadAllTextAsync(Path.Combine(output, MetricsCsv.FileName))));
        Assert.Equal(await File.ReadAllTextAsync(Path.Combine(reference, FailuresCsv.FileName)),
                     await File.ReadAllTextAsync(Path.Combine(output, FailuresCsv.FileName)));
    }
}

/// <summary>A tmpfs of a fixed size: a real file system that runs out of space (needs root, as CI runs).</summary>
internal static class ScratchDisk
{
    private static readonly Lazy<string?> Unavailable = new(Probe);

    /// <summary>Why no scratch disk can be mounted here, or null when one can.</summary>
    public static string? WhyUnavailable => Unavailable.Value;

    public static string Mount(string directory, string size)
    {
        Directory.CreateDirectory(directory);
        var (exit, output) = Run("mount", "-t", "tmpfs", "-o", $"size={size}", "tmpfs", directory);
        if (exit != 0) throw new InvalidOperationException($"mount of a {size} tmpfs at {directory} failed: {output}");
        return directory;
    }

    public static void Unmount(string directory) => Run("umount", "-l", directory);

    /// <summary>Writes <paramref name="file"/> until the file system refuses another byte.</summary>
    public static void Fill(string file)
    {
        var block = new byte[64 * 1024];
        try
        {
            using var stream = new FileStream(file, FileMode.Create, FileAccess.Write, FileShare.Read, 1);
            while (true) stream.Write(block);
        }
        catch (IOException) { } // ENOSPC, on a write or on the final flush: the disk is full
    }

    private static string? Probe()
    {
        if (!OperatingSystem.IsLinux() || Environment.UserName != "root") return "needs root on Linux to mount a small tmpfs (CI runs as root)";
        string probe = Directory.CreateTempSubdirectory("fedsim-mount-probe-").FullName;
        try
        {
            var (exit, output) = Run("mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", probe);
            if (exit != 0) return $"cannot mount a tmpfs here ({output.Trim()})";
            Run("umount", probe);
            return null;
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            return $"no mount command ({e.Message})";
        }
        finally
        {
            try { Directory.Delete(probe); } catch (IOException) { }
        }
    }

    private static (int Exit, string Output) Run(string program, params string[] args)
    {
        var info = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) info.ArgumentList.Add(a);
        using var process = Process.Start(info)!;
        string output = process.StandardOutput.ReadToEnd() + process.StandardError.ReadToEnd();
        process.WaitForExit();
        return (process.ExitCode, output);
    }
}

/// <summary>A fact that needs a mountable scratch disk; skipped, with the reason, where none can be mounted.</summary>
public sealed class ScratchDiskFactAttribute : FactAttribute
{
    public ScratchDiskFactAttribute()
    {
        if (ScratchDisk.WhyUnavailable is { } why) Skip = why;
    }
}
