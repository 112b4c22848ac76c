using FedSim.Training;
using FedSim.Compute;
using FedSim.Scenario;
using TorchSharp;
using FedSim.Models;

namespace FedSim.Tests.Compute;

public class TorchSetupTests
{
    private static string NativeLibraryInOutput() =>
        Path.Combine(AppContext.BaseDirectory, "runtimes", "linux-x64", "native", ElfVersionRequirements.TorchSharpNativeLibrary);

    [Fact]
    public void LibTorchSharp_in_the_output_has_GLIBCXX_3_4_32_weak_exactly_when_the_system_libstdcxx_lacks_it()
    {
        // Prepare
        if (!OperatingSystem.IsLinux() || !File.Exists(NativeLibraryInOutput())) return; // the patch only applies to linux-x64 outputs
        string? libstdcxx = ElfVersionRequirements.FindSystemLibStdCxx();
        Assert.NotNull(libstdcxx);
        bool systemHasIt = ElfVersionRequirements.ReadDefinitions(libstdcxx!).Contains(ElfVersionRequirements.PatchedVersion);

        // Execute
        var requirement = ElfVersionRequirements.Read(NativeLibraryInOutput())
            .Single(r => r.Name == ElfVersionRequirements.PatchedVersion);

        // Assert
        Assert.Equal("libstdc++.so.6", requirement.File);
        Assert.Equal(!systemHasIt, requirement.IsWeak);
    }

    [Fact]
    public void The_outputs_libtorch_is_a_hard_link_to_the_package_caches_copy_which_the_patch_leaves_unchanged()
    {
        // Prepare: the package cache's files, where this output's came from
        string output = Path.GetDirectoryName(NativeLibraryInOutput())!;
        string cache = Environment.GetEnvironmentVariable("NUGET_PACKAGES") is { Length: > 0 } packages
            ? packages : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        string? cachedLibTorch = Directory.Exists(Path.Combine(cache, "libtorch-cpu-linux-x64"))
            ? Directory.GetFiles(Path.Combine(cache, "libtorch-cpu-linux-x64"), "libtorch_cpu.so", SearchOption.AllDirectories).SingleOrDefault()
            : null;
        if (!OperatingSystem.IsLinux() || cachedLibTorch is null || !File.Exists(Path.Combine(output, "libtorch_cpu.so"))) return;
        string cachedShim = Directory.GetFiles(Path.Combine(cache, "torchsharp"), ElfVersionRequirements.TorchSharpNativeLibrary, SearchOption.AllDirectories)
            .Single(f => f.Contains("linux-x64", StringComparison.Ordinal));

        // Execute
        var (outputDevice, outputInode) = DeviceAndInode(Path.Combine(output, "libtorch_cpu.so"));
        var (cacheDevice, cacheInode) = DeviceAndInode(cachedLibTorch);
        var shimRequirement = ElfVersionRequirements.Read(cachedShim).Single(r => r.Name == ElfVersionRequirements.PatchedVersion);

        // Assert: one file on the disk where a link can be made (Directory.Build.props), and the libstdc++ patch
        // (build/ElfVersionPatch.targets) replaced the output's shim instead of writing through a link into the cache.
        if (outputDevice == cacheDevice) Assert.Equal(cacheInode, outputInode);
        Assert.False(shimRequirement.IsWeak, $"{cachedShim} was patched in the package cache");
    }

    /// <summary>stat's device and inode numbers of a file (.NET has no API for either).</summary>
    private static (string Device, string Inode) DeviceAndInode(string path)
    {
        using var stat = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("stat", ["-L", "-c", "%d %i", path])
            { RedirectStandardOutput = true })!;
        var fields = stat.StandardOutput.ReadToEnd().Split(' ', StringSplitOptions.TrimEntries);
        stat.WaitForExit();
        return (fields[0], fields[1]);
    }

    [Fact]
    public void Elf_reader_sees_the_system_libstdcxx_versions()
    {
        if (ElfVersionRequirements.FindSystemLibStdCxx() is not { } libstdcxx) return;

        var defined = ElfVersionRequirements.ReadDefinitions(libstdcxx);
        var required = ElfVersionRequirements.Read(libstdcxx);

        Assert.Contains("GLIBCXX_3.4", defined);
        Assert.Contains(required, r => r.File.StartsWith("libc.so") && r.Name.StartsWith("GLIBC_") && !r.IsWeak);
    }

    [Fact]
    public void Elf_reader_rejects_a_file_that_is_not_elf()
    {
        string path = Path.GetTempFileName();
        File.WriteAllText(path, "not an ELF file, just text padded to more than sixty-four bytes of content......");

        var error = Assert.Throws<InvalidDataException>(() => ElfVersionRequirements.Read(path));

        Assert.Contains("not an ELF file", error.Message);
        File.Delete(path);
    }

    [Fact]
    public void TorchSharp_loads_and_a_tiny_logistic_model_trains_on_cpu()
    {
        var data = ComputeTestData.SeparableBlobs(1, 60, 4, 2);
        var spec = ModelSpecFactory.Create(new ModelSpecOptions { Kind = ModelKinds.Logistic }, data);
        var global = ModelLayout.Initialize(spec, 1);
        var job = ComputeTestData.Jobs(spec, new TrainingPlan(OptimizerKinds.Sgd, 0.1f, 0, 10, 5), global, data, ComputeTestData.Shards(60), 1)[0];
        var before = ModelEvaluator.Evaluate(new EvaluationJob(spec, global, data), torch.CPU);

        var result = BatchedTrainer.Train([job], torch.CPU)[0];
        var trained = global.Zip(result.Delta, (w, d) => w + d).ToArray();
        var after = ModelEvaluator.Evaluate(new EvaluationJob(spec, trained, data), torch.CPU);

        Assert.True(after.Loss < before.Loss, $"loss {before.Loss} -> {after.Loss}");
        Assert.Equal(30, result.Steps);
    }

    [Fact]
    public void Resolve_maps_settings_to_devices_and_explains_missing_cuda()
    {
        var cpu = TorchDevices.ResolveKind("cpu", cudaAvailable: true);
        var auto = TorchDevices.ResolveKind("auto", cudaAvailable: false);
        var autoGpu = TorchDevices.ResolveKind(" AUTO ", cudaAvailable: true);
        var cuda = TorchDevices.ResolveKind("cuda", cudaAvailable: true);
        var missing = Assert.Throws<InvalidOperationException>(() => TorchDevices.ResolveKind("cuda", cudaAvailable: false));
        var unknown = Assert.Throws<ArgumentException>(() => TorchDevices.ResolveKind("tpu", cudaAvailable: false));

        Assert.Equal("cpu", cpu);
        Assert.Equal("cpu", auto);
        Assert.Equal("cuda", autoGpu);
        Assert.Equal("cuda", cuda);
        Assert.Contains("no usable CUDA device", missing.Message);
        Assert.Contains("auto, cpu, cuda", unknown.Message);
        Assert.Equal(DeviceType.CPU, TorchDevices.Resolve("cpu").type);
        if (!torch.cuda.is_available()) Assert.Throws<InvalidOperationException>(() => TorchDevices.Resolve("cuda"));
    }
}
