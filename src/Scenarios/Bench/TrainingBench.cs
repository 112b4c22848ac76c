using System.Diagnostics;
using FedSim.Compute;
using TorchSharp;

namespace FedSim.Scenarios.Bench;

/// <summary>How a training measurement trained its devices.</summary>
public enum TrainingMode
{
    /// <summary>ReferenceTrainer, one device after another (what a plain simulator does).</summary>
    OneByOne,
    /// <summary>BatchedTrainer, cohorts of the pool's tuned cohort size.</summary>
    BatchedPoolCohort,
    /// <summary>BatchedTrainer, all devices as one cohort.</summary>
    BatchedAll,
}

/// <summary>One timed training run.</summary>
/// <param name="StepSeconds">Batched modes: time inside the training steps alone (no weight upload, no delta download).</param>
/// <param name="StepGflops">Batched modes: GFLOP/s during the training steps alone.</param>
public sealed record TrainingMeasurement(TrainingMode Mode, int CohortSize, long DeviceSteps, double Seconds, double Gflops,
    double? SetupSeconds = null, double? StepSeconds = null, double? ExtractSeconds = null, double? StepGflops = null)
{
    public double DeviceStepsPerSecond => Seconds > 0 ? DeviceSteps / Seconds : 0;
}

/// <summary>
/// Times local training of a set of jobs one way. Each call is one synchronous method on the calling thread:
/// TorchSharp's dispose scopes and grad mode are thread-local, and a CUDA clock is only read after a synchronize.
/// </summary>
public static class TrainingBench
{
    /// <param name="cancellationToken">Checked between devices (one by one) or cohorts, so Ctrl+C stops the bench promptly.</param>
    public static TrainingMeasurement Measure(TrainingMode mode, IReadOnlyList<TrainingJob> jobs, IReadOnlyList<TrainingJob> warmUp,
        int poolCohortSize, torch.Device device, CancellationToken cancellationToken = default)
    {
        int cohort = mode switch
        {
            TrainingMode.OneByOne => 1,
            TrainingMode.BatchedPoolCohort => Math.Clamp(poolCohortSize, 1, Math.Max(1, jobs.Count)), // fewer devices than a cohort: one cohort
            _ => Math.Max(1, jobs.Count),
        };
        // Warm-up: same shapes and cohort size, fewer steps (allocator, kernels and caches are ready afterwards).
        Train(mode, warmUp, cohort, device, phases: null, cancellationToken);
        Synchronize(device);
        var clock = Stopwatch.StartNew();
        long steps = Train(mode, jobs, cohort, device, phases: null, cancellationToken);
        Synchronize(device);
        double seconds = clock.Elapsed.TotalSeconds;
        double flops = jobs.Count == 0 ? 0 : FlopCounter.TrainingStepFlops(jobs[0].Model, jobs[0].Plan.BatchSize) * steps;
        var measurement = new TrainingMeasurement(mode, cohort, steps, seconds, seconds > 0 ? flops / seconds / 1e9 : 0);
        if (mode == TrainingMode.OneByOne) return measurement;

        // A second, phase-timed pass (it synchronizes at phase boundaries, so it is kept out of the figure above).
        var phases = new TrainerPhaseTimes();
        Train(mode, jobs, cohort, device, phases, cancellationToken);
        return measurement with
        {
            SetupSeconds = phases.SetupSeconds,
            StepSeconds = phases.StepSeconds,
            ExtractSeconds = phases.ExtractSeconds,
            StepGflops = phases.StepSeconds > 0 ? flops / phases.StepSeconds / 1e9 : 0,
        };
    }

    /// <summary>Trains the jobs; returns the device-steps actually taken (as the trainers report them).</summary>
    private static long Train(TrainingMode mode, IReadOnlyList<TrainingJob> jobs, int cohort, torch.Device device, TrainerPhaseTimes? phases,
        CancellationToken cancellationToken)
    {
        long steps = 0;
        if (mode == TrainingMode.OneByOne)
        {
            foreach (var job in jobs)
            {
                cancellationToken.ThrowIfCancellationRequested();
                steps += ReferenceTrainer.Train(job, device).Steps;
            }
            return steps;
        }
        for (int start = 0; start < jobs.Count; start += cohort)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var slice = jobs.Skip(start).Take(cohort).ToArray();
            var results = phases is null ? BatchedTrainer.Train(slice, device) : BatchedTrainer.Train(slice, device, phases);
            foreach (var result in results) steps += result.Steps;
        }
        return steps;
    }

    internal static void Synchronize(torch.Device device)
    {
        if (device.type == DeviceType.CUDA) torch.cuda.synchronize();
    }
}

/// <summary>Measured fp32 matrix-multiply peak: the ceiling the training workloads are compared with.</summary>
public sealed record MatmulMeasurement(int Size, int Repetitions, double Seconds, double Gflops);

public static class MatmulBench
{
    public static MatmulMeasurement Measure(int n, int repetitions, torch.Device device)
    {
        using var scope = torch.NewDisposeScope();
        using var noGrad = torch.no_grad();
        // Constant inputs: matmul speed does not depend on the values, and no RNG stream is touched. The fill values
        // are held Scalars: a temporary one can be freed by a collection mid-call (see HeldScalars in FedSim.Compute).
        using var half = 0.5f.ToScalar();
        using var quarter = 0.25f.ToScalar();
        var a = torch.full([n, n], half, device: device);
        var b = torch.full([n, n], quarter, device: device);
        torch.mm(a, b).Dispose(); // warm-up
        TrainingBench.Synchronize(device);
        var clock = Stopwatch.StartNew();
        for (int i = 0; i < repetitions; i++) torch.mm(a, b).Dispose();
        TrainingBench.Synchronize(device);
        double seconds = clock.Elapsed.TotalSeconds;
        return new MatmulMeasurement(n, repetitions, seconds, FlopCounter.MatmulFlops(n) * repetitions / seconds / 1e9);
    }
}
