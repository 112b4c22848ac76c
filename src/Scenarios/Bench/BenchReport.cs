using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Spectre.Console;

namespace FedSim.Scenarios.Bench;

/// <summary>A training workload's three measurements and how they compare.</summary>
public sealed record TrainingWorkloadReport(
    string Name, string Model, int Devices, int Steps, int Batch, double FlopsPerDeviceStep,
    TrainingMeasurement OneByOne, TrainingMeasurement BatchedPoolCohort, TrainingMeasurement BatchedAll, double PeakGflops,
    double? MaxRelativeDeltaDifference = null, double? MaxRelativeDeltaDifferenceOneStep = null)
{
    public double SpeedupPoolCohort => Ratio(BatchedPoolCohort.DeviceStepsPerSecond, OneByOne.DeviceStepsPerSecond);
    public double SpeedupAll => Ratio(BatchedAll.DeviceStepsPerSecond, OneByOne.DeviceStepsPerSecond);
    /// <summary>Achieved GFLOP/s of the fastest batched run over the measured matmul peak.</summary>
    public double PeakFraction => Ratio(Math.Max(BatchedPoolCohort.Gflops, BatchedAll.Gflops), PeakGflops);

    /// <summary>The same during the training steps alone (weights in and deltas out excluded).</summary>
    public double StepPeakFraction => Ratio(Math.Max(BatchedPoolCohort.StepGflops ?? 0, BatchedAll.StepGflops ?? 0), PeakGflops);

    internal static double Ratio(double a, double b) => b > 0 ? a / b : 0;
}

/// <summary>
/// DP-SGD against plain training of the same jobs in the batched pool (cohorts of the pool's size): DP-SGD adds
/// Poisson batches (padded to the cohort's largest), per-example gradient norms, clipping and one noise draw per
/// device-step. <see cref="Slowdown"/> = plain device-steps/s ÷ DP-SGD device-steps/s. <see cref="SecureNoise"/> is the same
/// DP-SGD with <c>privacy.secure_noise</c> (the noise drawn on the CPU from the OS's cryptographic generator).
/// </summary>
public sealed record DpSgdWorkloadReport(string Name, double ClipNorm, double NoiseMultiplier, TrainingMeasurement Plain, TrainingMeasurement DpSgd,
    double? MaxRelativeDeltaDifference, TrainingMeasurement? SecureNoise = null)
{
    public double Slowdown => TrainingWorkloadReport.Ratio(Plain.DeviceStepsPerSecond, DpSgd.DeviceStepsPerSecond);

    /// <summary>Seeded-noise DP-SGD device-steps/s ÷ secure-noise DP-SGD device-steps/s.</summary>
    public double? SecureNoiseSlowdown => SecureNoise is { } secure ? TrainingWorkloadReport.Ratio(DpSgd.DeviceStepsPerSecond, secure.DeviceStepsPerSecond) : null;
}

public sealed record MemoryReport(long PeakWorkingSetBytes, long? CudaMaxAllocatedBytes, string CudaNote);

