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

        var args = PythonBaseline.Arguments(cuda: false, sizes, round);

        string After(string flag) => args[args.ToList().IndexOf(flag) + 1];
        Assert.Equal("cpu", After("--device"));
        Assert.Equal(sizes.Mlp.Devices.ToString(), After("--mlp-clients"));
        Assert.Equal(sizes.Cnn.Steps.ToString(), After("--cnn-steps"));
        Assert.Equal("100", After("--round-samples")); // the mean shard size, rounded
        Assert.Equal("20", After("--round-features"));
        Assert.Equal("mlp,cnn,round", After("--workloads"));
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
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        return path;
    }
}
