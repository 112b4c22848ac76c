using FedSim.Scenarios.Reports;
using Spectre.Console;

namespace FedSim.Tests.Reports;

public class RunConsoleTests
{
    private static (IAnsiConsole Console, StringWriter Output) Captured(bool interactive = false)
    {
        var writer = new StringWriter();
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(writer),
            Interactive = interactive ? InteractionSupport.Yes : InteractionSupport.No,
            Ansi = interactive ? AnsiSupport.Yes : AnsiSupport.No,
        });
        return (console, writer);
    }

    [Fact]
    public async Task Redirected_console_prints_one_line_per_round_and_a_final_table()
    {
        // Prepare
        var (console, output) = Captured();
        var run = new RunConsole(console, "mnist-iid", totalRounds: 4);
        var reports = ReportFixtures.FourRounds();

        // Execute: the runner reports rounds through IProgress inside RunAsync.
        int result = await run.RunAsync(progress =>
        {
            foreach (var r in reports) progress.Report(r);
            return Task.FromResult(17);
        });
        run.WriteSummary(RunSummary.Build(ReportFixtures.Input(), reports), "/tmp/results/mnist-iid");
        string text = output.ToString();

        // Assert
        Assert.Equal(17, result);
        Assert.False(run.IsLive);
        Assert.Contains("mnist-iid round 1/4  accuracy 0.5000  loss 1.2500  train_loss 2.0000  participants 10  failed 0  simulated 12.5 s", text);
        Assert.Contains("mnist-iid round 2/4  accuracy -  loss -", text);
        Assert.Contains("round 3/4  accuracy 0.9100  loss 0.3000", text);
        Assert.Contains("round 4/4  accuracy 0.9000  loss 0.3200", text);
        Assert.Contains("4 / 4", text);                  // rounds
        Assert.Contains("0.9000 (round 4)", text);       // final accuracy
        Assert.Contains("0.9100 (round 3)", text);       // best accuracy
        Assert.Contains("0.3200", text);                 // final loss
        Assert.Contains("45.0 s", text);                 // simulated time
        Assert.Contains("3.5 s", text);                  // wall time
        Assert.Contains("0.90 at round 3", text);
        Assert.Contains("Results written to /tmp/results/mnist-iid", text);
        Assert.DoesNotContain("\u001b[", text);          // no escape codes in a log file
    }

    [Fact]
    public void Quiet_console_prints_only_the_final_line()
    {
        // Prepare
        var (console, output) = Captured();
        var run = new RunConsole(console, "mnist-iid", totalRounds: 4, quiet: true);
        var reports = ReportFixtures.FourRounds();

        // Execute
        foreach (var r in reports) run.Report(r);
        run.WriteSummary(RunSummary.Build(ReportFixtures.Input(), reports), "out/mnist-iid");

        // Assert
        Assert.Equal(
            "mnist-iid: 4/4 rounds, final accuracy 0.9000, best 0.9100 (round 3), loss 0.3200, simulated 45.0 s, wall 3.5 s -> out/mnist-iid"
            + Environment.NewLine,
            output.ToString());
    }

    [Theory]
    [InlineData(140, "round 4/4  acc 0.9000  loss 0.3200  10 clients  sim 45.0 s")]
    [InlineData(80, "4/4 acc 0.9000 loss 0.3200 sim 45.0 s")]
    public async Task Interactive_console_draws_a_progress_bar_with_the_latest_round(int width, string caption)
    {
        // Prepare
        var (console, output) = Captured(interactive: true);
        console.Profile.Width = width;
        var run = new RunConsole(console, "mnist-iid", totalRounds: 4);

        // Execute
        await run.RunAsync(async progress =>
        {
            foreach (var r in ReportFixtures.FourRounds()) { progress.Report(r); await Task.Delay(20); }
            return 0;
        });
        string text = output.ToString();

        // Assert: the last refresh shows round 4 at 100% on one line, and no plain per-round lines were printed.
        Assert.True(run.IsLive);
        Assert.Contains("mnist-iid", text);
        var finalLine = text.Split('\n').Last(l => l.Contains(caption));
        Assert.Contains("100%", finalLine);
        Assert.DoesNotContain("accuracy", text);
    }

    [Theory]
    [InlineData(12.34, "12.3 s")]
    [InlineData(245, "4m 05s")]
    [InlineData(7384, "2h 03m 04s")]
    public void Durations_read_naturally(double seconds, string expected) =>
        Assert.Equal(expected, RunConsole.Duration(seconds));
}
