using FedSim.Data;

namespace FedSim.Tests.Data;

public class CsvDatasetReaderTests
{
    private static string Write(string text, string name = "data.csv")
    {
        string path = Path.Combine(TestData.TempDir(), name);
        File.WriteAllText(path, text);
        return path;
    }

    [Fact]
    public void Numbers_stay_numeric_text_becomes_one_hot_and_an_empty_cell_is_its_own_category()
    {
        // Prepare: quoted cells may hold commas; "colour" is text, "x" numeric.
        string path = Write("x,colour,label\n1.5,red,no\n2.5,\"blue, dark\",yes\n3.5,,no\n");

        // Execute
        var table = CsvDatasetReader.Read(path, "label", null);

        // Assert: categories sorted ordinally: "(missing)" < "blue, dark" < "red".
        Assert.Equal(["x", "colour=(missing)", "colour=blue, dark", "colour=red"], table.FeatureNames);
        Assert.Equal([0], table.NumericFeatures);
        Assert.Equal(new float[] { 1.5f, 0, 0, 1, 2.5f, 0, 1, 0, 3.5f, 1, 0, 0 }, table.Features);
        Assert.Equal(["no", "yes"], table.ClassNames);
        Assert.Equal([0, 1, 0], table.Labels);
        Assert.Equal([0, 0, 1], table.MissingPerRow);
    }

    [Fact]
    public void Integer_labels_are_numbered_in_numeric_order_whatever_their_values()
    {
        // Prepare: labels 10, 2, -1 (an SVM-style -1/+1 file would work the same way).
        string path = Write("a,label\n0.1,10\n0.2,2\n0.3,-1\n0.4,2.0\n");

        // Execute
        var table = CsvDatasetReader.Read(path, "label", null);

        // Assert
        Assert.Equal(["-1", "2", "10"], table.ClassNames);
        Assert.Equal([2, 1, 0, 1], table.Labels);
    }

    [Fact]
    public void With_an_owner_column_every_owner_keeps_training_rows_and_becomes_a_group()
    {
        // Prepare: owner "solo" has a single row, which must stay in training.
        var rows = Enumerable.Range(0, 20).Select(i => $"{i}.0,site{i % 3},{i % 2}").Append("7.0,solo,1");
        string path = Write("x,site,label\n" + string.Join('\n', rows) + "\n");

        // Execute
        var split = CsvDatasetReader.Load(path, "label", "site", testFraction: 0.25, seed: 5);

        // Assert
        Assert.Equal(["site0", "site1", "site2", "solo"], split.Train.GroupNames!);
        Assert.Equal(4, split.Train.Groups!.Distinct().Count());
        Assert.Equal(21, split.Train.Count + split.Test.Count);
        Assert.DoesNotContain("site", split.Train.FeatureNames!);
        Assert.Single(split.Train.FeatureNames!);
    }

    [Fact]
    public void Numeric_features_are_z_scored_with_training_statistics()
    {
        // Prepare
        var rows = Enumerable.Range(0, 40).Select(i => $"{100 + i},{(i % 2 == 0 ? "a" : "b")},{i % 2}");
        string path = Write("x,kind,label\n" + string.Join('\n', rows) + "\n");

        // Execute
        var split = CsvDatasetReader.Load(path, "label", null, testFraction: 0.25, seed: 1);
        var x = Enumerable.Range(0, split.Train.Count).Select(i => (double)split.Train.Row(i)[0]).ToArray();
        double mean = x.Average(), sd = Math.Sqrt(x.Select(v => (v - mean) * (v - mean)).Average());

        // Assert
        Assert.Equal(0, mean, 5);
        Assert.Equal(1, sd, 5);
        Assert.All(Enumerable.Range(0, split.Train.Count), i => Assert.True(split.Train.Row(i)[1] is 0 or 1)); // one-hot untouched
    }

    [Fact]
    public void A_gzipped_file_reads_like_the_plain_one()
    {
        // Prepare
        string text = "x,label\n1,0\n2,1\n3,0\n4,1\n5,0\n";
        string plain = Write(text);
        string gz = Path.Combine(Path.GetDirectoryName(plain)!, "data.csv.gz");
        File.WriteAllBytes(gz, TestData.Gzip(System.Text.Encoding.UTF8.GetBytes(text)));

        // Execute / Assert
        Assert.Equal(CsvDatasetReader.Read(plain, "label", null).Features, CsvDatasetReader.Read(gz, "label", null).Features);
        Assert.Equal(["x", "label"], CsvDatasetReader.ReadHeader(gz));
    }
}
