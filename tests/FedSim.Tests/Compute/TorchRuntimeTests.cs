using FedSim.Compute;
using FedSim.Data;
using TorchSharp;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace FedSim.Tests.Compute;

public class TorchRuntimeTests
{
    [Fact]
    public void Convolution_input_gradient_matches_an_unfold_computation()
    {
        // Guards the oneDNN workaround in TorchRuntime: on some AVX-512 CPUs libtorch's convolution returned
        // wrong input gradients, which silently broke CNN training. Touching TorchDevices applies the fix.
        _ = TorchDevices.OneDnnIsaCap;
        using var scope = torch.NewDisposeScope();
        var data = ComputeTestData.RandomImages(5, 16 * 4, new ImageShape(4, 12, 12), 2);
        var x = torch.tensor(data.Features, [16, 4, 12, 12]);
        var w = torch.tensor(data.Features.AsSpan(0, 8 * 4 * 25).ToArray(), [8, 4, 5, 5]);

        for (int repeat = 0; repeat < 3; repeat++)
        {
            var xc = x.clone().requires_grad_();
            var viaConv = torch.autograd.grad([F.conv2d(xc, w, padding: [2, 2]).square().sum()], [xc])[0];
            var xu = x.clone().requires_grad_();
            var columns = F.unfold(xu, 5, padding: 2); // [16, 4*25, 144]
            var viaUnfold = torch.autograd.grad([torch.matmul(w.view(8, 100), columns).square().sum()], [xu])[0];

            double relative = ((viaConv - viaUnfold).abs().max() / viaUnfold.abs().max()).item<float>();
            Assert.True(relative < 1e-5, $"convolution input gradient is off by {relative:E2} (oneDNN ISA cap: {TorchDevices.OneDnnIsaCap ?? "none"})");
        }
    }
}
