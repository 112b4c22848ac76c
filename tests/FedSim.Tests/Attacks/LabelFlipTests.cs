using FedSim.Attacks.Poisoning;
using FedSim.Data;
using FedSim.Training;
using static FedSim.Tests.Attacks.PoisoningTestKit;

namespace FedSim.Tests.Attacks;

public sealed class LabelFlipTests
{
    [Fact]
    public void Label_flip_trains_on_mirrored_labels_and_sends_that_update_unchanged()
    {
        // Prepare
        var data = new DataFacts(10, 784, 1f, null);
        float[][] honest = [[0.25f, -0.5f]];

        // Execute
        var flip = Assert.IsType<LabelFlip>(Assert.Single(new LabelFlipOptions().TrainingModifiers(data)));
        var crafted = new LabelFlipOptions().Craft(honest, Context());

        // Assert: y ↦ C − 1 − y.
        Assert.Equal([9, 8, 5, 0], new[] { 0, 1, 4, 9 }.Select(flip.Map));
        Assert.Equal(honest[0], crafted[0]);
    }
}
