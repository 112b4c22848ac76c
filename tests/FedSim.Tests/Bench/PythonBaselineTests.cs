using FedSim.Scenarios.Bench;

namespace FedSim.Tests.Bench;

public sealed class PythonBaselineTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("fedsim-bench-test-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Fact]
    public void Python_discovery_returns_null_when_no_candidate_exists_or_imports_torch()
    {
        // Prepare: one interpreter that does not exist, one program that runs but fails ("false").
        string[] candidates = [Path.Combine(_root, "no-such-python"), "false"];

        // Execute
        var found = PythonBaseline.FindPython(candidates);

        // Assert
        Assert.Null(found);
    }

    [Fact]
    public void Python_discovery_takes_the_first_candidate_that_imports_torch()
    {
        string fake = FakePython.Write(_root, "{}");

        var found = PythonBaseline.FindPython([Path.Combine(_root, "missing"), fake]);

        Assert.NotNull(found);
        Assert.Equal(fake, found.Executable);
        Assert.Equal("9.9.9-fake", found.TorchVersion);
    }

    [Fact]
    public void Script_is_found_by_walking_up_from_a_nested_folder_and_not_found_elsewhere()
    {
        // Prepare: <root>/repo/bench/baseline.py and a program folder deep below the repo.
        string repo = Directory.CreateDirectory(Path.Combine(_root, "repo")).FullName;
        Directory.CreateDirectory(Path.Combine(repo, "bench"));
        File.WriteAllText(Path.Combine(repo, "bench", "baseline.py"), "print('hi')");
        string program = Directory.CreateDirectory(Path.Combine(repo, "src", "Scenarios", "bin", "Debug", "net10.0")).FullName;
        string elsewhere = Directory.CreateDirectory(Path.Combine(_root, "elsewhere")).FullName;

        // Execute
        string? fromProgram = PythonBaseline.LocateScript([program]);
        string? fromElsewhere = PythonBaseline.LocateScript([elsewhere]);

        // Assert
        Assert.Equal(Path.Combine(repo, "bench", "baseline.py"), fromProgram);
        Assert.Null(fromElsewhere);
    }

    [Fact]
    public void The_repository_baseline_script_is_found_from_the_test_binaries()
        => Assert.NotNull(PythonBaseline.LocateScript([AppContext.BaseDirectory]));

    [Fact]
    public void Baseline_arguments_pass_the_sizes_fedsim_ran()
    {
        var sizes = BenchSizes.Quick;
        var round = new RoundMeasurement(20, 99.6, 10, 1, 20, 2, [64], 500, 200, 1, 0.5, 0.5, 1, 16, 20);

        var args = PythonBaseline.Arguments(cuda: false, sizes, round, totalThreads: 2);

        string After(string flag) => args[args.ToList().IndexOf(flag) + 1];
        Assert.Equal("cpu", After("--device"));
        Assert.Equal(sizes.Mlp.Devices.ToString(), After("--mlp-clients"));
        Assert.Equal(sizes.Cnn.Steps.ToString(), After("--cnn-steps"));
        Assert.Equal("100", After("--round-samples")); // the mean shard size, rounded
        Assert.Equal("20", After("--round-features"));
        Assert.Equal(sizes.Lstm.Devices.ToString(), After("--lstm-clients"));
        Assert.Equal(sizes.Transformer.Batch.ToString(), After("--transformer-batch"));
        Assert.Equal("mlp,cnn,lstm,transformer,round", After("--workloads"));
        Assert.Equal("2", After("--threads"));
    }
}

/// <summary>A shell script that answers like a Python with torch: a version for the probe, fixed JSON for the baseline.</summary>
internal static class FakePython
{
    public static string Write(string folder, string json)
    {
        string path = Path.Combine(folder, "fake-python");
        File.WriteAllText(path,
            "#!/bin/sh\n" +
            "if [ \"$1\" = \"-c\" ]; then echo 9.9.9-fake; exit 0; fi\n" +
            $"cat <<'JSON'\n{json}\nJSON\n");
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        return path;
    }
}

/// <summary>A fact that needs a Python that can import torch (Debian: apt-get install python3-torch); skipped without one.</summary>
public sealed class PythonTorchFactAttribute : FactAttribute
{
    internal static readonly Lazy<PythonWithTorch?> Python = new(() => PythonBaseline.FindPython(PythonBaseline.DefaultCandidates(null)));

    public PythonTorchFactAttribute()
    {
        if (Python.Value is null) Skip = "no Python with torch (apt-get install python3-torch, or set FEDSIM_PYTHON)";
    }
}

public sealed class BaselineScriptTests
{
    [PythonTorchFact]
    public void Baseline_names_the_blas_it_loaded_and_keeps_to_the_thread_budget()
    {
        // Prepare
        var python = PythonTorchFactAttribute.Python.Value!;
        string script = PythonBaseline.LocateScript([AppContext.BaseDirectory])!;

        // Execute: a tiny MLP loop with FedSim's 2 threads.
        var outcome = PythonBaseline.Run(python, script,
            ["--json", "--workloads", "mlp", "--mlp-clients", "1", "--mlp-steps", "2", "--mlp-batch", "8", "--threads", "2"], TimeSpan.FromMinutes(2));

        // Assert: the library is the one mapped into the process (a real file), and torch x BLAS threads stay within 2.
        var report = outcome.Report ?? throw new Xunit.Sdk.XunitException(outcome.Skipped);
        var blas = report["blas"]!;
        string library = (string)blas["library"]!;
        Assert.DoesNotContain("generic", library);
        string threading = (string)blas["threading"]!;
        int torchThreads = (int)report["threads"]!;
        if (threading is "pthreads" or "own pool")
        {
            Assert.Equal(2, torchThreads * (int)blas["threads"]!);
            Assert.True(File.Exists((string)blas["path"]!), (string?)blas["path"]);
        }
        else
        {
            Assert.Equal(2, torchThreads);
        }
        Assert.Equal(2, (int)report["threads_total"]!);
    }

    [PythonTorchFact]
    public void Vmap_updates_equal_the_per_client_loops()
    {
        // Prepare
        var python = PythonTorchFactAttribute.Python.Value!;
        string script = PythonBaseline.LocateScript([AppContext.BaseDirectory])!;

        // Execute: three clients, three steps of the MLP and the CNN, trained by vmap(grad(...)) and by the loop from the same
        // weights on the same batches (the language models take minutes on two cores; bench/README.md has their figures).
        var outcome = PythonBaseline.Run(python, script,
            ["--check", "--workloads", "mlp,cnn", "--mlp-batch", "8", "--cnn-batch", "4", "--cnn-channels", "4,8", "--cnn-dense", "16", "--threads", "2"],
            TimeSpan.FromMinutes(5));

        // Assert
        var report = outcome.Report ?? throw new Xunit.Sdk.XunitException(outcome.Skipped);
        foreach (string workload in new[] { "mlp", "cnn" })
        {
            double difference = (double)report["check"]![workload]!["max_relative_difference"]!;
            Assert.True(difference is >= 0 and < 1e-4, $"{workload}: vmap vs loop {difference:E2}");
        }
    }
}
