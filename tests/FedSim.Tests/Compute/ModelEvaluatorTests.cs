using FedSim.Tests.Support;
using FedSim.Compute;
using FedSim.Scenario;
using FedSim.Data;
using TorchSharp;
using FedSim.Models;

namespace FedSim.Tests.Compute;

public class ModelEvaluatorTests
{
    // Logistic model on 2 features / 2 classes with W = identity, b = 0: it predicts the larger feature.
    private static readonly ModelSpec Spec = new(ModelKinds.Logistic, 2, 2, [], null, [], 0);
    private static readonly float[] Weights = [1, 0, 0, 1, 0, 0];

    private static Dataset Tiny() => new("tiny",
        [3, 1, /**/ 0, 2, /**/ 5, 4, /**/ 1, 1.5f],
        [0, 1, 1, 1], 2, 2);

    private static double CrossEntropy(double z0, double z1, int label)
    {
        double max = Math.Max(z0, z1), logSum = max + Math.Log(Math.Exp(z0 - max) + Math.Exp(z1 - max));
        return logSum - (label == 0 ? z0 : z1);
    }

    [Fact]
    public void Evaluate_gives_exact_accuracy_and_loss_for_hand_set_weights()
    {
        var data = Tiny();

        var result = ModelEvaluator.Evaluate(new EvaluationJob(Spec, Weights, data), TestDevice.Torch);

        // Predictions: 0, 1, 0, 1 against labels 0, 1, 1, 1 -> 3 of 4.
        double expectedLoss = (CrossEntropy(3, 1, 0) + CrossEntropy(0, 2, 1) + CrossEntropy(5, 4, 1) + CrossEntropy(1, 1.5, 1)) / 4;
        Assert.Equal(0.75, result.Accuracy);
        Assert.Equal(expectedLoss, result.Loss, 1e-6);
        Assert.Equal(4, result.Examples);
    }

    [Fact]
    public void Evaluate_on_indices_uses_only_those_samples()
    {
        var result = ModelEvaluator.Evaluate(new EvaluationJob(Spec, Weights, Tiny(), [2, 3]), TestDevice.Torch);

        Assert.Equal(0.5, result.Accuracy);
        Assert.Equal((CrossEntropy(5, 4, 1) + CrossEntropy(1, 1.5, 1)) / 2, result.Loss, 1e-6);
        Assert.Equal(2, result.Examples);
    }

    [Fact]
    public void EvaluateMany_matches_one_by_one_across_chunks()
    {
        // 2,500 samples: three chunks of up to 1,024, the last one partial.
        var image = new ImageShape(1, 12, 12);
        var data = ComputeTestData.RandomImages(9, 2500, image, 5);
        var spec = new ModelSpec(ModelKinds.Cnn, image.Size, 5, [], image, [4, 8], 16);
        var jobs = Enumerable.Range(0, 3).Select(s => new EvaluationJob(spec, ModelLayout.Initialize(spec, (ulong)s), data)).ToArray();

        var many = ModelEvaluator.EvaluateMany(jobs, TestDevice.Torch);
        var single = jobs.Select(j => ModelEvaluator.Evaluate(j, TestDevice.Torch)).ToArray();

        for (int i = 0; i < jobs.Length; i++)
        {
            Assert.Equal(single[i].Accuracy, many[i].Accuracy);
            Assert.Equal(single[i].Loss, many[i].Loss, 1e-5);
            Assert.Equal(2500, many[i].Examples);
        }
        Assert.NotEqual(many[0].Loss, many[1].Loss);
    }

    [Fact]
    public void EvaluateExamples_gives_each_records_logits_and_loss_for_hand_set_weights()
    {
        // Prepare: W = identity, b = 0, so the logits are the features.
        var other = new float[] { 0, 1, 1, 0, 0.5f, 0 }; // swaps the features, adds 0.5 to class 0

        // Execute: records 3 and 0, in that order, on two weight sets at once.
        var outputs = ModelEvaluator.EvaluateExamples(new ExampleOutputsJob(Spec, [Weights, other], Tiny(), [3, 0]), TestDevice.Torch);

        // Assert
        Assert.Equal(2, outputs.Classes);
        Assert.Equal([1f, 1.5f, 3f, 1f], outputs.Logits[0]);
        Assert.Equal([2f, 1f, 1.5f, 3f], outputs.Logits[1]);
        Assert.Equal(CrossEntropy(1, 1.5, 1), outputs.Losses[0][0], 1e-6);
        Assert.Equal(CrossEntropy(3, 1, 0), outputs.Losses[0][1], 1e-6);
        Assert.Equal(CrossEntropy(2, 1, 1), outputs.Losses[1][0], 1e-6);
    }

    [Fact]
    public void EvaluateExamples_agrees_with_EvaluateMany_across_chunks()
    {
        // Prepare: 2,500 records, three chunks.
        var data = ComputeTestData.RandomImages(4, 2500, new ImageShape(1, 6, 6), 3);
        var spec = new ModelSpec(ModelKinds.Mlp, 36, 3, [8], null, [], 0);
        var weights = Enumerable.Range(0, 3).Select(s => ModelLayout.Initialize(spec, (ulong)s + 1)).ToArray();
        var rows = Enumerable.Range(0, 2500).Reverse().ToArray();

        // Execute
        var outputs = ModelEvaluator.EvaluateExamples(new ExampleOutputsJob(spec, weights, data, rows), TestDevice.Torch);
        var means = ModelEvaluator.EvaluateMany(weights.Select(w => new EvaluationJob(spec, w, data, rows)).ToArray(), TestDevice.Torch);

        // Assert: the mean of the per-example losses is the evaluation loss; argmax of the logits its accuracy.
        for (int j = 0; j < weights.Length; j++)
        {
            Assert.Equal(means[j].Loss, outputs.Losses[j].Average(l => (double)l), 1e-5);
            int hits = rows.Select((row, i) => outputs.Logits[j].AsSpan(i * 3, 3).IndexOf(MaxOf(outputs.Logits[j].AsSpan(i * 3, 3))) == data.Labels[row] ? 1 : 0).Sum();
            Assert.Equal(means[j].Accuracy, hits / 2500.0, 1e-12);
        }
        Assert.NotEqual(outputs.Losses[0], outputs.Losses[1]);

        static float MaxOf(ReadOnlySpan<float> v) { float m = v[0]; foreach (float x in v) m = Math.Max(m, x); return m; }
    }

    [Fact]
    public void Evaluate_rejects_weights_of_another_model()
    {
        var error = Assert.Throws<ArgumentException>(() => ModelEvaluator.Evaluate(new EvaluationJob(Spec, new float[5], Tiny()), TestDevice.Torch));

        Assert.Contains("has 5 values but model", error.Message);
    }
}
