using FedSim.Data;
using FedSim.Tests.Support;

namespace FedSim.Tests.Data;

public class SklearnCsvReaderTests
{
    [SharedDataFact]
    public void Digits_has_1797_images_of_8x8_scaled_to_unit_range()
    {
        // Prepare
        string path = SharedDatasets.PathOf("sklearn", "digits.csv.gz");

        // Execute
        var split = SklearnCsvReader.LoadDigits(path, 0.2, seed: 7);

        // Assert
        Assert.Equal(1_797, split.Train.Count + split.Test.Count);
        Assert.InRange(split.Test.Count, 355, 365);
        Assert.Equal(new ImageShape(1, 8, 8), split.Train.Image);
        Assert.Equal(10, split.Train.ClassCount);
        Assert.Equal(0f, split.Train.Features.Min());
        Assert.Equal(1f, split.Train.Features.Max());
        // Stratified: every digit keeps about 20% of its samples in test.
        Assert.All(Enumerable.Range(0, 10), c => Assert.InRange(split.Test.Labels.Count(y => y == c), 34, 38));
    }

    [SharedDataFact]
    public void Breast_cancer_has_569_rows_and_train_features_are_standardized()
    {
        // Prepare
        string path = SharedDatasets.PathOf("sklearn", "breast_cancer.csv");

        // Execute
        var split = SklearnCsvReader.LoadBreastCancer(path, 0.25, seed: 3);

        // Assert
        Assert.Equal(569, split.Train.Count + split.Test.Count);
        Assert.Equal(30, split.Train.FeatureCount);
        Assert.Equal(2, split.Train.ClassCount);
        Assert.Null(split.Train.Image);
        var (mean, std) = Tabular.ColumnStats(split.Train.Features, 30);
        Assert.All(mean, m => Assert.InRange(m, -1e-4, 1e-4));
        Assert.All(std, s => Assert.InRange(s, 0.999, 1.001));
        // 212 malignant (class 0) in the whole file, a quarter of them held out.
        Assert.Equal(212, split.Train.Labels.Count(y => y == 0) + split.Test.Labels.Count(y => y == 0));
        Assert.Equal(53, split.Test.Labels.Count(y => y == 0));
    }

    [SharedDataFact]
    public void Split_is_determined_by_the_seed()
    {
        // Prepare
        string path = SharedDatasets.PathOf("sklearn", "breast_cancer.csv");

        // Execute
        var a = SklearnCsvReader.LoadBreastCancer(path, 0.2, seed: 1);
        var b = SklearnCsvReader.LoadBreastCancer(path, 0.2, seed: 1);
        var c = SklearnCsvReader.LoadBreastCancer(path, 0.2, seed: 2);

        // Assert
        Assert.Equal(a.Test.Features, b.Test.Features);
        Assert.NotEqual(a.Test.Features, c.Test.Features);
    }

    [Fact]
    public void Header_declares_classes_and_a_bad_row_is_reported_with_its_line()
    {
        // Prepare
        string path = Path.Combine(TestData.TempDir(), "bad.csv");
        File.WriteAllLines(path, ["3,2,no,yes", "1.0,2.0,0", "1.5,oops,1", "2.0,3.0,1"]);

        // Execute
        var e = Assert.Throws<DatasetException>(() => SklearnCsvReader.ReadTable(path));

        // Assert
        Assert.StartsWith($"{path}:3:", e.Message);
        Assert.Contains("'oops'", e.Message);
    }

    [Fact]
    public void Row_with_wrong_field_count_is_reported_with_its_line()
    {
        // Prepare
        string path = Path.Combine(TestData.TempDir(), "short.csv");
        File.WriteAllLines(path, ["3,2,no,yes", "1.0,2.0,0", "2.0,3.0,1", "2.0,1"]);

        // Execute
        var e = Assert.Throws<DatasetException>(() => SklearnCsvReader.ReadTable(path));

        // Assert
        Assert.StartsWith($"{path}:4:", e.Message);
        Assert.Contains("expected 3", e.Message);
    }

    [Fact]
    public void Headerless_file_takes_class_count_from_the_labels()
    {
        // Prepare
        string path = Path.Combine(TestData.TempDir(), "plain.csv");
        File.WriteAllLines(path, ["0,0,1", "1,2,2", "3,4,0"]);

        // Execute
        var table = SklearnCsvReader.ReadTable(path);

        // Assert
        Assert.Equal(2, table.FeatureCount);
        Assert.Equal(3, table.ClassNames.Length);
        Assert.Equal([1, 2, 0], table.Labels);
        Assert.Equal([0f, 0f, 1f, 2f, 3f, 4f], table.Features);
    }
}
