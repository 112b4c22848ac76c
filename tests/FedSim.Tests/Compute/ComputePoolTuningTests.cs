using FedSim.Compute;
using static FedSim.Tests.Compute.PoolJobs;
using FedSim.Models;

namespace FedSim.Tests.Compute;

public class ComputePoolTuningTests
{
    [Fact]
    public void Auto_without_cuda_resolves_to_cpu_tuning()
    {
        // Execute
        var resolved = new ComputePoolOptions().Resolve(cudaAvailable: false);

        // Assert
        Assert.Equal("cpu", resolved.Device);
        Assert.Equal(ComputePoolTuning.CpuWorkers, resolved.Workers);
        Assert.Equal(1, resolved.Workers);
        Assert.Equal(ComputePoolTuning.CpuMaxCohortSize, resolved.MaxCohortSize);
        long quarter = (long)(GC.GetGCMemoryInfo().TotalAvailableMemoryBytes * 0.25);
        Assert.Equal(Math.Max(ComputePoolTuning.MinCpuMemoryBudgetBytes, quarter), resolved.MemoryBudgetBytes);
    }

    [Fact]
    public void Cnn_cohorts_train_alone_on_cpu_unless_a_cohort_size_is_set()
    {
        Assert.Equal(ComputePoolTuning.CpuConvolutionCohortSize, new ComputePoolOptions(Device: "cpu").Resolve(false).ConvolutionCohortSize);
        Assert.Equal(8, new ComputePoolOptions(Device: "cpu", MaxCohortSize: 8).Resolve(false).ConvolutionCohortSize);
        Assert.Equal(3, new ComputePoolOptions(Device: "cpu", ConvolutionCohortSize: 3).Resolve(false).ConvolutionCohortSize);
        Assert.Equal(ComputePoolTuning.CudaMaxCohortSize, new ComputePoolOptions().Resolve(true).ConvolutionCohortSize);
    }

    [Fact]
    public void Auto_with_cuda_resolves_to_gpu_tuning()
    {
        // Execute
        var resolved = new ComputePoolOptions().Resolve(cudaAvailable: true);

        // Assert
        Assert.Equal("cuda", resolved.Device);
        Assert.Equal(2, resolved.Workers);
        Assert.Equal(256, resolved.MaxCohortSize);
        Assert.Equal(8L << 30, resolved.MemoryBudgetBytes);
    }

    [Fact]
    public void Explicit_values_are_kept()
    {
        // Prepare
        var options = new ComputePoolOptions("CPU", Workers: 3, MaxCohortSize: 7, LingerMilliseconds: 5, QueueCapacity: 9, MemoryBudgetBytes: 1234,
            ConvolutionCohortSize: 2);

        // Execute
        var resolved = options.Resolve(cudaAvailable: true);

        // Assert
        Assert.Equal(new ComputePoolOptions("cpu", 3, 7, 5, 9, 1234, 2), resolved);
    }

    [Fact]
    public void An_explicit_cpu_device_never_probes_for_cuda()
    {
        // Execute: a probe that fails the test if called (probing loads libtorch).
        var resolved = ComputePoolTuning.Resolve(new ComputePoolOptions("cpu"), () => throw new InvalidOperationException("probed"));

        // Assert
        Assert.Equal("cpu", resolved.Device);
    }

    [Fact]
    public void An_unknown_device_is_rejected_with_the_allowed_values()
    {
        var error = Assert.Throws<ArgumentException>(() => new ComputePoolOptions("gpu").Resolve(cudaAvailable: false));
        Assert.Contains("'gpu'", error.Message);
        Assert.Contains("auto | cpu | cuda", error.Message);
    }

    [Fact]
    public void Cuda_without_a_cuda_device_is_rejected_with_a_fix()
    {
        var error = Assert.Throws<InvalidOperationException>(() => new ComputePoolOptions("cuda").Resolve(cudaAvailable: false));
        Assert.Contains("'auto' or 'cpu'", error.Message);
    }

