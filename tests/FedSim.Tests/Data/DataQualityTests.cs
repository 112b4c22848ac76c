using FedSim.Data;

namespace FedSim.Tests.Data;

public class DataQualityTests
{
    private static Dataset Rows(float[][] rows, int[] labels, int classes, string[]? names = null) =>
        new("q", rows.SelectMany(r => r).ToArray(), labels, rows[0].Length, classes, featureNames: names);

    [Fact]
    public void Duplicates_conflicts_and_constant_features_are_counted_exactly()
    {
        // Prepare: rows 2 and 4 repeat row 0 (row 4 with another label); column "bias" never changes.
        var train = Rows(
            [[1, 5, 0], [2, 5, 1], [1, 5, 0], [3, 5, 1], [1, 5, 0], [2, 5, 1]],
            [0, 1, 0, 1, 1, 1], classes: 2, names: ["a", "bias", "c"]);
        var split = new DatasetSplit(train, train.Subset([0]));

        // Execute
        var q = DataQuality.Compute(split, [[0, 1, 2], [3, 4, 5]]);

        // Assert
        Assert.Equal(6, q.TrainSamples);
        Assert.Equal(2, q.DuplicateRows);            // row 2 (= row 0, label 0) and row 5 (= row 1, label 1)
        Assert.Equal(1, q.ConflictingDuplicates);    // row 4 (= row 0, but label 1)
        Assert.Equal(1, q.ConstantFeatures);
        Assert.Equal(["bias"], q.ConstantFeatureExamples);
        Assert.Equal([2L, 4L], q.ClassCounts);
        Assert.Equal(2.0, q.ImbalanceRatio, 12);
        Assert.Contains("2 duplicate rows", q.Warnings());
    }

    [Fact]
    public void Device_label_skew_is_the_total_variation_distance_from_the_global_distribution()
    {
        // Prepare: global labels 50/50; device 0 holds only class 0, device 1 is balanced, device 2 is empty.
        var train = Rows([[0], [1], [2], [3], [4], [5], [6], [7]], [0, 0, 0, 0, 1, 1, 1, 1], classes: 2);
        var split = new DatasetSplit(train, train.Subset([0]));

        // Execute
        var d = DataQuality.Compute(split, [[0, 1], [2, 3, 4, 5, 6, 7], []]).Devices;

        // Assert: device 0: 0.5 * (|1 - 0.5| + |0 - 0.5|) = 0.5; device 1: p = (2/6, 4/6), 0.5 * (1/6 + 1/6) = 1/6.
        Assert.Equal(3, d.Devices);
        Assert.Equal(1, d.EmptyDevices);
        Assert.Equal((0.5 + 1 / 6.0) / 2, d.MeanDistanceFromGlobal, 12);
        Assert.Equal(0.5, d.MaxDistanceFromGlobal, 12);
        Assert.Equal(1, d.MinClasses);
        Assert.Equal(2, d.MaxClasses);
        Assert.Equal(1.5, d.MeanClasses, 12);
        Assert.Equal((1.0 + 4 / 6.0) / 2, d.MeanDominantShare, 12);
    }

    [Fact]
    public void Missing_values_come_from_the_reader_for_both_splits_and_absent_classes_are_flagged()
    {
        // Prepare
        var train = Rows([[0], [1], [2]], [0, 0, 2], classes: 3);
        var test = train.Subset([0]);
        train.MissingValues = 4;
        test.MissingValues = 1;

        // Execute
        var q = DataQuality.Compute(new DatasetSplit(train, test), [[0, 1, 2]]);

        // Assert
        Assert.Equal(5, q.MissingValues);
        Assert.Equal(1, q.AbsentClasses);
        Assert.Contains("1 classes have no training sample", q.Warnings());
        Assert.Contains("5 missing values", q.Describe());
    }
}
