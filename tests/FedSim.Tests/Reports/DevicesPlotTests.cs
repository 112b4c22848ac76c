using FedSim.GrainInterfaces;
using FedSim.Rounds;
using FedSim.Scenarios.Reports;

namespace FedSim.Tests.Reports;

public class DevicesPlotTests
{
    /// <summary>Rounds 2 and 4 evaluated 20 devices each (accuracies spread 0.3..0.95); rounds 1 and 3 were not evaluated.</summary>
    private static IReadOnlyList<RoundReport> PerDevice(bool personalized) =>
        ReportFixtures.FourRounds().Select(r => r.Round % 2 == 1 ? r : r with
        {
            DeviceAccuracies = new ValueList<DeviceAccuracy>(Enumerable.Range(0, 20).Select(d =>
                new DeviceAccuracy(d, 10, 0.3 + d * 0.03 + r.Round * 0.01, personalized ? Math.Min(1, 0.5 + d * 0.025) : null)).ToList()),
        }).ToList();

    [Fact]
    public void Devices_plot_decodes_as_a_png_of_the_requested_size_and_draws_the_personalized_spread_too()
    {
        // Prepare
        using var dir = new TempDir();
        string path = dir.File(DevicesPlot.FileName);

        // Execute
        DevicesPlot.Save(path, PerDevice(personalized: true), "mnist (seed 1)", 800, 450);
        byte[] global = DevicesPlot.Render(PerDevice(personalized: false), "mnist (seed 1)", 800, 450);

        // Assert: SkiaSharp decodes the whole image; the personalized spread adds to the global one.
        byte[] png = File.ReadAllBytes(path);
        using var bitmap = SkiaSharp.SKBitmap.Decode(png);
        Assert.NotNull(bitmap);
        Assert.Equal((800, 450), (bitmap.Width, bitmap.Height));
        Assert.NotEqual(global, png);
        Assert.Empty(Directory.GetFiles(dir.Path, "*.tmp"));
        Assert.True(DevicesPlot.HasData(PerDevice(personalized: false)));
        Assert.False(DevicesPlot.HasData(ReportFixtures.FourRounds()));
    }

    [Fact]
    public void A_run_report_embeds_devices_png_when_the_folder_has_one()
    {
        // Execute
        string with = RunReport.Build(null, null, null, [], devicesPng: [4, 5, 6]);
        string without = RunReport.Build(null, null, null, []);

        // Assert
        Assert.Contains("<h2>Accuracy over devices</h2>", with);
        Assert.Contains("data:image/png;base64,BAUG", with);
        Assert.DoesNotContain("Accuracy over devices", without);
    }
}