    [Theory]
    [InlineData(-1, 0, 1.0, 1, 0L, "workers")]
    [InlineData(0, -2, 1.0, 1, 0L, "cohort size")]
    [InlineData(0, 0, -1.0, 1, 0L, "linger")]
    [InlineData(0, 0, 1.0, 0, 0L, "queue capacity")]
    [InlineData(0, 0, 1.0, 1, -5L, "memory budget")]
    public void Out_of_range_values_are_rejected_by_name(int workers, int cohort, double linger, int capacity, long budget, string named)
    {
        var options = new ComputePoolOptions("cpu", workers, cohort, linger, capacity, budget);
        var error = Assert.Throws<ArgumentException>(() => options.Resolve(cudaAvailable: false));
        Assert.Contains(named, error.Message);
    }

    [Fact]
    public void The_pool_reports_its_resolved_settings_in_metrics_and_description()
    {
        // Prepare
        using var pool = new ComputePool(new ComputePoolOptions(Device: "cpu", MaxCohortSize: 16, MemoryBudgetBytes: 3L << 30),
            new FakeTrainer().Train, _ => new EvaluationResult(0, 0, 0));

        // Execute
        var metrics = pool.Snapshot();
        var description = pool.Describe();

        // Assert
        Assert.Equal("cpu", pool.DeviceName);
        Assert.Equal(("cpu", 1, 16), (metrics.Device, metrics.Workers, metrics.MaxCohortSize));
        Assert.Equal("device=cpu, workers=1, max cohort=16 (cnn 16), linger=2 ms, queue capacity=4096, memory budget=3 GiB", description);
    }

    [Fact]
    public void The_public_constructor_binds_the_pool_to_the_cpu_device()
    {
        // Execute
        using var pool = new ComputePool(new ComputePoolOptions(Device: "cpu"));

        // Assert
        Assert.Equal("cpu", pool.DeviceName);
        Assert.Equal(ComputePoolTuning.CpuMaxCohortSize, pool.Snapshot().MaxCohortSize);
    }
}

public class ComputePoolMemoryTests
{
    [Fact]
    public void Optimizer_state_adds_parameter_sized_buffers()
    {
        // Prepare
        const int parameters = 100_000;
        long Estimate(string optimizer) => ComputePoolMemory.EstimateBytes(Job(1, Plan(optimizer), parameters));

        // Execute
        long sgd = Estimate("sgd"), momentum = Estimate("momentum"), adam = Estimate("adam");

        // Assert: each extra buffer is P floats.
        Assert.Equal(parameters * 4L, momentum - sgd);
        Assert.Equal(parameters * 4L, adam - momentum);
    }

    [Fact]
    public void Weights_delta_and_gradient_scale_with_the_parameter_count()
    {
        long small = ComputePoolMemory.EstimateBytes(Job(1, parameters: 1_000));
        long large = ComputePoolMemory.EstimateBytes(Job(1, parameters: 1_001_000));
        Assert.Equal(3L * 4 * 1_000_000, large - small);
    }

    [Fact]
    public void A_cnn_job_estimates_more_activation_memory_than_a_logistic_one()
    {
        // Prepare
        var image = new FedSim.Data.ImageShape(1, 28, 28);
        var cnn = new ModelSpec("cnn", 784, 10, [], image, [32, 64], 512);
        var logistic = new ModelSpec("logistic", 784, 10, [], null, [], 0);

        // Execute
        long cnnFloats = ComputePoolMemory.ActivationFloats(cnn);
        long logisticFloats = ComputePoolMemory.ActivationFloats(logistic);

        // Assert: conv1 32x28x28 + pool 32x14x14 + conv2 64x14x14 + pool 64x7x7 + 512 + 10.
        Assert.Equal(25088 + 6272 + 12544 + 3136 + 512 + 10, cnnFloats);
        Assert.Equal(10, logisticFloats);
    }

    [Fact]
    public void An_evaluation_estimate_covers_the_weights_and_one_chunk()
    {
        long estimate = ComputePoolMemory.EstimateBytes(Evaluation());
        Assert.True(estimate >= 22 * 4 + ComputePoolMemory.PerJobOverheadBytes);
    }
}
