using System.Diagnostics;
using FedSim.Scenario;
using FedSim.Data;
using FedSim.Tests.Support;

namespace FedSim.Tests.Data;

public class PartitionerTests
{
    private static readonly Dataset TenClasses = TestData.Labelled(classes: 10, perClass: 600);

    private static PartitionSpec Spec(string kind, double alpha = 0.5, int shards = 2, double sigma = 1.0, int min = 1) =>
        new() { Kind = kind, Alpha = alpha, ShardsPerDevice = shards, Sigma = sigma, MinSamples = min };

    [Theory]
    [InlineData(PartitionKinds.Iid)]
    [InlineData(PartitionKinds.Dirichlet)]
    [InlineData(PartitionKinds.Shards)]
    [InlineData(PartitionKinds.QuantitySkew)]
    public void Every_kind_is_a_disjoint_cover_of_the_training_set(string kind)
    {
        // Prepare / Execute
        var partition = Partitioners.Partition(TenClasses, Spec(kind), devices: 50, seed: 3);

        // Assert
        Assert.Equal(50, partition.Length);
        TestData.AssertDisjointCover(partition, TenClasses.Count);
        Assert.All(partition, p => Assert.Equal(p.Order(), p));  // sorted indices
    }

    [Theory]
    [InlineData(PartitionKinds.Iid)]
    [InlineData(PartitionKinds.Dirichlet)]
    [InlineData(PartitionKinds.Shards)]
    [InlineData(PartitionKinds.QuantitySkew)]
    [InlineData(PartitionKinds.Natural)]
    public void Same_seed_gives_the_same_partition_and_another_seed_a_different_one(string kind)
    {
        // Prepare
        var data = TestData.Labelled(10, 600, groups: Enumerable.Range(0, 6000).Select(i => i / 60).ToArray());

        // Execute: natural with fewer devices than groups deals groups at random, so it is seeded too.
        int devices = kind == PartitionKinds.Natural ? 40 : 50;
        var a = Partitioners.Partition(data, Spec(kind), devices, seed: 1);
        var b = Partitioners.Partition(data, Spec(kind), devices, seed: 1);
        var c = Partitioners.Partition(data, Spec(kind), devices, seed: 2);

        // Assert
        Assert.Equal(a, b);
        Assert.NotEqual(a, c);
    }

    [Fact]
    public void Iid_partition_has_near_equal_sizes_and_high_label_entropy()
    {
        // Prepare / Execute
        var partition = Partitioners.Partition(TenClasses, Spec(PartitionKinds.Iid), devices: 7, seed: 4);
        var stats = PartitionStatistics.Compute(TenClasses, partition);

        // Assert
        Assert.Equal(857, stats.MinSamples);   // 6000 / 7 = 857 r 1
        Assert.Equal(858, stats.MaxSamples);
        Assert.InRange(stats.MeanLabelEntropyBits, 3.28, Math.Log2(10));
        Assert.Equal(Math.Log2(10), stats.GlobalLabelEntropyBits, 9);
    }

    [Fact]
    public void Dirichlet_partition_with_small_alpha_is_label_skewed_and_large_alpha_is_not()
    {
        // Prepare / Execute
        var skewed = PartitionStatistics.Compute(TenClasses, Partitioners.Partition(TenClasses, Spec(PartitionKinds.Dirichlet, alpha: 0.1), 20, seed: 5));
        var balanced = PartitionStatistics.Compute(TenClasses, Partitioners.Partition(TenClasses, Spec(PartitionKinds.Dirichlet, alpha: 100), 20, seed: 5));

        // Assert
        Assert.True(skewed.MeanLabelEntropyBits < 1.8, skewed.Describe());
        Assert.True(balanced.MeanLabelEntropyBits > 3.2, balanced.Describe());
    }

    [Fact]
    public void Dirichlet_partition_tops_up_devices_to_the_minimum()
    {
        // Prepare / Execute: alpha 0.05 over 200 devices leaves many devices empty before the top-up.
        var partition = Partitioners.Partition(TenClasses, Spec(PartitionKinds.Dirichlet, alpha: 0.05, min: 10), 200, seed: 6);

        // Assert
        Assert.All(partition, p => Assert.True(p.Length >= 10));
        TestData.AssertDisjointCover(partition, TenClasses.Count);
    }

    [Fact]
    public void Shards_partition_gives_each_device_at_most_shards_per_device_labels()
    {
        // Prepare: 10 classes x 600 and 100 devices x 2 shards = shards of 30, each within one label.
        // Execute
        var partition = Partitioners.Partition(TenClasses, Spec(PartitionKinds.Shards, shards: 2), devices: 100, seed: 7);

        // Assert
        Assert.All(partition, p => Assert.InRange(p.Select(i => TenClasses.Labels[i]).Distinct().Count(), 1, 2));
        Assert.All(partition, p => Assert.Equal(60, p.Length));
        Assert.Contains(partition, p => p.Select(i => TenClasses.Labels[i]).Distinct().Count() == 2);
    }

    [SharedDataFact]
    public void Shards_partition_of_mnist_follows_mcmahan_two_digits_per_client()
    {
        // Prepare
        var mnist = DatasetCatalog.Load(new DatasetSpec { Kind = DatasetKinds.Mnist, Path = SharedDatasets.PathOf("mnist") }, ".", 1).Train;

        // Execute
        var partition = Partitioners.Partition(mnist, Spec(PartitionKinds.Shards, shards: 2), devices: 100, seed: 1);
        var stats = PartitionStatistics.Compute(mnist, partition);

        // Assert: 200 shards of 300; a shard crosses a label boundary at most once.
        Assert.Equal(600, stats.MinSamples);
        Assert.Equal(600, stats.MaxSamples);
        Assert.All(partition, p => Assert.InRange(p.Select(i => mnist.Labels[i]).Distinct().Count(), 1, 4));
        Assert.True(stats.MeanLabelsPerDevice < 2.3, stats.Describe());
        TestData.AssertDisjointCover(partition, mnist.Count);
    }

