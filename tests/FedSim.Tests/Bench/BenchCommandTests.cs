using System.CommandLine;
using System.Text.Json.Nodes;
using FedSim.Scenarios.Bench;

namespace FedSim.Tests.Bench;

/// <summary>Runs the whole bench once at toy sizes, with a fake Python standing in for the PyTorch baseline.</summary>
public sealed class TinyBenchRun : IAsyncLifetime
{
    public static BenchSizes TinySizes { get; } = new(
        new TrainingWorkloadSize(Devices: 3, Steps: 2, Batch: 4),
        new TrainingWorkloadSize(Devices: 2, Steps: 1, Batch: 2),
        new TrainingWorkloadSize(Devices: 2, Steps: 1, Batch: 2),
        new TrainingWorkloadSize(Devices: 2, Steps: 1, Batch: 2),
        new RoundWorkloadSize(Devices: 4, SamplesPerDevice: 20, Batch: 10, Epochs: 1, Hidden: [8], EvaluationSamples: 50),
        MatmulSize: 32, MatmulRepetitions: 2);

    // What the fake baseline prints: the keys bench reads, with round figures.
    private static readonly string BaselineJson =
        ("{'torch_version': '9.9.9-fake', 'device': 'cpu', 'threads': 2, 'blas_info': 'fake', 'workloads': {" +
         "'mlp': {'device_steps_per_second': 10.0}, 'mlp_batched': {'device_steps_per_second': 20.0}, " +
         "'cnn': {'device_steps_per_second': 1.0}, 'lstm': {'device_steps_per_second': 0.5}, 'transformer': {'device_steps_per_second': 4.0}, " +
         "'mlp_vmap': {'device_steps_per_second': 40.0}, 'cnn_vmap': {'mode': 'vmap', 'error': 'RuntimeError: no batching rule'}, " +
         "'round': {'seconds': 2.0}}, 'functional_api': 'functorch'}").Replace('\'', '"');

    private readonly string _folder = Directory.CreateTempSubdirectory("fedsim-bench-run-").FullName;

    public int ExitCode { get; private set; }
    public string Stdout { get; private set; } = "";
    public string Stderr { get; private set; } = "";
    public string OutputFile => Path.Combine(_folder, "out", "bench.json");

    public async Task InitializeAsync()
    {
        var environment = new BenchEnvironment(TinySizes, [FakePython.Write(_folder, BaselineJson)], [AppContext.BaseDirectory]);
        (ExitCode, Stdout, Stderr) = await BenchCli.RunAsync(environment, "bench", "--device", "cpu", "--json", "--output", OutputFile);
    }

    public Task DisposeAsync()
    {
        Directory.Delete(_folder, recursive: true);
        return Task.CompletedTask;
    }
}

internal static class BenchCli
{
    public static async Task<(int Exit, string Stdout, string Stderr)> RunAsync(BenchEnvironment? environment, params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var root = new RootCommand("test");
        root.Subcommands.Add(BenchCommand.Create(stdout, stderr, environment));
        int exit = await root.Parse(args).InvokeAsync();
        return (exit, stdout.ToString(), stderr.ToString());
    }
}

public sealed class BenchCommandTests(TinyBenchRun run) : IClassFixture<TinyBenchRun>
{
    [Fact]
    public void Json_report_holds_every_measure()
    {
        // Prepare / Execute: the fixture ran `bench --device cpu --json` at toy sizes.
        Assert.True(run.ExitCode == 0, run.Stderr);
        var json = JsonNode.Parse(run.Stdout)!.AsObject();

        // Assert: the top level and each section carry their keys.
        foreach (string key in new[] { "device", "device_name", "torch_threads", "quick", "torch_sharp_version", "matmul", "mlp", "cnn", "round", "memory", "baseline", "notes" })
            Assert.True(json.ContainsKey(key), $"missing '{key}'");
        Assert.Equal("cpu", (string?)json["device"]);
        foreach (string workload in new[] { "mlp", "cnn" })
        {
            var w = json[workload]!.AsObject();
            foreach (string key in new[] { "devices", "steps", "batch", "flops_per_device_step", "one_by_one", "batched_pool_cohort", "batched_all", "speedup_pool_cohort", "speedup_all", "peak_fraction" })
                Assert.True(w.ContainsKey(key), $"missing '{workload}.{key}'");
            foreach (string mode in new[] { "one_by_one", "batched_pool_cohort", "batched_all" })
                foreach (string key in new[] { "mode", "cohort_size", "device_steps", "seconds", "gflops", "device_steps_per_second" })
                    Assert.True(w[mode]!.AsObject().ContainsKey(key), $"missing '{workload}.{mode}.{key}'");
        }
        foreach (string key in new[] { "wall_seconds", "pool_busy_seconds", "orleans_overhead", "device_steps", "pool_workers", "pool_max_cohort_size" })
            Assert.True(json["round"]!.AsObject().ContainsKey(key), $"missing 'round.{key}'");
        Assert.True((long)json["memory"]!["peak_working_set_bytes"]! > 0);
        Assert.Null(json["memory"]!["cuda_max_allocated_bytes"]);
    }

