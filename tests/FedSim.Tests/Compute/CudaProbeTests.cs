using FedSim.Compute;

namespace FedSim.Tests.Compute;

public class CudaProbeTests
{
    private static CudaProbe.Facts Facts(string[] files, string? cache = null, params string[] folders) =>
        new(folders.Length == 0 ? ["/app", "/app/runtimes/linux-x64/native"] : folders, files.Contains, _ => false, cache);

    [Fact]
    public void A_cpu_only_build_is_rejected_naming_the_missing_library_and_the_fix()
    {
        if (!OperatingSystem.IsLinux()) return;
        var problem = CudaProbe.Problem(Facts(["/app/runtimes/linux-x64/native/libtorch_cpu.so", "/proc/driver/nvidia/version"]));
        Assert.NotNull(problem);
        Assert.Contains("libtorch_cuda.so", problem);
        Assert.Contains("-p:TorchBackend=cuda", problem);
    }

    [Fact]
    public void A_cuda_build_without_a_driver_is_rejected()
    {
        if (!OperatingSystem.IsLinux()) return;
        var problem = CudaProbe.Problem(Facts(["/app/runtimes/linux-x64/native/libtorch_cuda.so"]));
        Assert.NotNull(problem);
        Assert.Contains("no NVIDIA driver", problem);
    }

    [Theory]
    [InlineData("/app/runtimes/linux-x64/native/libtorch_cuda.so", null)]            // TorchSharp-cuda-linux beside the program
    [InlineData("/opt/torch/lib/libtorch_cuda.so", null)]                            // PyTorch's libtorch on LD_LIBRARY_PATH
    [InlineData("/nowhere", "...libtorch_cuda.so\0/usr/lib/libtorch_cuda.so...")]    // installed system-wide (ld.so.cache)
    public void Cuda_libtorch_and_a_driver_are_accepted_wherever_the_loader_finds_the_library(string library, string? cache)
    {
        if (!OperatingSystem.IsLinux()) return;
        var facts = Facts([library, "/proc/driver/nvidia/version"], cache, "/app", "/app/runtimes/linux-x64/native", "/opt/torch/lib");
        Assert.Null(CudaProbe.Problem(facts));
    }

    [Fact]
    public void This_process_sees_the_cuda_backend_only_when_it_was_built_with_it()
    {
        // The test build references TorchSharp-cpu unless built with -p:TorchBackend=cuda.
        bool cudaBuild = File.Exists(Path.Combine(AppContext.BaseDirectory, "runtimes", "linux-x64", "native", "libtorch_cuda.so"));
        if (!OperatingSystem.IsLinux() || cudaBuild) return;
        var facts = CudaProbe.CurrentFacts();
        Assert.Contains(AppContext.BaseDirectory, facts.LibraryFolders);
        if (!(facts.LoaderCache?.Contains("libtorch_cuda.so") ?? false) && Environment.GetEnvironmentVariable("LD_LIBRARY_PATH") is null)
            Assert.NotNull(CudaProbe.Problem());
    }
}
