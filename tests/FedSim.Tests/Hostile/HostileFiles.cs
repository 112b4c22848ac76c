using System.IO.Compression;
using System.Text;
using FedSim.Scenarios.Cli;

namespace FedSim.Tests.Hostile;

/// <summary>A scratch folder for hostile-input tests, and the real CLI entry point run in-process.</summary>
public sealed class HostileFiles : IDisposable
{
    public HostileFiles()
    {
        Root = Path.Combine(Path.GetTempPath(), "fedsim-hostile-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Root);
    }

    public string Root { get; }

    /// <summary>A fresh folder for one case.</summary>
    public string Folder(string name)
    {
        string dir = Path.Combine(Root, string.Concat(name.Select(c => char.IsLetterOrDigit(c) ? c : '-')));
        Directory.CreateDirectory(dir);
        return dir;
    }

    public void Dispose()
    {
        try { Directory.Delete(Root, recursive: true); } catch (IOException) { }
    }

    public sealed record CliRun(int Exit, string Out, string Error);

    /// <summary>Runs `fedsim ARGS` through <see cref="FedSimCli.RunAsync"/> with the real services (no stack traces on).</summary>
    public static async Task<CliRun> Cli(params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        int exit = await FedSimCli.RunAsync(args, stdout, stderr, new CliServices { Debug = false });
        return new CliRun(exit, stdout.ToString(), stderr.ToString());
    }

    /// <summary>The CLI's promise for bad input: exit 2, the message, and no stack trace or exception type name.</summary>
    public static void AssertRejected(CliRun run, string location, string phrase)
    {
        Assert.True(run.Exit == ExitCodes.InvalidInput, $"exit {run.Exit}, expected 2\nstdout: {run.Out}\nstderr: {run.Error}");
        Assert.True(run.Error.Contains(location, StringComparison.Ordinal), $"'{location}' not in:\n{run.Error}");
        Assert.True(run.Error.Contains(phrase, StringComparison.Ordinal), $"'{phrase}' not in:\n{run.Error}");
        Assert.DoesNotContain("   at ", run.Error);
        Assert.DoesNotContain("Exception", run.Error);
        Assert.DoesNotContain("Exception", run.Out);
    }

    public static byte[] Gzip(string text) => Gzip(Encoding.UTF8.GetBytes(text));

    public static byte[] Gzip(byte[] data)
    {
        using var ms = new MemoryStream();
        using (var gz = new GZipStream(ms, CompressionLevel.Fastest)) gz.Write(data);
        return ms.ToArray();
    }
}