    [Fact]
    public void Every_workload_trains_exactly_its_device_steps_and_ratios_are_positive()
    {
        var json = JsonNode.Parse(run.Stdout)!;
        var sizes = TinyBenchRun.TinySizes;

        foreach (var (workload, size) in new[] { ("mlp", sizes.Mlp), ("cnn", sizes.Cnn) })
        {
            foreach (string mode in new[] { "one_by_one", "batched_pool_cohort", "batched_all" })
            {
                Assert.Equal(size.DeviceSteps, (long)json[workload]![mode]!["device_steps"]!);
                Assert.True((double)json[workload]![mode]!["device_steps_per_second"]! > 0);
            }
            Assert.True((double)json[workload]!["speedup_pool_cohort"]! > 0);
            Assert.True((double)json[workload]!["speedup_all"]! > 0);
            Assert.True((double)json[workload]!["peak_fraction"]! > 0);
        }
        var languageModels = json["language_models"]!.AsArray();
        Assert.Equal(["LSTM", "Transformer"], languageModels.Select(w => (string?)w!["name"]));
        foreach (var (w, size) in new[] { (languageModels[0]!, sizes.Lstm), (languageModels[1]!, sizes.Transformer) })
            foreach (string mode in new[] { "one_by_one", "batched_pool_cohort", "batched_all" })
            {
                Assert.Equal(size.DeviceSteps, (long)w[mode]!["device_steps"]!);
                Assert.True((double)w[mode]!["gflops"]! > 0, $"{w["name"]} {mode}: the FLOP count of a language model step");
            }
        Assert.Equal(sizes.Mlp.Devices, (int)json["mlp"]!["batched_all"]!["cohort_size"]!);
        Assert.Equal(1, (int)json["mlp"]!["one_by_one"]!["cohort_size"]!);
        Assert.True((double)json["matmul"]!["gflops"]! > 0);
        var round = json["round"]!;
        Assert.Equal(sizes.Round.Devices, (int)round["devices"]!);
        Assert.True((double)round["wall_seconds"]! > 0);
        Assert.True((double)round["pool_busy_seconds"]! > 0);
        double overhead = (double)round["orleans_overhead"]!;
        Assert.InRange(overhead, 0, 1);
    }

    [Fact]
    public void Dp_sgd_is_measured_against_plain_batched_training_on_the_same_jobs()
    {
        var json = JsonNode.Parse(run.Stdout)!;
        var sizes = TinyBenchRun.TinySizes;

        var rows = json["dp_sgd"]!.AsArray();
        Assert.Equal(["MLP", "CNN"], rows.Select(r => (string?)r!["name"]));
        foreach (var (row, size, workload) in new[] { (rows[0]!, sizes.Mlp, "mlp"), (rows[1]!, sizes.Cnn, "cnn") })
        {
            Assert.Equal(size.DeviceSteps, (long)row["dp_sgd"]!["device_steps"]!);
            Assert.Equal((double)json[workload]!["batched_pool_cohort"]!["device_steps_per_second"]!, (double)row["plain"]!["device_steps_per_second"]!);
            double slowdown = (double)row["plain"]!["device_steps_per_second"]! / (double)row["dp_sgd"]!["device_steps_per_second"]!;
            Assert.Equal(slowdown, (double)row["slowdown"]!, 6);
            Assert.True((double)row["max_relative_delta_difference"]! < 1e-4);
        }
    }

    [Fact]
    public void Baseline_figures_are_read_and_compared_with_fedsim()
    {
        var json = JsonNode.Parse(run.Stdout)!;
        var baseline = json["baseline"]!;

        Assert.Null(baseline["skipped"]);
        Assert.Equal("9.9.9-fake", (string?)baseline["torch_version"]);
        Assert.Equal(10.0, (double)baseline["mlp_sequential_device_steps_per_second"]!);
        // FedSim ÷ PyTorch, from the fake's 10 device-steps/s and 2 s round.
        double mlpBatched = (double)json["mlp"]!["batched_pool_cohort"]!["device_steps_per_second"]!;
        Assert.Equal(mlpBatched / 10.0, (double)baseline["mlp_batched_vs_pytorch"]!, 6);
        Assert.Equal(2.0 / (double)json["round"]!["wall_seconds"]!, (double)baseline["round_speedup_vs_pytorch"]!, 6);
        foreach (string key in new[] { "mlp_batched_all_vs_pytorch", "mlp_one_by_one_vs_pytorch", "cnn_batched_vs_pytorch", "cnn_batched_all_vs_pytorch" })
            Assert.True((double)baseline[key]! > 0, key);
        var lstm = json["language_models"]![0]!;
        double lstmBatched = Math.Max((double)lstm["batched_pool_cohort"]!["device_steps_per_second"]!, (double)lstm["batched_all"]!["device_steps_per_second"]!);
        Assert.Equal(lstmBatched / 0.5, (double)baseline["lstm_batched_vs_pytorch"]!, 6);
        Assert.Equal(4.0, (double)baseline["transformer_sequential_device_steps_per_second"]!);
        Assert.True((double)baseline["transformer_one_by_one_vs_pytorch"]! > 0);
    }

