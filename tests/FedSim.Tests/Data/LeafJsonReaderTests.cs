using System.Text;
using FedSim.Data;
using FedSim.Tests.Support;

namespace FedSim.Tests.Data;

public class LeafJsonReaderTests
{
    [SharedDataFact]
    public void Femnist_loads_105_writers_with_14708_train_and_1685_test_samples()
    {
        // Prepare
        string folder = SharedDatasets.PathOf("femnist-leaf");

        // Execute
        var split = LeafJsonReader.LoadFolder(folder);

        // Assert
        Assert.Equal(14_708, split.Train.Count);
        Assert.Equal(1_685, split.Test.Count);
        Assert.Equal(new ImageShape(1, 28, 28), split.Train.Image);
        Assert.Equal(62, split.Train.ClassCount);
        Assert.All(split.Train.Labels, y => Assert.InRange(y, 0, 61));
        Assert.InRange(split.Train.Features.Min(), 0f, 1f);
        Assert.Equal(1f, split.Train.Features.Max());
        var names = split.Train.GroupNames!;
        Assert.Equal(105, names.Length);
        Assert.Equal(names.Order(StringComparer.Ordinal), names);          // stable writer order
        Assert.Same(names, split.Test.GroupNames);                           // same ids in train and test
        Assert.Equal(105, split.Train.Groups!.Distinct().Count());
        Assert.Equal(105, split.Test.Groups!.Distinct().Count());
    }

    [Fact]
    public void Plain_json_files_pair_by_name_and_writers_are_sorted()
    {
        // Prepare
        string dir = TestData.TempDir();
        Directory.CreateDirectory(Path.Combine(dir, "train"));
        Directory.CreateDirectory(Path.Combine(dir, "test"));
        File.WriteAllText(Path.Combine(dir, "train", "d_0_train_9.json"), Json(("zed", [[0.5f, 1f]], [3]), ("amy", [[0f, 0.25f], [1f, 1f]], [1, 2])));
        File.WriteAllText(Path.Combine(dir, "test", "d_0_test_9.json"), Json(("amy", [[0.1f, 0.2f]], [0]), ("zed", [[0.3f, 0.4f]], [4])));

        // Execute
        var split = LeafJsonReader.LoadFolder(dir, "tiny", featureCount: 2, classCount: 5);

        // Assert
        Assert.Equal(["amy", "zed"], split.Train.GroupNames!);
        Assert.Equal([0, 0, 1], split.Train.Groups!);
        Assert.Equal([1, 2, 3], split.Train.Labels);
        Assert.Equal([0f, 0.25f, 1f, 1f, 0.5f, 1f], split.Train.Features);
        Assert.Equal([0, 1], split.Test.Groups!);
        Assert.Equal([0, 4], split.Test.Labels);
        Assert.Null(split.Train.Image);
    }

    [Fact]
    public void Sample_with_wrong_feature_count_is_reported_with_file_and_user()
    {
        // Prepare
        string dir = TestData.TempDir();
        Directory.CreateDirectory(Path.Combine(dir, "train"));
        Directory.CreateDirectory(Path.Combine(dir, "test"));
        string bad = Path.Combine(dir, "train", "d_train_1.json");
        File.WriteAllText(bad, Json(("amy", [[0f, 0.25f, 0.5f]], [1])));
        File.WriteAllText(Path.Combine(dir, "test", "d_test_1.json"), Json(("amy", [[0f, 0.25f]], [1])));

        // Execute
        var e = Assert.Throws<DatasetException>(() => LeafJsonReader.LoadFolder(dir, "tiny", featureCount: 2, classCount: 5));

        // Assert
        Assert.Contains(bad, e.Message);
        Assert.Contains("user amy", e.Message);
        Assert.Contains("3 values, expected 2", e.Message);
    }

    [Fact]
    public void Train_file_without_a_test_partner_is_an_error()
    {
        // Prepare
        string dir = TestData.TempDir();
        Directory.CreateDirectory(Path.Combine(dir, "train"));
        Directory.CreateDirectory(Path.Combine(dir, "test"));
        File.WriteAllText(Path.Combine(dir, "train", "a_train_1.json"), Json(("amy", [[0f, 0f]], [1])));
        File.WriteAllText(Path.Combine(dir, "test", "b_test_1.json"), Json(("amy", [[0f, 0f]], [1])));

        // Execute
        var e = Assert.Throws<DatasetException>(() => LeafJsonReader.LoadFolder(dir, "tiny", featureCount: 2, classCount: 5));

        // Assert
        Assert.Contains("pair up by name", e.Message);
        Assert.Contains("a_train_1.json", e.Message);
    }

    [Fact]
    public void Broken_json_reports_the_file_and_line()
    {
        // Prepare
        string dir = TestData.TempDir();
        Directory.CreateDirectory(Path.Combine(dir, "train"));
        Directory.CreateDirectory(Path.Combine(dir, "test"));
        string bad = Path.Combine(dir, "train", "a_train_1.json");
        File.WriteAllText(bad, "{\"users\": [\"amy\"],\n \"user_data\": {\"amy\": {\"x\": [[0.0, 0.0]], \"y\": [1}}}");
        File.WriteAllText(Path.Combine(dir, "test", "a_test_1.json"), Json(("amy", [[0f, 0f]], [1])));

        // Execute
        var e = Assert.Throws<DatasetException>(() => LeafJsonReader.LoadFolder(dir, "tiny", featureCount: 2, classCount: 5));

        // Assert
        Assert.StartsWith($"{bad}:2: ", e.Message);
    }

    private static string Json(params (string User, float[][] X, int[] Y)[] users)
    {
        var sb = new StringBuilder();
        sb.Append("{\"users\": [").AppendJoin(", ", users.Select(u => $"\"{u.User}\"")).Append("], ");
        sb.Append("\"num_samples\": [").AppendJoin(", ", users.Select(u => u.Y.Length)).Append("], \"user_data\": {");
        sb.AppendJoin(", ", users.Select(u =>
            $"\"{u.User}\": {{\"x\": [{string.Join(", ", u.X.Select(r => "[" + string.Join(", ", r.Select(v => v.ToString("R", System.Globalization.CultureInfo.InvariantCulture))) + "]"))}], " +
            $"\"y\": [{string.Join(", ", u.Y)}]}}"));
        return sb.Append("}}").ToString();
    }
}
