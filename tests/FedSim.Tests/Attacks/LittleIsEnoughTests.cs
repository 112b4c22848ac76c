using FedSim.Attacks.Poisoning;
using static FedSim.Tests.Attacks.PoisoningTestKit;

namespace FedSim.Tests.Attacks;

public sealed class LittleIsEnoughTests
{
    [Fact]
    public void ALIE_matches_the_ByzFL_docstring_example()
    {
        // Prepare: LPD-EPFL/byzfl, byzfl/attacks/attacks.py, class ALittleIsEnough: ALittleIsEnough(1.5) on
        // [[1,2,3],[4,5,6],[7,8,9]] = [8.5, 9.5, 10.5]. ByzFL sends μ + τ·σ with the sample standard deviation
        // (var with ddof = 1: σ = √((9 + 0 + 9)/2) = 3, so 4 + 1.5·3 = 8.5); FedSim sends μ − z·σ, so τ = 1.5 is z = −1.5.
        var honest = ByzFLVectors;
        var before = DeepCopy(honest);

        // Execute
        var crafted = new LittleIsEnoughOptions { Z = -1.5 }.Craft(honest, Context());

        // Assert
        Assert.All(crafted, c => Assert.Equal([8.5f, 9.5f, 10.5f], c));
        Assert.Equal(before, honest);
    }

    [Fact]
    public void ALIE_moves_below_the_mean_by_z_standard_deviations()
    {
        // Prepare: members (1, 10) and (3, 10): μ = (2, 10), sample σ = (√2, 0); z = 1 → (2 − √2, 10).
        float[][] honest = [[1f, 10f], [3f, 10f]];

        // Execute
        var crafted = new LittleIsEnoughOptions { Z = 1 }.Craft(honest, Context());

        // Assert
        Assert.Equal(2 - Math.Sqrt(2), crafted[0][0], 6);
        Assert.Equal(10f, crafted[0][1]);
    }

    [Fact]
    public void ALIE_with_one_member_sends_its_own_update()
        => Assert.Equal([1.5f, -2f], new LittleIsEnoughOptions { Z = 1 }.Craft([[1.5f, -2f]], Context())[0]);

    [Fact]
    public void ALIE_default_z_is_Baruch_et_al_z_max()
    {
        // Baruch et al. 2019, Algorithm 3: s = ⌊n/2 + 1⌋ − m supporters needed, z_max = Φ⁻¹((n − s)/n).
        //   n = 50, m = 12: s = 26 − 12 = 14, Φ⁻¹(36/50 = 0.72) = 0.58284 (standard normal table: Φ(0.58) = 0.7190, Φ(0.59) = 0.7224)
        //   n = 50, m = 24: s = 26 − 24 = 2,  Φ⁻¹(48/50 = 0.96) = 1.75069 (Φ(1.75) = 0.9599)
        //   n = 10, m = 2:  s = 6 − 2 = 4,    Φ⁻¹(6/10 = 0.6)   = 0.25335 (Φ(0.25) = 0.5987)
        Assert.Equal(0.58284, LittleIsEnoughOptions.ZMax(50, 12), 5);
        Assert.Equal(1.75069, LittleIsEnoughOptions.ZMax(50, 24), 5);
        Assert.Equal(0.25335, LittleIsEnoughOptions.ZMax(10, 2), 5);
    }

    [Fact]
    public void ALIE_without_z_uses_z_max_for_the_round()
    {
        // Prepare: n = 10 with m = 2 malicious → z_max ≈ 0.25335; members (1) and (3): μ = 2, σ = √2.
        var crafted = new LittleIsEnoughOptions().Craft([[1f], [3f]], Context(cohort: 10, malicious: 2));

        Assert.Equal(2 - 0.25335 * Math.Sqrt(2), crafted[0][0], 4);
    }
}
