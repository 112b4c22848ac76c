using TorchSharp;

namespace FedSim.Tests.Support;

/// <summary>
/// The torch device the compute equivalence tests run on: <c>FEDSIM_TEST_DEVICE=cpu</c> (the default) or <c>cuda</c>
/// (bench/gpu-smoke.sh sets it). Asking for cuda in a process that cannot use a GPU fails those tests with the reason;
/// it never falls back to the CPU, so a GPU run that passes has run on the GPU.
/// </summary>
internal static class TestDevice
{
    public const string Variable = "FEDSIM_TEST_DEVICE";

    private static readonly Lazy<torch.Device> Resolved = new(Resolve);

    /// <summary>The device named by <see cref="Variable"/>.</summary>
    public static torch.Device Torch => Resolved.Value;

    /// <summary>Whether the tests run on a GPU (tolerances that hold bit for bit on the CPU may then be wider).</summary>
    public static bool IsCuda => Torch.type == DeviceType.CUDA;

    private static torch.Device Resolve()
    {
        string setting = (Environment.GetEnvironmentVariable(Variable) ?? "cpu").Trim().ToLowerInvariant();
        return setting switch
        {
            "" or "cpu" => torch.CPU,
            "cuda" when torch.cuda.is_available() => FedSim.Compute.TorchDevices.Resolve("cuda"),
            "cuda" => throw new InvalidOperationException(
                $"{Variable}=cuda but torch sees no usable CUDA device in this process (a CUDA libtorch on LD_LIBRARY_PATH and an NVIDIA driver are needed)"),
            _ => throw new InvalidOperationException($"{Variable}='{setting}' is not a device; use cpu or cuda"),
        };
    }
}