/// <summary>The PyTorch baseline's figures next to FedSim's (ratios are FedSim ÷ PyTorch; above 1 means FedSim is faster).</summary>
/// <param name="Threads">torch's intra-op threads in the baseline.</param>
/// <param name="BlasInfo">The BLAS library the baseline actually loaded (from its mapped libraries, not torch's build info).</param>
public sealed record BaselineReport(
    string? Python, string? Script, string? TorchVersion, string? Device, int? Threads, string? BlasInfo,
    double? MlpSequentialDeviceStepsPerSecond, double? MlpBatchedBmmDeviceStepsPerSecond, double? CnnSequentialDeviceStepsPerSecond,
    double? RoundSeconds, double? MlpBatchedVsPytorch, double? MlpBatchedAllVsPytorch, double? MlpOneByOneVsPytorch,
    double? CnnBatchedVsPytorch, double? CnnBatchedAllVsPytorch, double? RoundSpeedupVsPytorch, string? Skipped, JsonObject? Raw)
{
    /// <summary>The baseline's compute threads in all: torch threads x BLAS threads for a BLAS with its own pool.</summary>
    public int? TotalThreads { get; init; }

    /// <summary>FedSim's compute threads (pool workers x torch intra-op threads): what the baseline was given.</summary>
    public int? FedSimThreads { get; init; }

    /// <summary>The BLAS's threads (for one sharing torch's OpenMP pool, the same threads as torch's).</summary>
    public int? BlasThreads { get; init; }

    /// <summary>pthreads (a pool of its own), openmp / shared with torch (torch's pool), or sequential.</summary>
    public string? BlasThreading { get; init; }

    /// <summary>The file holding the BLAS engine that ran.</summary>
    public string? BlasPath { get; init; }

    /// <summary>The language models' per-client loops (nn.LSTM; a decoder of nn.MultiheadAttention blocks), device-steps/s.</summary>
    public double? LstmSequentialDeviceStepsPerSecond { get; init; }
    public double? TransformerSequentialDeviceStepsPerSecond { get; init; }

    /// <summary>FedSim ÷ PyTorch loop: the faster of FedSim's two batched runs, and FedSim one by one.</summary>
    public double? LstmBatchedVsPytorch { get; init; }
    public double? LstmOneByOneVsPytorch { get; init; }
    public double? TransformerBatchedVsPytorch { get; init; }
    public double? TransformerOneByOneVsPytorch { get; init; }

    /// <summary>
    /// The batched PyTorch a user writes by hand: every client at once by <c>vmap(grad(loss))</c> over a functional forward
    /// (<see cref="VmapApi"/>), one entry per workload in mlp, cnn, lstm, transformer order; null where it did not run.
    /// </summary>
    public IReadOnlyList<VmapBaseline> Vmap { get; init; } = [];

    /// <summary>torch.func (torch 2) or functorch (torch 1.13).</summary>
    public string? VmapApi { get; init; }

    /// <summary>"1 torch thread x 2 BLAS threads (pthreads)", or "2 threads shared by torch and BLAS (openmp)".</summary>
    public string ThreadsDescription => BlasThreading switch
    {
        "pthreads" or "own pool" => $"{Threads} torch x {BlasThreads?.ToString(CultureInfo.InvariantCulture) ?? "?"} BLAS threads ({BlasThreading})",
        "sequential" => $"{Threads} torch threads, BLAS single-threaded",
        null => $"{Threads} threads",
        _ => $"{Threads} threads shared by torch and BLAS ({BlasThreading})",
    };
}

/// <summary>
/// One workload of the PyTorch vmap baseline: its device-steps/s (null when it did not run, <paramref name="Error"/> says
/// why) and FedSim's faster batched run ÷ it.
/// </summary>
public sealed record VmapBaseline(string Workload, double? DeviceStepsPerSecond, double? FedSimBatchedVsVmap, string? Error);

