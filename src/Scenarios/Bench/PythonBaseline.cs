using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace FedSim.Scenarios.Bench;

/// <summary>A Python interpreter that can <c>import torch</c>.</summary>
public sealed record PythonWithTorch(string Executable, string TorchVersion);

/// <summary>What the baseline printed (its JSON object), or why it did not run.</summary>
public sealed record BaselineOutcome(string? Python, string? Script, JsonObject? Report, string? Skipped);

/// <summary>
/// Finds and runs <c>bench/baseline.py</c>, the plain-PyTorch per-client loop the bench compares against.
/// Nothing here is required: with no Python, no torch or no script the bench says so and carries on.
/// </summary>
public static class PythonBaseline
{
    public const string ScriptRelativePath = "bench/baseline.py";

    /// <summary>Interpreters to try, in order: --python, FEDSIM_PYTHON, python3 on PATH, then Debian's /usr/bin/python3
    /// (where apt's python3-torch lives when python3 on PATH is a pyenv or venv Python without torch).</summary>
    public static IReadOnlyList<string> DefaultCandidates(string? explicitPath)
    {
        var list = new List<string>();
        if (!string.IsNullOrWhiteSpace(explicitPath)) list.Add(explicitPath);
        if (Environment.GetEnvironmentVariable("FEDSIM_PYTHON") is { Length: > 0 } env) list.Add(env);
        list.Add("python3");
        list.Add("/usr/bin/python3");
        return list.Distinct().ToList();
    }

    /// <summary>The first candidate that runs and imports torch, or null when none does (never throws).</summary>
    public static PythonWithTorch? FindPython(IEnumerable<string> candidates, TimeSpan? probeTimeout = null)
    {
        foreach (string candidate in candidates)
        {
            var probe = Run(candidate, ["-c", "import torch; print(torch.__version__)"], probeTimeout ?? TimeSpan.FromSeconds(60));
            if (probe is { ExitCode: 0 } ok && ok.Stdout.Trim() is { Length: > 0 } version)
                return new PythonWithTorch(candidate, version.Split('\n')[^1].Trim());
        }
        return null;
    }

    /// <summary>
    /// <c>bench/baseline.py</c> found by walking up from each start folder (the program's folder, then the current
    /// folder), so it is found both in a repository checkout and next to a published program that carries it.
    /// </summary>
    public static string? LocateScript(IEnumerable<string> startDirectories)
    {
        foreach (string start in startDirectories)
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                string candidate = Path.Combine(dir.FullName, ScriptRelativePath);
                if (File.Exists(candidate)) return candidate;
            }
        }
        return null;
    }

    public static IReadOnlyList<string> DefaultScriptSearchStarts() => [AppContext.BaseDirectory, Directory.GetCurrentDirectory()];

    /// <summary>
    /// The baseline's arguments for the sizes FedSim itself ran, so both sides do the same work, with the same total
    /// number of compute threads (<paramref name="totalThreads"/>: FedSim's pool workers x torch intra-op threads),
    /// which the baseline splits between torch and its BLAS so that they do not oversubscribe the cores.
    /// </summary>
    public static IReadOnlyList<string> Arguments(bool cuda, BenchSizes sizes, RoundMeasurement? round, int totalThreads)
    {
        static string I(int v) => v.ToString(CultureInfo.InvariantCulture);
        var args = new List<string>
        {
            "--json", "--batched", "--device", cuda ? "cuda" : "cpu", "--threads", I(Math.Max(1, totalThreads)),
            "--mlp-clients", I(sizes.Mlp.Devices), "--mlp-steps", I(sizes.Mlp.Steps), "--mlp-batch", I(sizes.Mlp.Batch),
            "--mlp-hidden", string.Join(',', BenchSizes.MlpHidden),
            "--cnn-clients", I(sizes.Cnn.Devices), "--cnn-steps", I(sizes.Cnn.Steps), "--cnn-batch", I(sizes.Cnn.Batch),
            "--lstm-clients", I(sizes.Lstm.Devices), "--lstm-steps", I(sizes.Lstm.Steps), "--lstm-batch", I(sizes.Lstm.Batch),
            "--transformer-clients", I(sizes.Transformer.Devices), "--transformer-steps", I(sizes.Transformer.Steps),
            "--transformer-batch", I(sizes.Transformer.Batch),
        };
        if (round is null)
        {
            args.AddRange(["--workloads", "mlp,cnn,lstm,transformer"]);
            return args;
        }
        args.AddRange([
            "--workloads", "mlp,cnn,lstm,transformer,round",
            "--round-clients", I(round.Devices),
            "--round-samples", I((int)Math.Round(round.MeanSamplesPerDevice)),
            "--round-batch", I(round.Batch), "--round-epochs", I(round.Epochs),
            "--round-features", I(round.Features), "--round-classes", I(round.Classes),
            "--round-hidden", string.Join(',', round.Hidden), "--round-eval", I(round.EvaluationSamples),
        ]);
        return args;
    }

    /// <summary>
    /// Runs the baseline; a failure becomes a <see cref="BaselineOutcome.Skipped"/> reason, not an exception. Cancelling
    /// <paramref name="cancellationToken"/> (Ctrl+C, SIGTERM) stops the Python process too, then throws.
    /// </summary>
    public static BaselineOutcome Run(PythonWithTorch python, string script, IReadOnlyList<string> arguments, TimeSpan timeout,
        CancellationToken cancellationToken = default)
    {
        var result = Run(python.Executable, [script, .. arguments], timeout, cancellationToken);
        cancellationToken.ThrowIfCancellationRequested();
        if (result is null) return new BaselineOutcome(python.Executable, script, null, $"could not start {python.Executable}");
        if (result.TimedOut) return new BaselineOutcome(python.Executable, script, null, $"baseline.py ran past {timeout.TotalMinutes:0} minutes and was stopped");
        if (result.ExitCode != 0)
            return new BaselineOutcome(python.Executable, script, null, $"baseline.py exited with {result.ExitCode}: {LastLine(result.Stderr)}");
        try
        {
            string json = result.Stdout.Trim().Split('\n')[^1];
            if (JsonNode.Parse(json) is JsonObject report) return new BaselineOutcome(python.Executable, script, report, null);
        }
        catch (JsonException) { }
        return new BaselineOutcome(python.Executable, script, null, "baseline.py printed no JSON object");
    }

    private sealed record ProcessResult(int ExitCode, string Stdout, string Stderr, bool TimedOut);

    private static ProcessResult? Run(string executable, IEnumerable<string> arguments, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        var info = new ProcessStartInfo(executable)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string a in arguments) info.ArgumentList.Add(a);
        Process? process;
        try { process = Process.Start(info); }
        catch (Exception e) when (e is System.ComponentModel.Win32Exception or FileNotFoundException or InvalidOperationException)
        {
            return null; // not installed / not on PATH
        }
        if (process is null) return null;
        using (process)
        {
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            // A signal to fedsim alone (SIGTERM) does not reach the child: stop it ourselves.
            using var stop = cancellationToken.Register(() =>
            {
                try { process.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
            });
            if (!process.WaitForExit(timeout))
            {
                try { process.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
                process.WaitForExit();
                return new ProcessResult(-1, stdout.Result, stderr.Result, true);
            }
            process.WaitForExit(); // flushes the redirected streams
            return new ProcessResult(process.ExitCode, stdout.Result, stderr.Result, false);
        }
    }

    private static string LastLine(string text)
        => text.Trim().Split('\n').LastOrDefault()?.Trim() is { Length: > 0 } line ? line : "(no message)";
}
