using FedSim.Attacks.Poisoning;
using FedSim.Data;
using FedSim.Training;
using static FedSim.Tests.Attacks.PoisoningTestKit;

namespace FedSim.Tests.Attacks;

public sealed class BackdoorTests
{
    private static readonly DataFacts Mnist = new(10, 784, 1f, new ImageShape(1, 28, 28));

    [Fact]
    public void Backdoor_boosts_by_the_cohort_size_by_default()
    {
        // Bagdasaryan et al. 2020, Section 4.2: γ = n/η replaces the global model under FedAvg (η = 1 here).
        float[][] honest = [[0.5f, -1f]];

        var crafted = new BackdoorOptions().Craft(honest, Context(cohort: 10));
        var configured = new BackdoorOptions { Boost = 3 }.Craft(honest, Context(cohort: 10));

        Assert.Equal([5f, -10f], crafted[0]);
        Assert.Equal([1.5f, -3f], configured[0]);
        Assert.Equal([0.5f, -1f], honest[0]);
    }

    [Fact]
    public void Backdoor_trains_with_a_trigger_on_the_configured_share_of_samples()
    {
        // Prepare
        var options = new BackdoorOptions { TargetLabel = 7, PatchSize = 4, PoisonFraction = 0.5 };

        // Execute
        var trigger = Assert.IsType<BackdoorTrigger>(Assert.Single(options.TrainingModifiers(Mnist)));
        int poisoned = Enumerable.Range(0, 10_000).Count(row => trigger.Poisons(deviceSeed: 99, row));

        // Assert: target, patch and value carried into training; about half the rows poisoned, always the same ones.
        Assert.Equal(new BackdoorTrigger(4, 1f, 7, 0.5), trigger);
        Assert.InRange(poisoned, 4_800, 5_200);
        Assert.Equal(poisoned, Enumerable.Range(0, 10_000).Count(row => trigger.Poisons(99, row)));
    }

    [Fact]
    public void Backdoor_trigger_is_the_bottom_right_patch()
    {
        // 4 × 4 pixels of a 28 × 28 image: rows 24–27, columns 24–27 → indices 24·28 + 24 = 696 ... 27·28 + 27 = 783.
        var indices = new BackdoorOptions { PatchSize = 4 }.EvaluationTrigger(Mnist)!.FeatureIndices(784, Mnist.Image);

        Assert.Equal(16, indices.Length);
        Assert.Equal(696, indices[0]);
        Assert.Equal(783, indices[^1]);
        Assert.Equal(1.0, new BackdoorOptions().EvaluationTrigger(Mnist)!.PoisonFraction);
    }
}