    [Fact]
    public void Vmap_baseline_is_compared_with_fedsims_faster_batched_run_and_its_errors_are_reported()
    {
        var json = JsonNode.Parse(run.Stdout)!;
        var vmap = json["baseline"]!["vmap"]!.AsArray();

        Assert.Equal("functorch", (string?)json["baseline"]!["vmap_api"]);
        Assert.Equal(["mlp", "cnn", "lstm", "transformer"], vmap.Select(v => (string)v!["workload"]!));
        var mlp = json["mlp"]!;
        double fedsim = Math.Max((double)mlp["batched_pool_cohort"]!["device_steps_per_second"]!, (double)mlp["batched_all"]!["device_steps_per_second"]!);
        Assert.Equal(fedsim / 40.0, (double)vmap[0]!["fed_sim_batched_vs_vmap"]!, 6);
        Assert.Equal("RuntimeError: no batching rule", (string?)vmap[1]!["error"]);
        Assert.Null(vmap[1]!["device_steps_per_second"]);
        Assert.Equal("the baseline did not run it", (string?)vmap[2]!["error"]);
    }

    [Fact]
    public void Output_option_writes_the_same_json_to_a_file()
    {
        Assert.True(File.Exists(run.OutputFile));
        var fromFile = JsonNode.Parse(File.ReadAllText(run.OutputFile))!;
        var fromStdout = JsonNode.Parse(run.Stdout)!;
        Assert.True(JsonNode.DeepEquals(fromFile, fromStdout));
    }

    [Fact]
    public async Task Contradicting_baseline_flags_are_a_usage_error()
    {
        var (exit, _, stderr) = await BenchCli.RunAsync(null, "bench", "--baseline", "--no-baseline");

        Assert.Equal(2, exit);
        Assert.Contains("--no-baseline", stderr);
    }

    [Fact]
    public async Task Cuda_without_a_gpu_is_a_usage_error_that_says_how_to_fix_it()
    {
        if (TorchSharp.torch.cuda.is_available()) return; // only meaningful on the CPU build

        var (exit, _, stderr) = await BenchCli.RunAsync(null, "bench", "--device", "cuda", "--no-baseline");

        Assert.Equal(2, exit);
        Assert.Contains("cuda", stderr);
    }

    [Fact]
    public async Task Unknown_device_is_rejected_by_the_parser()
    {
        var (exit, _, _) = await BenchCli.RunAsync(null, "bench", "--device", "tpu");

        Assert.NotEqual(0, exit);
    }
}

public sealed class BenchSizesTests
{
    [Fact]
    public void Device_count_overrides_replace_only_their_workload()
    {
        var sizes = BenchSizes.For(cuda: false, new BenchOptions(MlpDevices: 7, RoundDevices: 9));

        Assert.Equal(7, sizes.Mlp.Devices);
        Assert.Equal(BenchSizes.Cpu.Mlp.Steps, sizes.Mlp.Steps);
        Assert.Equal(BenchSizes.Cpu.Cnn, sizes.Cnn);
        Assert.Equal(9, sizes.Round.Devices);
    }

    [Fact]
    public void Zero_devices_is_a_usage_error_naming_the_option()
    {
        var e = Assert.Throws<BenchUsageException>(() => BenchSizes.For(cuda: true, new BenchOptions(CnnDevices: 0)));
        Assert.Contains("--cnn-devices", e.Message);
    }

    [Fact]
    public void Quick_sizes_are_smaller_than_the_cpu_defaults()
    {
        var quick = BenchSizes.For(cuda: false, new BenchOptions(Quick: true));

        Assert.True(quick.Mlp.DeviceSteps < BenchSizes.Cpu.Mlp.DeviceSteps);
        Assert.True(quick.Round.DeviceSteps < BenchSizes.Cpu.Round.DeviceSteps);
    }

    [Fact]
    public void Round_steps_count_a_short_last_batch()
        => Assert.Equal(3 * 2 * 7, new RoundWorkloadSize(3, 61, 10, 2, [8], 0).DeviceSteps);
}
