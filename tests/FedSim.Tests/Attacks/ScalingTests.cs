using FedSim.Attacks.Poisoning;
using static FedSim.Tests.Attacks.PoisoningTestKit;

namespace FedSim.Tests.Attacks;

public sealed class ScalingTests
{
    [Fact]
    public void Scaling_multiplies_the_honest_update_by_ten_by_default()
    {
        float[][] honest = [[0.5f, -1f]];

        var crafted = new ScalingOptions().Craft(honest, Context());

        Assert.Equal([5f, -10f], crafted[0]);
        Assert.Equal([0.5f, -1f], honest[0]);
    }

    [Fact]
    public void Scaling_factor_is_configurable()
        => Assert.Equal([3f], new ScalingOptions { Factor = 3 }.Craft([[1f]], Context())[0]);
}
