using System.Diagnostics;
using System.Text.Json.Nodes;
using FedSim.Compute;
using TorchSharp;

namespace FedSim.Scenarios.Bench;

/// <summary>Where the bench looks for things outside the process; tests replace these.</summary>
/// <param name="Sizes">Sizes to run instead of the per-device defaults (tests use tiny ones).</param>
/// <param name="PythonCandidates">Interpreters to probe for the baseline (null: <see cref="PythonBaseline.DefaultCandidates"/>).</param>
/// <param name="ScriptSearchStarts">Folders to walk up from looking for bench/baseline.py (null: program and current folder).</param>
public sealed record BenchEnvironment(BenchSizes? Sizes = null, IReadOnlyList<string>? PythonCandidates = null,
    IReadOnlyList<string>? ScriptSearchStarts = null, TimeSpan? BaselineTimeout = null);

/// <summary>Runs every bench measurement once, in order, and collects them into a <see cref="BenchReport"/>.</summary>
public static class BenchRunner
{
    public const ulong Seed = 20240601;

    public static async Task<BenchReport> RunAsync(BenchOptions options, BenchEnvironment? environment, Action<string>? progress,
        CancellationToken cancellationToken)
    {
        environment ??= new BenchEnvironment();
        progress ??= _ => { };
        var started = DateTimeOffset.UtcNow;
        var device = ResolveDevice(options.Device);
        bool cuda = device.type == DeviceType.CUDA;
        string kind = cuda ? "cuda" : "cpu";
        TorchDevices.ConfigureThreads();
        var sizes = environment.Sizes ?? BenchSizes.For(cuda, options);
        var notes = new List<string>();
        if (!cuda)
            notes.Add($"CPU run: MLP {sizes.Mlp.Devices} devices x {sizes.Mlp.Steps} steps, CNN {sizes.Cnn.Devices} devices x {sizes.Cnn.Steps} steps " +
                      "(the GPU sizes are 256 x 20 and 128 x 20; use --mlp-devices / --cnn-devices for more); figures on a shared or busy machine are noisy.");
        if (options.Quick) notes.Add("--quick: smoke-test sizes; do not quote these figures.");

        var poolOptions = new ComputePoolOptions(Device: kind).Resolve();

        progress($"matmul peak ({sizes.MatmulSize}² fp32)");
        var matmul = MatmulBench.Measure(sizes.MatmulSize, sizes.MatmulRepetitions, device);

        cancellationToken.ThrowIfCancellationRequested();
        var mlp = MeasureTraining("MLP", "784-200-200-10", BenchWorkloads.MnistMlp, sizes.Mlp, poolOptions.MaxCohortSize, device, matmul, progress, cancellationToken);
        var cnn = MeasureTraining("CNN", "FEMNIST 1x28x28 -> 62", BenchWorkloads.FemnistCnn, sizes.Cnn, poolOptions.ConvolutionCohortSize, device, matmul, progress, cancellationToken);
        TrainingWorkloadReport[] languageModels =
        [
            MeasureTraining("LSTM", "Shakespeare 80 chars, 8-256-256-96", BenchWorkloads.ShakespeareLstm, sizes.Lstm, poolOptions.MaxCohortSize, device, matmul, progress, cancellationToken),
            MeasureTraining("Transformer", "Shakespeare 80 chars, width 128, 2 blocks", BenchWorkloads.ShakespeareTransformer, sizes.Transformer, poolOptions.MaxCohortSize, device, matmul, progress, cancellationToken),
        ];

        var dpSgd = new List<DpSgdWorkloadReport>();
        foreach (var (name, spec, size, cohort, plain) in new[]
        {
            ("MLP", BenchWorkloads.MnistMlp, sizes.Mlp, poolOptions.MaxCohortSize, mlp.BatchedPoolCohort),
            ("CNN", BenchWorkloads.FemnistCnn, sizes.Cnn, poolOptions.ConvolutionCohortSize, cnn.BatchedPoolCohort),
        })
        {
            cancellationToken.ThrowIfCancellationRequested();
            progress($"DP-SGD {name}: batched ({size.Devices} devices x {size.Steps} steps x expected batch {size.Batch})");
            dpSgd.Add(MeasureDpSgd(name, spec, size, cohort, plain, device));
        }

        cancellationToken.ThrowIfCancellationRequested();
        progress($"FedAvg round: {sizes.Round.Devices} devices through the embedded silo");
        var round = await RoundBench.MeasureAsync(sizes.Round, kind, cancellationToken);

        BaselineReport? baseline = null;
        if (options.Baseline)
        {
            progress("PyTorch baseline (bench/baseline.py)");
            // FedSim trains on the pool's workers, each using torch's intra-op threads: the baseline gets as many in all.
            baseline = RunBaseline(options, environment, cuda, sizes, new(mlp, cnn, languageModels[0], languageModels[1]), round,
                poolOptions.Workers * torch.get_num_threads(), cancellationToken);
        }

        using var self = Process.GetCurrentProcess();
        self.Refresh();
        var memory = new MemoryReport(self.PeakWorkingSet64, null,
            cuda ? "n/a (TorchSharp 0.107 exposes no torch.cuda.max_memory_allocated)" : "n/a (cpu)");

        return new BenchReport(kind, DeviceName(cuda), torch.get_num_threads(), options.Quick,
            typeof(torch).Assembly.GetName().Version?.ToString() ?? "unknown", started, matmul, mlp, cnn, round, memory, baseline, notes, dpSgd)
        {
            LanguageModels = languageModels,
        };
    }