    [Fact]
    public void Quantity_skew_spreads_device_sizes_and_respects_the_minimum()
    {
        // Prepare / Execute
        var partition = Partitioners.Partition(TenClasses, Spec(PartitionKinds.QuantitySkew, sigma: 1.5, min: 5), devices: 100, seed: 8);
        var stats = PartitionStatistics.Compute(TenClasses, partition);
        var iid = PartitionStatistics.Compute(TenClasses, Partitioners.Partition(TenClasses, Spec(PartitionKinds.Iid), 100, seed: 8));

        // Assert
        Assert.True(stats.MinSamples >= 5);
        Assert.True(stats.MaxSamples > 10 * stats.MinSamples, stats.Describe());
        Assert.Equal(60, iid.MaxSamples);
        Assert.Equal(6000, stats.Samples);
    }

    [Fact]
    public void Natural_partition_keeps_each_group_on_one_device()
    {
        // Prepare: 30 groups of uneven size.
        var groups = Enumerable.Range(0, 6000).Select(i => (i * 7 + i / 13) % 30).ToArray();
        var data = TestData.Labelled(10, 600, groups);

        // Execute
        var exact = Partitioners.Partition(data, Spec(PartitionKinds.Natural), devices: 30, seed: 1);
        var merged = Partitioners.Partition(data, Spec(PartitionKinds.Natural), devices: 8, seed: 1);

        // Assert
        for (int d = 0; d < 30; d++) Assert.All(exact[d], i => Assert.Equal(d, groups[i]));
        TestData.AssertDisjointCover(merged, data.Count);
        var deviceOfGroup = new Dictionary<int, int>();
        for (int d = 0; d < merged.Length; d++)
            foreach (int i in merged[d])
                Assert.Equal(d, deviceOfGroup.TryGetValue(groups[i], out int seen) ? seen : deviceOfGroup[groups[i]] = d);
        Assert.All(merged, p => Assert.NotEmpty(p));
    }

    [SharedDataFact]
    public void Natural_partition_of_femnist_gives_one_writer_per_device()
    {
        // Prepare
        var femnist = DatasetCatalog.Load(new DatasetSpec { Kind = DatasetKinds.Femnist, Path = SharedDatasets.PathOf("femnist-leaf") }, ".", 1).Train;

        // Execute
        var partition = Partitioners.Partition(femnist, Spec(PartitionKinds.Natural), devices: 105, seed: 1);
        var stats = PartitionStatistics.Compute(femnist, partition);

        // Assert
        Assert.Equal(105, stats.Devices);
        Assert.Equal(14_708, stats.Samples);
        for (int d = 0; d < 105; d++) Assert.All(partition[d], i => Assert.Equal(d, femnist.Groups![i]));
    }

    [Fact]
    public void Natural_partition_with_more_devices_than_groups_says_how_many_are_allowed()
    {
        // Prepare
        var data = TestData.Labelled(2, 10, groups: Enumerable.Range(0, 20).Select(i => i % 4).ToArray());

        // Execute
        var e = Assert.Throws<PartitionException>(() => Partitioners.Partition(data, Spec(PartitionKinds.Natural), 5, seed: 1));

        // Assert
        Assert.Contains("4 groups", e.Message);
        Assert.Contains("devices: 4", e.Message);
    }

    [Fact]
    public void Natural_partition_of_a_dataset_without_groups_is_refused()
    {
        // Prepare / Execute
        var e = Assert.Throws<PartitionException>(() => Partitioners.Partition(TenClasses, Spec(PartitionKinds.Natural), 5, seed: 1));

        // Assert
        Assert.Contains("natural owners", e.Message);
    }

    [Theory]
    [InlineData(PartitionKinds.Iid)]
    [InlineData(PartitionKinds.Dirichlet)]
    [InlineData(PartitionKinds.QuantitySkew)]
    [InlineData(PartitionKinds.Shards)]
    public void More_devices_than_samples_is_refused_with_the_numbers(string kind)
    {
        // Prepare
        var tiny = TestData.Labelled(2, 5);

        // Execute
        var e = Assert.Throws<PartitionException>(() => Partitioners.Partition(tiny, Spec(kind), devices: 11, seed: 1));

        // Assert
        Assert.Contains("10 samples", e.Message);
    }

    [Fact]
    public void Unknown_kind_lists_the_known_ones()
    {
        // Prepare / Execute
        var e = Assert.Throws<PartitionException>(() => Partitioners.Partition(TenClasses, Spec("pathological"), 5, seed: 1));

        // Assert
        Assert.Contains("pathological", e.Message);
        Assert.Contains("quantity-skew", e.Message);
    }

    [Fact]
    public void A_million_devices_over_two_million_samples_partition_iid_evenly()
    {
        // Prepare
        var labels = new int[2_000_000];
        for (int i = 0; i < labels.Length; i++) labels[i] = i % 10;
        var big = new Dataset("big", new float[labels.Length], labels, 1, 10);

        // Execute (its speed is measured by `fedsim bench`, not asserted here)
        var partition = Partitioners.Partition(big, Spec(PartitionKinds.Iid), devices: 1_000_000, seed: 1);
        var stats = PartitionStatistics.Compute(big, partition);

        // Assert
        Assert.Equal(2, stats.MinSamples);
        Assert.Equal(2, stats.MaxSamples);
        Assert.Equal(2_000_000, stats.Samples);
    }
}
