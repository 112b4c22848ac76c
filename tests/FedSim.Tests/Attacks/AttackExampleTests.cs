using FedSim.Attacks.Auditing;
using FedSim.Data;
using FedSim.Privacy;
using FedSim.Scenarios.Configuration;
using FedSim.Tests.Support;
using FedSim.Composition;

namespace FedSim.Tests.Attacks;

/// <summary>The membership-inference examples: the DP files spend the ε their names promise, on the data they train on.</summary>
public sealed class AttackExampleTests
{
    private static string Examples => Scenarios.ScenarioTestFiles.ExamplesDirectory;

    [SharedDataTheory]
    [InlineData("location-attack-dp-eps8.yaml", 8.0)]
    [InlineData("location-attack-dp-eps4.yaml", 4.0)]
    [InlineData("location-attack-dp-eps2.yaml", 2.0)]
    public void The_dp_example_spends_its_epsilon_on_its_smallest_shard(string file, double target)
    {
        // Prepare: the scenario as fedsim loads it, and its real partition (after the audit's hold-out).
        var loaded = ScenarioLoader.Load(Path.Combine(Examples, file));
        var spec = loaded.GetSpecOrThrow();
        spec.Dataset.Path = ScenarioPaths.ResolveDatasetPath(spec.Dataset, loaded.BaseDirectory);
        var data = ExperimentDataCache.Build(spec);
        int smallest = data.Partition.Min(p => p.Length);
        var t = spec.Training;

        // Execute: the device with the fewest records has the largest sampling rate B/n, so it spends the most.
        var accounting = LocalDpAccounting.For(spec.Privacy.Local!, t.BatchSize, smallest, spec.Privacy.Delta);
        long steps = (long)t.Rounds * t.LocalEpochs * ((smallest + t.BatchSize - 1) / t.BatchSize);
        double epsilon = accounting.EpsilonAfter(steps);

        // Assert: at the target, not above it and not needlessly below (the noise is the smallest that meets it).
        Assert.InRange(epsilon, target * 0.999, target * (1 + 1e-6));
        Assert.Equal(t.DevicesPerRound, spec.Devices); // every device every round: each trains every round's steps
        Assert.True(spec.Privacy.Delta < 1.0 / data.Partition.Sum(p => p.Length));
    }

    [Fact]
    public void The_dp_examples_are_the_base_target_plus_dp_only()
    {
        // Prepare
        var baseSpec = ScenarioLoader.Load(Path.Combine(Examples, "location-attack.yaml")).GetSpecOrThrow();

        foreach (string file in new[] { "location-attack-dp-eps8.yaml", "location-attack-dp-eps4.yaml", "location-attack-dp-eps2.yaml", "location-attack-secagg.yaml" })
        {
            // Execute
            var spec = ScenarioLoader.Load(Path.Combine(Examples, file)).GetSpecOrThrow();

            // Assert: same seed, data, model, training and audit; the server attacker is the same.
            Assert.Equal((baseSpec.Seed, baseSpec.Devices, baseSpec.Dataset.Kind, baseSpec.Dataset.Path), (spec.Seed, spec.Devices, spec.Dataset.Kind, spec.Dataset.Path));
            Assert.Equal(baseSpec.Model.Hidden, spec.Model.Hidden);
            Assert.Equal((baseSpec.Training.Rounds, baseSpec.Training.LocalEpochs, baseSpec.Training.BatchSize, baseSpec.Training.LearningRate),
                (spec.Training.Rounds, spec.Training.LocalEpochs, spec.Training.BatchSize, spec.Training.LearningRate));
            // DP-SGD runs plain SGD (momentum would carry each step's noise forward); everything else trains as the base.
            Assert.Equal(spec.Privacy.Local is null ? baseSpec.Training.Optimizer : "sgd", spec.Training.Optimizer);
            Assert.Equal((baseSpec.Audit.Every, baseSpec.Audit.Members, baseSpec.Audit.Holdout), (spec.Audit.Every, spec.Audit.Members, spec.Audit.Holdout));
            Assert.Equal(5, Assert.IsType<ServerAttackerOptions>(spec.Attacks.Single(a => a is ServerAttackerOptions)).MaxDevices);
        }
    }
}
