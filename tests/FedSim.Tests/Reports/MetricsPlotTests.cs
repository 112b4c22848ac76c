using FedSim.GrainInterfaces;
using FedSim.Scenarios.Reports;

namespace FedSim.Tests.Reports;

public class MetricsPlotTests
{
    private static readonly byte[] PngMagic = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A];

    private static (int Width, int Height) PngSize(byte[] png) =>
        // IHDR is the first chunk: width and height are big-endian at bytes 16..23.
        (System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(16)),
         System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(20)));

    [Fact]
    public void Metrics_plot_writes_a_png_of_the_requested_size()
    {
        // Prepare
        using var dir = new TempDir();
        string path = dir.File(MetricsPlot.FileName);

        // Execute
        MetricsPlot.Save(path, ReportFixtures.FourRounds(), "mnist-iid (seed 42)", 900, 700);

        // Assert
        byte[] png = File.ReadAllBytes(path);
        Assert.Equal(PngMagic, png[..8]);
        Assert.Equal((900, 700), PngSize(png));
        Assert.True(png.Length > 10_000, $"PNG is only {png.Length} bytes: was anything drawn?");
        Assert.Empty(Directory.GetFiles(dir.Path, "*.tmp"));
    }

    [Fact]
    public void Metrics_plot_draws_more_when_there_are_more_curves()
    {
        // Prepare: the same run with and without evaluation; a plot that ignored the data would not change.
        var evaluated = ReportFixtures.FourRounds();
        var unevaluated = evaluated.Select(r => r with { TestAccuracy = null, TestLoss = null }).ToList();

        // Execute
        byte[] a = MetricsPlot.Render(evaluated, "t");
        byte[] b = MetricsPlot.Render(unevaluated, "t");

        // Assert
        Assert.Equal(PngMagic, b[..8]);
        Assert.NotEqual(a, b);
    }

    [Fact]
    public void Metrics_plot_handles_a_long_run_and_an_empty_one()
    {
        var many = Enumerable.Range(1, 500)
            .Select(i => new RoundReport(i, 1 - 1.0 / i, 1.0 / i, 10, 0, 1.2 / i, 600, 1, 1, 1, i, i)).ToList();
        Assert.Equal(PngMagic, MetricsPlot.Render(many, "long")[..8]);
        Assert.Equal(PngMagic, MetricsPlot.Render([], "empty")[..8]);
    }

    [Fact]
    public void A_font_is_installed_so_plots_have_labels()
    {
        // Without a font the PNG is still valid but has no text at all; CI must install fonts-dejavu-core.
        Assert.True(MetricsPlot.FontProblem is null, MetricsPlot.FontProblem);
    }
}