/// <summary>Everything one <c>fedsim bench</c> run measured.</summary>
public sealed record BenchReport(
    string Device, string DeviceName, int TorchThreads, bool Quick, string TorchSharpVersion, DateTimeOffset StartedAt,
    MatmulMeasurement Matmul, TrainingWorkloadReport Mlp, TrainingWorkloadReport Cnn, RoundMeasurement Round,
    MemoryReport Memory, BaselineReport? Baseline, IReadOnlyList<string> Notes, IReadOnlyList<DpSgdWorkloadReport>? DpSgd = null)
{
    /// <summary>The LSTM and transformer workloads (next-character prediction over 80 positions).</summary>
    public IReadOnlyList<TrainingWorkloadReport> LanguageModels { get; init; } = [];

    public static JsonSerializerOptions JsonOptions { get; } = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        WriteIndented = true,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower) },
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    public string ToJson() => JsonSerializer.Serialize(this, JsonOptions);

    /// <summary>The same figures as a Spectre.Console table (plus a line per note).</summary>
    public void Render(IAnsiConsole console)
    {
        var table = new Table().Border(TableBorder.Rounded)
            .Title($"fedsim bench on {Markup.Escape(DeviceName)} ({Device}, {TorchThreads} torch threads){(Quick ? " [yellow]--quick[/]" : "")}");
        table.AddColumn("Workload");
        table.AddColumn("Measure");
        table.AddColumn(new TableColumn("Value").RightAligned());
        table.AddColumn(new TableColumn("GFLOP/s").RightAligned());

        table.AddRow("matmul fp32", $"torch.mm {Matmul.Size}² x{Matmul.Repetitions}", $"{F(Matmul.Seconds, 3)} s", F(Matmul.Gflops, 1));
        foreach (var w in new[] { Mlp, Cnn }.Concat(LanguageModels))
        {
            table.AddEmptyRow();
            string name = $"{w.Name} {w.Model}\n{w.Devices} dev x {w.Steps} steps x B{w.Batch}";
            AddTraining(table, name, "one by one (ReferenceTrainer)", w.OneByOne);
            AddTraining(table, "", $"batched, cohorts of {w.BatchedPoolCohort.CohortSize} (pool size)", w.BatchedPoolCohort);
            AddTraining(table, "", $"batched, one cohort of {w.BatchedAll.CohortSize}", w.BatchedAll);
            table.AddRow("", "speedup batched ÷ one by one", $"{F(w.SpeedupPoolCohort, 2)}x / {F(w.SpeedupAll, 2)}x", "");
            table.AddRow("", "batched vs one by one: max |Δ diff| ÷ max |Δ|, 1 step / all steps",
                $"{F(w.MaxRelativeDeltaDifferenceOneStep, 7)} / {F(w.MaxRelativeDeltaDifference, 7)}", "");
            table.AddRow("", "batched share of matmul peak", $"{F(100 * w.PeakFraction, 1)} % (steps alone {F(100 * w.StepPeakFraction, 1)} %)", "");
        }
        foreach (var dp in DpSgd ?? [])
        {
            table.AddEmptyRow();
            string name = $"DP-SGD {dp.Name}\nclip {F(dp.ClipNorm, 1)}, z {F(dp.NoiseMultiplier, 1)}, Poisson batches";
            AddTraining(table, name, $"batched plain, cohorts of {dp.Plain.CohortSize}", dp.Plain);
            AddTraining(table, "", $"batched DP-SGD, cohorts of {dp.DpSgd.CohortSize}", dp.DpSgd);
            table.AddRow("", "slowdown plain ÷ DP-SGD (device-steps/s)", $"{F(dp.Slowdown, 2)}x", "");
            if (dp.SecureNoise is { } secure)
            {
                AddTraining(table, "", $"batched DP-SGD, secure noise, cohorts of {secure.CohortSize}", secure);
                table.AddRow("", "slowdown seeded ÷ secure noise (device-steps/s)", $"{F(dp.SecureNoiseSlowdown, 2)}x", "");
            }
            table.AddRow("", "DP-SGD batched vs one by one: max |Δ diff| ÷ max |Δ|", F(dp.MaxRelativeDeltaDifference, 7), "");
        }
        table.AddEmptyRow();
        var r = Round;
        table.AddRow($"FedAvg round\n{r.Devices} dev x ~{F(r.MeanSamplesPerDevice, 0)} samples, B{r.Batch}, E{r.Epochs}",
            "round wall (embedded silo)", $"{F(r.WallSeconds, 3)} s", "");
        table.AddRow("", $"pool busy ({r.PoolWorkers} worker(s), mean cohort {F(r.MeanCohortSize, 1)})", $"{F(r.PoolBusySeconds, 3)} s", "");
        table.AddRow("", "Orleans overhead (wall − busy) ÷ wall", $"{F(100 * r.OrleansOverhead, 1)} %", "");
        table.AddRow("", "device-steps/s over the round", F(r.DeviceStepsPerSecond, 1), "");
        table.AddEmptyRow();
        table.AddRow("memory", "peak working set", $"{Memory.PeakWorkingSetBytes / 1048576.0:F0} MiB", "");
        table.AddRow("", "CUDA max allocated",
            Memory.CudaMaxAllocatedBytes is long cuda ? $"{cuda / 1048576.0:F0} MiB" : Markup.Escape(Memory.CudaNote), "");

        if (Baseline is { } baseline) AddBaseline(table, baseline);
        console.Write(table);
        foreach (string note in Notes) console.MarkupLine($"[grey]note:[/] {Markup.Escape(note)}");
    }

    /// <summary>The PyTorch baseline's rows: its setup, the loops and vmap versions, and FedSim's ratios to them.</summary>
    private static void AddBaseline(Table table, BaselineReport b)
    {
        table.AddEmptyRow();
        if (b.Skipped is not null)
            table.AddRow("PyTorch baseline", "not run", Markup.Escape(b.Skipped), "");
        else
        {
            table.AddRow("PyTorch baseline", Markup.Escape($"torch {b.TorchVersion} on {b.Device}, {b.ThreadsDescription}" +
                (b.FedSimThreads is int f ? $" (FedSim: {f} in all)" : "")), "", "");
            table.AddRow("", Markup.Escape($"BLAS loaded: {b.BlasInfo}"), Markup.Escape(b.BlasPath ?? ""), "");
            table.AddRow("", "MLP per-client loop, device-steps/s", F(b.MlpSequentialDeviceStepsPerSecond, 1), "");
            table.AddRow("", "MLP bmm (reference), device-steps/s", F(b.MlpBatchedBmmDeviceStepsPerSecond, 1), "");
            table.AddRow("", "FedSim MLP batched ÷ PyTorch loop", $"{F(b.MlpBatchedVsPytorch, 2)}x / {F(b.MlpBatchedAllVsPytorch, 2)}x", "");
            table.AddRow("", "FedSim MLP one by one ÷ PyTorch loop", $"{F(b.MlpOneByOneVsPytorch, 2)}x", "");
            table.AddRow("", "CNN per-client loop, device-steps/s", F(b.CnnSequentialDeviceStepsPerSecond, 2), "");
            table.AddRow("", "FedSim CNN batched ÷ PyTorch loop", $"{F(b.CnnBatchedVsPytorch, 2)}x / {F(b.CnnBatchedAllVsPytorch, 2)}x", "");
            table.AddRow("", "LSTM per-client loop (nn.LSTM), device-steps/s", F(b.LstmSequentialDeviceStepsPerSecond, 2), "");
            table.AddRow("", "FedSim LSTM batched / one by one ÷ PyTorch loop", $"{F(b.LstmBatchedVsPytorch, 2)}x / {F(b.LstmOneByOneVsPytorch, 2)}x", "");
            table.AddRow("", "transformer per-client loop, device-steps/s", F(b.TransformerSequentialDeviceStepsPerSecond, 2), "");
            table.AddRow("", "FedSim transformer batched / one by one ÷ PyTorch loop",
                $"{F(b.TransformerBatchedVsPytorch, 2)}x / {F(b.TransformerOneByOneVsPytorch, 2)}x", "");
            foreach (var v in b.Vmap)
            {
                table.AddRow("", Markup.Escape($"{v.Workload} vmap(grad) ({b.VmapApi}), device-steps/s"),
                    v.Error is null ? F(v.DeviceStepsPerSecond, 2) : Markup.Escape($"not run: {v.Error}"), "");
                table.AddRow("", Markup.Escape($"FedSim {v.Workload} batched ÷ PyTorch vmap"), $"{F(v.FedSimBatchedVsVmap, 2)}x", "");
            }
            table.AddRow("", "PyTorch round (per-client loop)", $"{F(b.RoundSeconds, 3)} s", "");
            table.AddRow("", "FedSim round speedup (PyTorch ÷ FedSim)", $"{F(b.RoundSpeedupVsPytorch, 2)}x", "");
        }
    }

    private static void AddTraining(Table table, string workload, string what, TrainingMeasurement m)
    {
        table.AddRow(Markup.Escape(workload), Markup.Escape(what),
            $"{F(m.DeviceStepsPerSecond, 1)} dev-steps/s\n[grey]{m.DeviceSteps} in {F(m.Seconds, 2)} s[/]", F(m.Gflops, 1));
        if (m.StepSeconds is double steps)
            table.AddRow("", "[grey]  phases: setup / steps / deltas out[/]",
                $"[grey]{F(m.SetupSeconds, 3)} / {F(steps, 3)} / {F(m.ExtractSeconds, 3)} s[/]", $"[grey]{F(m.StepGflops, 1)}[/]");
    }

    private static string F(double? value, int digits)
        => value is double v && double.IsFinite(v) ? v.ToString("F" + digits, CultureInfo.InvariantCulture) : "n/a";
}
