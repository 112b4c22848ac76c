using FedSim.Scenario;
using FedSim.Data;

namespace FedSim.Tests.Data;

/// <summary>The audit's non-members are distributed like its members: only membership tells them apart.</summary>
public sealed class AuditHoldoutTests
{
    private static readonly Dataset TenClasses = TestData.Labelled(classes: 10, perClass: 2000);

    private static int[][] Skewed(int devices) =>
        Partitioners.Partition(TenClasses, new PartitionSpec { Kind = PartitionKinds.Dirichlet, Alpha = 0.1 }, devices, seed: 11);

    /// <summary>Share of each (device, label) cell among the given rows.</summary>
    private static Dictionary<(int Device, int Label), double> Joint(int[][] rowsPerDevice)
    {
        double total = rowsPerDevice.Sum(r => r.Length);
        return rowsPerDevice.SelectMany((rows, d) => rows.Select(r => (d, TenClasses.Labels[r])))
            .GroupBy(c => c).ToDictionary(g => g.Key, g => g.Count() / total);
    }

    [Fact]
    public void Held_out_records_have_the_device_and_label_mix_of_training_records_under_label_skew()
    {
        // Prepare: Dirichlet α = 0.1 gives devices very different label mixes.
        var partition = Skewed(devices: 20);

        // Execute
        var (training, heldOut) = AuditHoldout.Split(partition, 0.5, seed: 77);

        // Assert: the joint (device, label) distributions of the two groups agree (total variation), and the
        // held-out share is the coin's probability.
        var members = Joint(training);
        var nonMembers = Joint(heldOut);
        double tv = 0.5 * members.Keys.Union(nonMembers.Keys).Sum(c => Math.Abs(members.GetValueOrDefault(c) - nonMembers.GetValueOrDefault(c)));
        // Binomial noise alone gives TV ≈ 0.02 for ~200 cells over 10 000 records per group; a split that followed
        // the label or the device (e.g. "hold out each device's last half", partitions are label-sorted) gives ~0.5.
        Assert.True(tv < 0.05, $"total variation between members and non-members is {tv:F3}");
        double share = heldOut.Sum(h => h.Length) / (double)TenClasses.Count;
        Assert.InRange(share, 0.48, 0.52);
        TestData.AssertDisjointCover(training.Concat(heldOut).ToArray(), TenClasses.Count);
    }

    [Fact]
    public void A_records_coin_depends_on_the_record_alone_not_on_its_device()
    {
        // Prepare: the same rows dealt to devices in two different ways.
        var partition = Skewed(devices: 20);
        var regrouped = partition.SelectMany(p => p).Order().Chunk(1000).ToArray();

        // Execute
        var (_, a) = AuditHoldout.Split(partition, 0.3, seed: 5);
        var (_, b) = AuditHoldout.Split(regrouped, 0.3, seed: 5);
        var (_, c) = AuditHoldout.Split(partition, 0.3, seed: 6);

        // Assert
        Assert.Equal(a.SelectMany(h => h).Order(), b.SelectMany(h => h).Order());
        Assert.NotEqual(a.SelectMany(h => h).Order(), c.SelectMany(h => h).Order());
    }

    [Fact]
    public void Every_device_keeps_a_record_to_train_on()
    {
        // Prepare: 2 000 one-record devices and a coin that holds out 90 % of records.
        var partition = Enumerable.Range(0, 2000).Select(i => new[] { i }).ToArray();

        // Execute
        var (training, heldOut) = AuditHoldout.Split(partition, 0.9, seed: 3);

        // Assert
        Assert.All(training, t => Assert.Single(t));
        Assert.All(heldOut, Assert.Empty);
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(1.0)]
    public void A_holdout_fraction_outside_the_open_unit_interval_is_refused(double fraction)
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => AuditHoldout.Split([[1, 2]], fraction, 1));

        Assert.Contains("audit.holdout", error.Message);
    }
}