    internal static torch.Device ResolveDevice(string setting)
    {
        try { return TorchDevices.Resolve(setting); }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException)
        {
            throw new BenchUsageException($"--device: {e.Message}");
        }
    }

    private static TrainingWorkloadReport MeasureTraining(string name, string model, Models.ModelSpec spec, TrainingWorkloadSize size,
        int poolCohort, torch.Device device, MatmulMeasurement matmul, Action<string> progress, CancellationToken cancellationToken)
    {
        var (jobs, warmUp) = BenchWorkloads.Build(spec, size, Seed);
        var results = new Dictionary<TrainingMode, TrainingMeasurement>();
        foreach (var mode in new[] { TrainingMode.OneByOne, TrainingMode.BatchedPoolCohort, TrainingMode.BatchedAll })
        {
            cancellationToken.ThrowIfCancellationRequested();
            progress($"{name}: {mode} ({size.Devices} devices x {size.Steps} steps x batch {size.Batch})");
            results[mode] = TrainingBench.Measure(mode, jobs, warmUp, poolCohort, device, cancellationToken);
        }
        return new TrainingWorkloadReport(name, model, size.Devices, size.Steps, size.Batch, FlopCounter.TrainingStepFlops(spec, size.Batch),
            results[TrainingMode.OneByOne], results[TrainingMode.BatchedPoolCohort], results[TrainingMode.BatchedAll], matmul.Gflops,
            MaxRelativeDeltaDifference(jobs.Take(8).ToArray(), device),
            MaxRelativeDeltaDifference(jobs.Take(8).Select(j => j with
            {
                Shard = new Data.ShardView(j.Shard.Source, j.Shard.Indices.Take(j.Plan.BatchSize).ToArray()),
            }).ToArray(), device));
    }

    /// <summary>DP-SGD on the same devices, shards and steps as the plain batched measurement (cohorts of the pool's size).</summary>
    private static DpSgdWorkloadReport MeasureDpSgd(string name, Models.ModelSpec spec, TrainingWorkloadSize size, int poolCohort,
        TrainingMeasurement plain, torch.Device device)
    {
        const double clip = 1.0, noise = 1.0;
        var (jobs, warmUp) = BenchWorkloads.Build(spec, size, Seed);
        Compute.TrainingJob Private(Compute.TrainingJob j) => j with { Plan = j.Plan.With(new Training.DpSgd(clip, noise)) };
        Compute.TrainingJob Secure(Compute.TrainingJob j) => j with { Plan = j.Plan.With(new Training.DpSgd(clip, noise, SecureNoise: true)) };
        var measured = TrainingBench.Measure(TrainingMode.BatchedPoolCohort, jobs.Select(Private).ToArray(), warmUp.Select(Private).ToArray(), poolCohort, device);
        var secure = TrainingBench.Measure(TrainingMode.BatchedPoolCohort, jobs.Select(Secure).ToArray(), warmUp.Select(Secure).ToArray(), poolCohort, device);
        // The check on this device: DP-SGD in a cohort against the reference trainer's one-example-at-a-time route.
        var check = jobs.Take(4).Select(j => Private(j) with
        {
            Shard = new Data.ShardView(j.Shard.Source, j.Shard.Indices.Take(4 * j.Plan.BatchSize).ToArray()),
            MaxSteps = 2,
        }).ToArray();
        return new DpSgdWorkloadReport(name, clip, noise, plain, measured, MaxRelativeDeltaDifference(check, device), secure);
    }

    /// <summary>
    /// The equivalence check on this device: the same devices trained in one cohort and one by one
    /// (ReferenceTrainer), largest delta difference relative to the largest delta.
    /// </summary>
    internal static double MaxRelativeDeltaDifference(IReadOnlyList<Compute.TrainingJob> jobs, torch.Device device)
    {
        var batched = Compute.BatchedTrainer.Train(jobs, device);
        double worst = 0;
        for (int i = 0; i < jobs.Count; i++)
        {
            var alone = Compute.ReferenceTrainer.Train(jobs[i], device).Delta;
            double scale = alone.Max(v => Math.Abs((double)v)), diff = 0;
            for (int j = 0; j < alone.Length; j++) diff = Math.Max(diff, Math.Abs((double)alone[j] - batched[i].Delta[j]));
            if (scale > 0) worst = Math.Max(worst, diff / scale);
        }
        return worst;
    }

    /// <summary>FedSim's training workloads, which the baseline is compared with.</summary>
    private sealed record MeasuredWorkloads(TrainingWorkloadReport Mlp, TrainingWorkloadReport Cnn, TrainingWorkloadReport Lstm, TrainingWorkloadReport Transformer);

    private static BaselineReport RunBaseline(BenchOptions options, BenchEnvironment environment, bool cuda, BenchSizes sizes,
        MeasuredWorkloads measured, RoundMeasurement round, int totalThreads, CancellationToken cancellationToken)
    {
        var candidates = environment.PythonCandidates ?? PythonBaseline.DefaultCandidates(options.PythonPath);
        var python = PythonBaseline.FindPython(candidates);
        if (python is null)
            return Skipped(null, null, $"no Python that can 'import torch' among: {string.Join(", ", candidates)} (set FEDSIM_PYTHON or --python)");
        string? script = PythonBaseline.LocateScript(environment.ScriptSearchStarts ?? PythonBaseline.DefaultScriptSearchStarts());
        if (script is null)
            return Skipped(python.Executable, null, $"{PythonBaseline.ScriptRelativePath} not found above the program's or the current folder");
        var outcome = PythonBaseline.Run(python, script, PythonBaseline.Arguments(cuda, sizes, round, totalThreads),
            environment.BaselineTimeout ?? TimeSpan.FromMinutes(30), cancellationToken);
        if (outcome.Report is not { } r) return Skipped(python.Executable, script, outcome.Skipped ?? "no result");

        double? Rate(string workload) => (double?)r["workloads"]?[workload]?["device_steps_per_second"];
        double? mlpSeq = Rate("mlp"), mlpBmm = Rate("mlp_batched"), cnnSeq = Rate("cnn"), lstmSeq = Rate("lstm"), transformerSeq = Rate("transformer");
        double? roundSeconds = (double?)r["workloads"]?["round"]?["seconds"];
        static double? Over(double a, double? b) => b is double d && d > 0 ? a / d : null;
        var (mlp, cnn) = (measured.Mlp, measured.Cnn);
        return new BaselineReport(python.Executable, script, (string?)r["torch_version"], (string?)r["device"], (int?)r["threads"],
            (string?)r["blas_info"], mlpSeq, mlpBmm, cnnSeq, roundSeconds,
            Over(mlp.BatchedPoolCohort.DeviceStepsPerSecond, mlpSeq), Over(mlp.BatchedAll.DeviceStepsPerSecond, mlpSeq),
            Over(mlp.OneByOne.DeviceStepsPerSecond, mlpSeq),
            Over(cnn.BatchedPoolCohort.DeviceStepsPerSecond, cnnSeq), Over(cnn.BatchedAll.DeviceStepsPerSecond, cnnSeq),
            roundSeconds is double s && round.WallSeconds > 0 ? s / round.WallSeconds : null, null, r)
        {
            TotalThreads = (int?)r["threads_total"],
            FedSimThreads = totalThreads,
            BlasThreads = (int?)r["blas"]?["threads"],
            BlasThreading = (string?)r["blas"]?["threading"],
            BlasPath = (string?)r["blas"]?["path"],
            LstmSequentialDeviceStepsPerSecond = lstmSeq,
            TransformerSequentialDeviceStepsPerSecond = transformerSeq,
            LstmBatchedVsPytorch = Over(Math.Max(measured.Lstm.BatchedPoolCohort.DeviceStepsPerSecond, measured.Lstm.BatchedAll.DeviceStepsPerSecond), lstmSeq),
            LstmOneByOneVsPytorch = Over(measured.Lstm.OneByOne.DeviceStepsPerSecond, lstmSeq),
            TransformerBatchedVsPytorch = Over(Math.Max(measured.Transformer.BatchedPoolCohort.DeviceStepsPerSecond, measured.Transformer.BatchedAll.DeviceStepsPerSecond), transformerSeq),
            TransformerOneByOneVsPytorch = Over(measured.Transformer.OneByOne.DeviceStepsPerSecond, transformerSeq),
            Vmap = [.. new[] { measured.Mlp, measured.Cnn, measured.Lstm, measured.Transformer }.Select(w => VmapOf(r, w))],
            VmapApi = (string?)r["functional_api"],
        };
    }

    /// <summary>The vmap baseline of FedSim's workload <paramref name="measured"/> (keyed "{name}_vmap" in the baseline's JSON).</summary>
    private static VmapBaseline VmapOf(JsonObject report, TrainingWorkloadReport measured)
    {
        string name = measured.Name.ToLowerInvariant();
        var entry = report["workloads"]?[$"{name}_vmap"];
        if (entry is null) return new VmapBaseline(name, null, null, "the baseline did not run it");
        double? rate = (double?)entry["device_steps_per_second"];
        double fedsim = Math.Max(measured.BatchedPoolCohort.DeviceStepsPerSecond, measured.BatchedAll.DeviceStepsPerSecond);
        return new VmapBaseline(name, rate, rate is > 0 ? fedsim / rate : null, (string?)entry["error"]);
    }

    private static BaselineReport Skipped(string? python, string? script, string reason)
        => new(python, script, null, null, null, null, null, null, null, null, null, null, null, null, null, null, reason, null);

    private static string DeviceName(bool cuda)
    {
        if (!cuda)
        {
            try
            {
                string? model = File.Exists("/proc/cpuinfo")
                    ? File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal)) : null;
                if (model is not null) return $"{model[(model.IndexOf(':') + 1)..].Trim()} x{Environment.ProcessorCount}";
            }
            catch (IOException) { }
            return $"cpu x{Environment.ProcessorCount}";
        }
        // TorchSharp has no device-name query; nvidia-smi is there wherever a CUDA driver is.
        try
        {
            using var smi = Process.Start(new ProcessStartInfo("nvidia-smi", "--query-gpu=name --format=csv,noheader")
                { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false });
            if (smi is not null && smi.WaitForExit(10_000) && smi.ExitCode == 0 && smi.StandardOutput.ReadLine() is { Length: > 0 } name)
                return name.Trim();
        }
        catch (Exception e) when (e is System.ComponentModel.Win32Exception or InvalidOperationException) { }
        return "cuda";
    }
}
