namespace FedSim.Scenarios.Bench;

/// <summary>What <c>fedsim bench</c> was asked to do.</summary>
/// <param name="Device">auto | cpu | cuda.</param>
/// <param name="Quick">Small sizes: a smoke run in seconds, not a measurement to quote.</param>
/// <param name="Baseline">Also run <c>bench/baseline.py</c> when a Python with torch is found.</param>
/// <param name="PythonPath">Interpreter to use for the baseline (else FEDSIM_PYTHON, python3, /usr/bin/python3).</param>
/// <param name="MlpDevices">Override the MLP workload's device count.</param>
/// <param name="CnnDevices">Override the CNN workload's device count.</param>
/// <param name="RoundDevices">Override the FedAvg round's devices per round.</param>
public sealed record BenchOptions(
    string Device = "auto",
    bool Quick = false,
    bool Baseline = true,
    string? PythonPath = null,
    int? MlpDevices = null,
    int? CnnDevices = null,
    int? RoundDevices = null);

/// <summary>A training workload: <see cref="Devices"/> devices, each taking <see cref="Steps"/> SGD steps of <see cref="Batch"/> samples.</summary>
public sealed record TrainingWorkloadSize(int Devices, int Steps, int Batch)
{
    public long DeviceSteps => (long)Devices * Steps;
}

/// <summary>One FedAvg round: every one of <see cref="Devices"/> devices trains <see cref="Epochs"/> epochs over
/// <see cref="SamplesPerDevice"/> samples in batches of <see cref="Batch"/>.</summary>
public sealed record RoundWorkloadSize(int Devices, int SamplesPerDevice, int Batch, int Epochs, int[] Hidden, int EvaluationSamples)
{
    public int StepsPerDevice => Epochs * ((SamplesPerDevice + Batch - 1) / Batch);
    public long DeviceSteps => (long)Devices * StepsPerDevice;
}

/// <summary>The sizes of one bench run. Chosen per device kind: a 2-core CPU cannot do in a minute what a GPU does in a second.</summary>
public sealed record BenchSizes(
    TrainingWorkloadSize Mlp,
    TrainingWorkloadSize Cnn,
    TrainingWorkloadSize Lstm,
    TrainingWorkloadSize Transformer,
    RoundWorkloadSize Round,
    int MatmulSize,
    int MatmulRepetitions)
{
    /// <summary>MLP 784-200-200-10 (MNIST-shaped), as in the issue.</summary>
    public static readonly int[] MlpHidden = [200, 200];

    /// <summary>The headline workload: 256 MLP devices x 20 steps x batch 64. Also the GPU default.</summary>
    public static BenchSizes Cuda { get; } = new(
        new TrainingWorkloadSize(256, 20, 64),
        new TrainingWorkloadSize(128, 20, 64),
        new TrainingWorkloadSize(128, 10, 10),
        new TrainingWorkloadSize(128, 10, 10),
        new RoundWorkloadSize(100, 600, 10, 1, [64], 2000),
        MatmulSize: 8192, MatmulRepetitions: 10);

    /// <summary>CPU default: 64 MLP devices (the one-by-one loop over 256 takes minutes on a small CPU; --mlp-devices 256
    /// restores the size) and a CNN scaled down further (one CNN device-step is ~5 GFLOP). The language models
    /// take McMahan et al.'s Shakespeare batch of 10 windows of 80 characters (an LSTM device-step is ~4 GFLOP).</summary>
    public static BenchSizes Cpu { get; } = new(
        new TrainingWorkloadSize(64, 20, 64),
        new TrainingWorkloadSize(8, 5, 64),
        new TrainingWorkloadSize(8, 4, 10),
        new TrainingWorkloadSize(8, 4, 10),
        new RoundWorkloadSize(100, 600, 10, 1, [64], 2000),
        MatmulSize: 2048, MatmulRepetitions: 5);

    /// <summary>--quick: a smoke run that checks every piece works; the numbers are too small to quote.</summary>
    public static BenchSizes Quick { get; } = new(
        new TrainingWorkloadSize(32, 5, 64),
        new TrainingWorkloadSize(2, 2, 32),
        new TrainingWorkloadSize(2, 2, 4),
        new TrainingWorkloadSize(2, 2, 4),
        new RoundWorkloadSize(20, 100, 10, 1, [64], 500),
        MatmulSize: 512, MatmulRepetitions: 3);

    public static BenchSizes For(bool cuda, BenchOptions options)
    {
        var sizes = options.Quick ? Quick : cuda ? Cuda : Cpu;
        if (options.MlpDevices is int m) sizes = sizes with { Mlp = sizes.Mlp with { Devices = Positive(m, "--mlp-devices") } };
        if (options.CnnDevices is int c) sizes = sizes with { Cnn = sizes.Cnn with { Devices = Positive(c, "--cnn-devices") } };
        if (options.RoundDevices is int r) sizes = sizes with { Round = sizes.Round with { Devices = Positive(r, "--round-devices") } };
        return sizes;
    }

    private static int Positive(int value, string option)
        => value > 0 ? value : throw new BenchUsageException($"{option} must be a positive number of devices, got {value}.");
}

/// <summary>A bad bench option or environment the user can fix (exit code 2, message only).</summary>
public sealed class BenchUsageException(string message) : Exception(message);
