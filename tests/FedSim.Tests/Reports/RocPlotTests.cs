using FedSim.Attacks.Inference;
using FedSim.Scenarios.Reports;
using FedSim.Tests.Attacks.Inference;

namespace FedSim.Tests.Reports;

public class RocPlotTests
{
    private static readonly byte[] PngMagic = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A];

    private static (int Width, int Height) PngSize(byte[] png) =>
        (System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(16)),
         System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(20)));

    /// <summary>A Gaussian attack with the given separation, n per side.</summary>
    private static RocSeries Attack(string name, double separation, int n, ulong seed)
    {
        var rng = AttackTestKit.Rng(seed);
        var audit = AuditScores.FromGroups(AttackTestKit.Normal(rng, n, separation, 1), AttackTestKit.Normal(rng, n, 0, 1));
        return new RocSeries(name, RocCurve.From(audit));
    }

    [Fact]
    public void Roc_plot_writes_a_png_of_the_requested_size()
    {
        // Prepare
        using var dir = new TempDir();
        string path = dir.File(RocPlot.FileName);

        // Execute
        RocPlot.Save(path, [Attack("loss", 0.5, 2000, 71), Attack("lira-online", 1.5, 2000, 72)], "synthetic audit", 700, 650);

        // Assert
        byte[] png = File.ReadAllBytes(path);
        Assert.Equal(PngMagic, png[..8]);
        Assert.Equal((700, 650), PngSize(png));
        Assert.True(png.Length > 10_000, $"PNG is only {png.Length} bytes: was anything drawn?");
        Assert.Empty(Directory.GetFiles(dir.Path, "*.tmp"));
    }

    [Fact]
    public void Roc_plot_draws_more_when_there_are_more_curves()
    {
        var one = RocPlot.Render([Attack("loss", 0.5, 1000, 73)], "t");
        var two = RocPlot.Render([Attack("loss", 0.5, 1000, 73), Attack("rmia", 2.0, 1000, 74)], "t");

        Assert.Equal(PngMagic, two[..8]);
        Assert.NotEqual(one, two);
    }

    [Fact]
    public void Roc_plot_handles_no_curve_a_perfect_attack_and_a_large_audit()
    {
        var perfect = new RocSeries("perfect", RocCurve.From(AuditScores.FromGroups([1.0, 1.0], [0.0, 0.0])));

        Assert.Equal(PngMagic, RocPlot.Render([], "empty")[..8]);
        Assert.Equal(PngMagic, RocPlot.Render([perfect], "perfect")[..8]);
        Assert.Equal(PngMagic, RocPlot.Render([Attack("big", 1, 20_000, 75)], "large")[..8]);
    }

    [Theory]
    [InlineData(500, 1e-3)]     // 1/500 = 2e-3: the floor is the power of ten below it
    [InlineData(10_000, 1e-4)]  // exactly 1e-4
    [InlineData(25_000, 1e-5)]
    [InlineData(3, 0.1)]        // tiny audits still get a decade of axis
    public void Axis_floor_is_the_power_of_ten_at_or_below_the_smallest_measurable_rate(int perSide, double floor)
    {
        var audit = AuditScores.FromGroups(Enumerable.Repeat(1.0, perSide).ToArray(), Enumerable.Repeat(0.0, perSide).ToArray());

        Assert.Equal(floor, RocPlot.AxisFloor([new RocSeries("a", RocCurve.From(audit))]), 15);
    }
}
