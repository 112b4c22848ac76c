using FedSim.Data;
using FedSim.Tests.Support;

namespace FedSim.Tests.Data;

public class AdultReaderTests
{
    [SharedDataFact]
    public void Adult_has_32561_train_and_16281_test_rows_with_one_hot_categories()
    {
        // Prepare
        string folder = SharedDatasets.PathOf("adult");

        // Execute
        var split = AdultReader.LoadFolder(folder);

        // Assert
        Assert.Equal(32_561, split.Train.Count);
        Assert.Equal(16_281, split.Test.Count);
        Assert.Equal(2, split.Train.ClassCount);
        Assert.Equal(7_841, split.Train.Labels.Count(y => y == 1));   // >50K in adult.data
        Assert.Equal(3_846, split.Test.Labels.Count(y => y == 1));    // ">50K." in adult.test
        var names = split.Train.FeatureNames!;
        Assert.Equal(split.Train.FeatureCount, names.Length);
        Assert.Contains("workclass=missing", names);
        Assert.Contains("sex=Female", names);
        Assert.Equal("age", names[0]);
        int age = Array.IndexOf(names, "age");
        var (mean, std) = Tabular.ColumnStats(split.Train.Features, split.Train.FeatureCount);
        Assert.InRange(mean[age], -1e-4, 1e-4);
        Assert.InRange(std[age], 0.999, 1.001);
        // Each row has exactly one category set per categorical column (8 of them), none unknown in train.
        int first = Array.IndexOf(names, names.First(n => n.Contains('=')));
        float ones = 0;
        for (int j = 0; j < names.Length; j++) if (names[j].Contains('=')) ones += split.Train.Row(0)[j];
        Assert.Equal(8f, ones);
        Assert.True(first > 0);
    }

    [Fact]
    public void Unknown_test_category_encodes_as_zeros_and_dotted_labels_parse()
    {
        // Prepare
        string dir = TestData.TempDir();
        File.WriteAllLines(Path.Combine(dir, "adult.data"),
        [
            "39, State-gov, 77516, Bachelors, 13, Never-married, Adm-clerical, Not-in-family, White, Male, 2174, 0, 40, United-States, <=50K",
            "50, ?, 83311, Bachelors, 13, Married-civ-spouse, Exec-managerial, Husband, White, Male, 0, 0, 13, United-States, >50K",
            "",
        ]);
        File.WriteAllLines(Path.Combine(dir, "adult.test"),
        [
            "|1x3 Cross validator",
            "25, Private, 226802, 11th, 7, Never-married, Machine-op-inspct, Own-child, Black, Male, 0, 0, 40, United-States, >50K.",
        ]);

        // Execute
        var split = AdultReader.LoadFolder(dir);

        // Assert
        Assert.Equal([0, 1], split.Train.Labels);
        Assert.Equal([1], split.Test.Labels);
        var names = split.Train.FeatureNames!;
        Assert.Equal(["workclass=State-gov", "workclass=missing"], names.Where(n => n.StartsWith("workclass=")).Order(StringComparer.Ordinal));
        var row = split.Test.Row(0).ToArray();
        Assert.All(names.Select((n, j) => (n, j)).Where(t => t.n.StartsWith("workclass=") || t.n.StartsWith("race=")),
            t => Assert.Equal(0f, row[t.j]));
        Assert.Equal(1f, row[Array.IndexOf(names, "sex=Male")]);
    }

    [Fact]
    public void Bad_row_is_reported_with_file_and_line()
    {
        // Prepare
        string dir = TestData.TempDir();
        File.WriteAllLines(Path.Combine(dir, "adult.data"),
        [
            "39, State-gov, 77516, Bachelors, 13, Never-married, Adm-clerical, Not-in-family, White, Male, 2174, 0, 40, United-States, <=50K",
            "forty, State-gov, 77516, Bachelors, 13, Never-married, Adm-clerical, Not-in-family, White, Male, 2174, 0, 40, United-States, <=50K",
        ]);
        File.WriteAllLines(Path.Combine(dir, "adult.test"), ["|junk"]);

        // Execute
        var e = Assert.Throws<DatasetException>(() => AdultReader.LoadFolder(dir));

        // Assert
        Assert.StartsWith(Path.Combine(dir, "adult.data") + ":2:", e.Message);
        Assert.Contains("age is 'forty'", e.Message);
    }

    [Fact]
    public void A_folder_without_the_adult_files_is_an_error_at_the_scenarios_dataset_path_with_the_fetch_command()
    {
        // Prepare: adult.data alone.
        string dir = Directory.CreateTempSubdirectory("fedsim-adult-missing-").FullName;
        File.WriteAllText(Path.Combine(dir, "adult.data"), "");
        string scenario = Path.Combine(dir, "adult.yaml");
        File.WriteAllText(scenario, $"name: adult\ndataset:\n  kind: adult\n  path: {dir}\n");

        // Execute
        var loaded = FedSim.Scenarios.Configuration.ScenarioLoader.Load(scenario);

        // Assert: validation (not the run) finds it, at line 4, naming the missing file and how to get it.
        var error = Assert.Single(loaded.Errors);
        Assert.Equal((4, 9), (error.Line, error.Column));
        Assert.StartsWith($"{Path.Combine(dir, "adult.test")}: file not found", error.Message);
        Assert.Contains("fedsim data fetch adult --to DIR", error.Message);
        Directory.Delete(dir, recursive: true);
    }
}
