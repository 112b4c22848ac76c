using FedSim.Compute;
using FedSim.Data;
using TorchSharp;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace FedSim.Tests.Compute;

public class TorchRuntimeTests
{
    /// <summary>
    /// Guards the oneDNN workaround in TorchRuntime: on AMD EPYCs libtorch's convolution returned wrong input
    /// gradients for layers with few input channels, which silently broke CNN training. The shapes are ones that
    /// failed: one example or several, one or two input channels (a cohort of one trains with groups = 1).
    /// Touching TorchDevices applies the fix.
    /// </summary>
    [Theory]
    [InlineData(16, 4, 12, 8)]
    [InlineData(10, 1, 8, 2)]
    [InlineData(5, 1, 8, 2)]
    [InlineData(10, 2, 4, 4)]
    [InlineData(1, 2, 4, 4)]
    [InlineData(1, 1, 28, 8)]
    public void Convolution_input_gradient_matches_an_unfold_computation(int batch, int channels, int size, int outputs)
    {
        _ = TorchDevices.OneDnnIsaCap;
        using var scope = torch.NewDisposeScope();
        var data = ComputeTestData.RandomImages(5, Math.Max(batch, outputs * 25 / (size * size) + 1), new ImageShape(channels, size, size), 2);
        var x = torch.tensor(data.Features.AsSpan(0, batch * channels * size * size).ToArray(), [batch, channels, size, size]);
        var w = torch.tensor(data.Features.AsSpan(0, outputs * channels * 25).ToArray(), [outputs, channels, 5, 5]);

        for (int repeat = 0; repeat < 3; repeat++)
        {
            var xc = x.clone().requires_grad_();
            var viaConv = torch.autograd.grad([F.conv2d(xc, w, padding: [2, 2]).square().sum()], [xc])[0];
            var xu = x.clone().requires_grad_();
            var columns = F.unfold(xu, 5, padding: 2); // [batch, channels*25, size*size]
            var viaUnfold = torch.autograd.grad([torch.matmul(w.view(outputs, channels * 25), columns).square().sum()], [xu])[0];

            double relative = ((viaConv - viaUnfold).abs().max() / viaUnfold.abs().max()).item<float>();
            Assert.True(relative < 1e-5, $"convolution input gradient is off by {relative:E2} (oneDNN ISA cap: {TorchDevices.OneDnnIsaCap ?? "none"})");
        }
    }

    [Fact]
    public void AMD_processors_get_the_AVX_cap_and_others_AVX2()
    {
        Assert.Equal("AVX", TorchRuntime.OneDnnIsaCapFor("AuthenticAMD"));
        Assert.Equal("AVX2", TorchRuntime.OneDnnIsaCapFor("GenuineIntel"));
    }
}
