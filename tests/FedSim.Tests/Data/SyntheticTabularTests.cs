using System.Diagnostics;
using FedSim.Data;

namespace FedSim.Tests.Data;

public class SyntheticTabularTests
{
    [Fact]
    public void Same_seed_gives_identical_data_and_a_different_seed_different_data()
    {
        // Prepare / Execute
        var a = SyntheticTabular.Generate(2_000, 0.2, seed: 11);
        var b = SyntheticTabular.Generate(2_000, 0.2, seed: 11);
        var c = SyntheticTabular.Generate(2_000, 0.2, seed: 12);

        // Assert
        Assert.Equal(a.Train.Features, b.Train.Features);
        Assert.Equal(a.Train.Labels, b.Train.Labels);
        Assert.Equal(a.Test.Features, b.Test.Features);
        Assert.NotEqual(a.Train.Features, c.Train.Features);
    }

    [Fact]
    public void Split_sizes_follow_the_test_fraction_and_about_a_quarter_are_positive()
    {
        // Prepare / Execute
        var split = SyntheticTabular.Generate(10_000, 0.2, seed: 5);

        // Assert
        Assert.Equal(8_000, split.Train.Count);
        Assert.Equal(2_000, split.Test.Count);
        Assert.Equal(SyntheticTabular.FeatureNames.Length, split.Train.FeatureCount);
        Assert.Equal(SyntheticTabular.FeatureNames, split.Train.FeatureNames);
        double positives = split.Train.Labels.Average();
        Assert.InRange(positives, 0.24, 0.30);   // 25% from the threshold, moved towards 50% by 5% label noise
        Assert.InRange(Math.Abs(split.Test.Labels.Average() - positives), 0, 0.01);  // stratified
    }

    [Fact]
    public void One_hot_groups_hold_exactly_one_category_per_row()
    {
        // Prepare / Execute
        var split = SyntheticTabular.Generate(1_000, 0.2, seed: 2);

        // Assert
        int regions = SyntheticTabular.Regions.Length, segments = SyntheticTabular.Segments.Length;
        for (int i = 0; i < split.Train.Count; i++)
        {
            var row = split.Train.Row(i);
            Assert.Equal(1f, row.Slice(8, regions).ToArray().Sum());
            Assert.Equal(1f, row.Slice(8 + regions, segments).ToArray().Sum());
            Assert.Equal(1f, row.Slice(8 + regions + segments, SyntheticTabular.Channels.Length).ToArray().Sum());
        }
    }

    [Fact]
    public void Hidden_model_agrees_with_the_labels_up_to_the_label_noise()
    {
        // Prepare / Execute
        var raw = SyntheticTabular.GenerateRaw(20_000, seed: 9);

        // Assert
        double agreement = raw.Labels.Zip(raw.HiddenLabels).Count(p => p.First == p.Second) / 20_000.0;
        Assert.InRange(agreement, 0.94, 0.96);
        Assert.InRange(raw.HiddenLabels.Average(), 0.249, 0.251);
    }

    [Fact]
    public void A_closed_form_linear_classifier_beats_the_majority_class_clearly()
    {
        // Prepare
        var split = SyntheticTabular.Generate(20_000, 0.2, seed: 21);

        // Execute: ridge least squares on +-1 targets, solved by the normal equations.
        var w = FitLeastSquares(split.Train);
        double accuracy = Accuracy(split.Test, w);

        // Assert
        double majority = 1 - split.Test.Labels.Average();
        Assert.True(accuracy > majority + 0.05, $"linear accuracy {accuracy:0.000} vs majority {majority:0.000}");
    }

    [Fact]
    public void Hundred_thousand_samples_generate_quickly()
    {
        // Prepare
        var watch = Stopwatch.StartNew();

        // Execute
        var split = SyntheticTabular.Generate(100_000, 0.2, seed: 1);

        // Assert: generous bound for a shared CI core; typically well under a second.
        watch.Stop();
        Assert.Equal(100_000, split.Train.Count + split.Test.Count);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(8), $"took {watch.Elapsed.TotalSeconds:0.00} s");
    }

    private static double[] FitLeastSquares(Dataset d)
    {
        int p = d.FeatureCount + 1;
        var a = new double[p, p + 1];
        for (int i = 0; i < d.Count; i++)
        {
            var row = d.Row(i);
            double y = d.Labels[i] == 1 ? 1 : -1;
            for (int j = 0; j < p; j++)
            {
                double xj = j < d.FeatureCount ? row[j] : 1;
                for (int k = 0; k < p; k++) a[j, k] += xj * (k < d.FeatureCount ? row[k] : 1);
                a[j, p] += xj * y;
            }
        }
        for (int j = 0; j < p; j++) a[j, j] += 1e-3;  // one-hot groups are collinear with the bias
        // Gaussian elimination with partial pivoting.
        for (int c = 0; c < p; c++)
        {
            int pivot = c;
            for (int r = c + 1; r < p; r++) if (Math.Abs(a[r, c]) > Math.Abs(a[pivot, c])) pivot = r;
            for (int k = 0; k <= p; k++) (a[c, k], a[pivot, k]) = (a[pivot, k], a[c, k]);
            for (int r = 0; r < p; r++)
            {
                if (r == c) continue;
                double f = a[r, c] / a[c, c];
                for (int k = c; k <= p; k++) a[r, k] -= f * a[c, k];
            }
        }
        var w = new double[p];
        for (int j = 0; j < p; j++) w[j] = a[j, p] / a[j, j];
        return w;
    }

    private static double Accuracy(Dataset d, double[] w)
    {
        int correct = 0;
        for (int i = 0; i < d.Count; i++)
        {
            var row = d.Row(i);
            double s = w[^1];
            for (int j = 0; j < d.FeatureCount; j++) s += w[j] * row[j];
            if ((s > 0 ? 1 : 0) == d.Labels[i]) correct++;
        }
        return (double)correct / d.Count;
    }
}
