using FedSim.Attacks.Poisoning;
using static FedSim.Tests.Attacks.PoisoningTestKit;

namespace FedSim.Tests.Attacks;

public sealed class InnerProductManipulationTests
{
    [Fact]
    public void IPM_matches_the_ByzFL_docstring_example()
    {
        // Prepare: LPD-EPFL/byzfl, byzfl/attacks/attacks.py, class InnerProductManipulation:
        // InnerProductManipulation(2.0) on [[1,2,3],[4,5,6],[7,8,9]] = [−8, −10, −12] (−τ × the mean [4, 5, 6]).
        var honest = ByzFLVectors;
        var before = DeepCopy(honest);

        // Execute
        var crafted = new InnerProductManipulationOptions { Epsilon = 2 }.Craft(honest, Context());

        // Assert: every member sends the same vector, and the honest updates stay as they were.
        Assert.Equal(3, crafted.Length);
        Assert.All(crafted, c => Assert.Equal([-8f, -10f, -12f], c));
        Assert.Equal(before, honest);
    }

    [Fact]
    public void IPM_default_epsilon_is_small()
        => Assert.Equal([-0.1f], new InnerProductManipulationOptions().Craft([[1f], [1f]], Context())[0]);
}
