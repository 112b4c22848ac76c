using FedSim.Data;
using FedSim.Tests.Support;

namespace FedSim.Tests.Data;

public class LocationReaderTests
{
    [SharedDataFact]
    public void Location_has_5010_rows_of_446_binary_features_in_30_classes()
    {
        // Prepare: the archive as Shokri et al.'s dataset_location.tgz ships it (one file, bangkok).
        string archive = SharedDatasets.PathOf("location", LocationReader.Archive);

        // Execute
        var (features, labels) = LocationReader.Read(archive);

        // Assert: the sizes the dataset's description gives; the first row reads "13",0,1,0,1,0,0,...
        Assert.Equal(5_010, labels.Length);
        Assert.Equal(5_010 * 446, features.Length);
        Assert.Equal(Enumerable.Range(0, 30), labels.Distinct().Order());
        Assert.Equal(12, labels[0]);
        Assert.Equal([0f, 1f, 0f, 1f, 0f, 0f], features[..6]);
        Assert.All(features, v => Assert.True(v is 0f or 1f));
    }

    [SharedDataFact]
    public void The_split_keeps_every_row_once_and_is_seeded()
    {
        string folder = SharedDatasets.PathOf("location");

        var first = LocationReader.Load(folder, testFraction: 0.2, seed: 5);
        var again = LocationReader.Load(folder, testFraction: 0.2, seed: 5);

        Assert.Equal(5_010, first.Train.Count + first.Test.Count);
        Assert.InRange(first.Test.Count, 990, 1_020);
        Assert.Equal(first.Train.Labels, again.Train.Labels);
        Assert.Equal(30, first.Train.ClassCount);
    }

    [Fact]
    public void A_short_row_is_reported_at_its_line_with_the_expected_width()
    {
        // Prepare: an extracted bangkok file whose second row lost a feature.
        string folder = Directory.CreateTempSubdirectory("location").FullName;
        string good = "\"3\"," + string.Join(',', Enumerable.Repeat("0", 446));
        string shortRow = "\"4\"," + string.Join(',', Enumerable.Repeat("1", 445));
        File.WriteAllLines(Path.Combine(folder, LocationReader.CsvName), [good, shortRow]);

        // Execute
        var error = Assert.Throws<DatasetException>(() => LocationReader.Read(folder));

        // Assert
        Assert.Contains($"{LocationReader.CsvName}:2:", error.Message);
        Assert.Contains("expected 447 comma-separated values", error.Message);
        Directory.Delete(folder, recursive: true);
    }

    [Fact]
    public void A_feature_other_than_0_or_1_is_refused()
    {
        string folder = Directory.CreateTempSubdirectory("location").FullName;
        File.WriteAllLines(Path.Combine(folder, LocationReader.CsvName), ["\"1\",2," + string.Join(',', Enumerable.Repeat("0", 445))]);

        var error = Assert.Throws<DatasetException>(() => LocationReader.Read(folder));

        Assert.Contains("column 2 is 2; Location's features are binary", error.Message);
        Directory.Delete(folder, recursive: true);
    }
}
