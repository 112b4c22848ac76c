using FedSim.Tests.Support;
using FedSim.Training;
using FedSim.Compute;
using FedSim.Data;
using TorchSharp;
using FedSim.Models;

namespace FedSim.Tests.Compute;

/// <summary>
/// The pool forms cohorts by arrival timing, so a device's update must not depend, to the last bit, on
/// which other devices shared its cohort; otherwise the same scenario and seed would give different numbers.
/// </summary>
public sealed class CohortDeterminismTests
{
    [Theory]
    [InlineData("mlp")]
    [InlineData("logistic")]
    public void Mnist_sized_update_is_bitwise_the_same_in_any_cohort(string kind)
    {
        // Prepare: the MNIST 2NN of the examples (784-200-200-10, B = 10), 10 devices of 60 samples each.
        var data = ComputeTestData.RandomImages(7, 600, new ImageShape(1, 28, 28), 10);
        var model = new ModelSpec(kind, 784, 10, kind == "mlp" ? [200, 200] : [], null, [], 0);
        var global = ModelLayout.Initialize(model, 3);
        var plan = new TrainingPlan("sgd", 0.1f, 0f, 10, 1);
        var jobs = ComputeTestData.Jobs(model, plan, global, data, ComputeTestData.Shards(Enumerable.Repeat(60, 10).ToArray()), 11);

        // Execute: all ten together, then in cohorts of 3, 3 and 4, then each alone.
        var together = BatchedTrainer.Train(jobs, TestDevice.Torch);
        var split = jobs.Chunk(3).SelectMany(c => BatchedTrainer.Train(c, TestDevice.Torch)).ToArray();
        var alone = jobs.Select(j => BatchedTrainer.Train([j], TestDevice.Torch)[0]).ToArray();

        // Assert
        for (int d = 0; d < jobs.Length; d++)
        {
            Assert.Equal(together[d].Delta, split[d].Delta);
            Assert.Equal(together[d].Delta, alone[d].Delta);
            Assert.Equal(together[d].MeanLoss, alone[d].MeanLoss);
        }
    }
}
