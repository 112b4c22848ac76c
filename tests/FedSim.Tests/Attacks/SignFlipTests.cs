using FedSim.Attacks.Poisoning;
using static FedSim.Tests.Attacks.PoisoningTestKit;

namespace FedSim.Tests.Attacks;

public sealed class SignFlipTests
{
    [Fact]
    public void Sign_flip_sends_minus_four_times_the_honest_update_by_default()
    {
        // Prepare: Li et al. 2019 ("RSA") flip with s = 4.
        float[][] honest = [[1f, -0.5f], [0f, 2f]];
        var before = DeepCopy(honest);

        // Execute
        var crafted = new SignFlipOptions().Craft(honest, Context());

        // Assert
        Assert.Equal([-4f, 2f], crafted[0]);
        Assert.Equal([0f, -8f], crafted[1]);
        Assert.Equal(before, honest);
    }

    [Fact]
    public void Sign_flip_scale_is_configurable()
        => Assert.Equal([-1.5f], new SignFlipOptions { Scale = 1.5 }.Craft([[1f]], Context())[0]);
}
