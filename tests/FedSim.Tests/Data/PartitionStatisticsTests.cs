using FedSim.Data;

namespace FedSim.Tests.Data;

public class PartitionStatisticsTests
{
    [Fact]
    public void Statistics_of_a_hand_made_partition_are_exact()
    {
        // Prepare: labels 0,1,0,1,0,1,0,1 ; device 0 has one label, device 1 both equally, device 2 is empty.
        var data = TestData.Labelled(classes: 2, perClass: 4);
        int[][] partition = [[0, 2, 4], [1, 3, 5, 6, 7], []];

        // Execute
        var stats = PartitionStatistics.Compute(data, partition);

        // Assert
        Assert.Equal(3, stats.Devices);
        Assert.Equal(8, stats.Samples);
        Assert.Equal(0, stats.MinSamples);
        Assert.Equal(3, stats.MedianSamples);
        Assert.Equal(5, stats.MaxSamples);
        Assert.Equal(8 / 3.0, stats.MeanSamples, 12);
        // Device 1: indices 1,3,5,7 have label 1 and index 6 label 0, so p = (1/5, 4/5).
        double h1 = -(0.2 * Math.Log2(0.2) + 0.8 * Math.Log2(0.8));
        Assert.Equal((0 + h1) / 2, stats.MeanLabelEntropyBits, 12);
        Assert.Equal(1.0, stats.GlobalLabelEntropyBits, 12);
        Assert.Equal(1.5, stats.MeanLabelsPerDevice, 12);
        Assert.Equal(1, stats.EmptyDevices);
        Assert.StartsWith("3 devices, 8 samples; per device min 0, median 3, max 5, mean 2.7;", stats.Describe());
        Assert.Contains("1 empty", stats.ToString());
    }
}
