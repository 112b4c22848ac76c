using System.Runtime.InteropServices;
using FedSim.Scenarios.Cli;

namespace FedSim.Tests.Scenarios;

public sealed class InterruptionTests
{
    [Theory]
    [InlineData(PosixSignal.SIGINT, 130)]
    [InlineData(PosixSignal.SIGTERM, 143)]
    public void First_signal_cancels_the_token_and_sets_the_shell_exit_code(PosixSignal signal, int exitCode)
    {
        // Prepare
        var stderr = new StringWriter();
        int? quit = null;
        using var interruption = Interruption.ForTests(stderr, code => quit = code);

        // Execute
        interruption.Request(signal);

        // Assert: the command winds down by itself; nothing printed yet, nothing ended.
        Assert.True(interruption.Token.IsCancellationRequested);
        Assert.Equal(exitCode, interruption.ExitCode);
        Assert.Null(quit);
        Assert.Equal("", stderr.ToString());
    }

    [Fact]
    public void Second_signal_prints_one_line_and_quits_with_its_exit_code()
    {
        // Prepare
        var stderr = new StringWriter();
        int? quit = null;
        using var interruption = Interruption.ForTests(stderr, code => quit = code);

        // Execute
        interruption.Request(PosixSignal.SIGTERM);
        interruption.Request(PosixSignal.SIGINT);

        // Assert
        Assert.Equal(130, quit);
        Assert.Single(stderr.ToString().Trim().Split('\n'));
        Assert.StartsWith("fedsim: interrupted again", stderr.ToString());
    }

    [Fact]
    public void Second_signal_after_the_command_printed_its_line_prints_nothing_more()
    {
        // Prepare: the run already said "fedsim: interrupted after ..." (it claimed the one line).
        var stderr = new StringWriter();
        int? quit = null;
        using var interruption = Interruption.ForTests(stderr, code => quit = code);
        interruption.Request(PosixSignal.SIGINT);
        Assert.True(interruption.TryClaimMessage());

        // Execute
        interruption.Request(PosixSignal.SIGINT);

        // Assert
        Assert.Equal(130, quit);
        Assert.Equal("", stderr.ToString());
        Assert.False(interruption.TryClaimMessage());
    }

    [Fact]
    public void Cancelling_the_callers_token_is_a_first_signal()
    {
        using var cts = new CancellationTokenSource();
        using var interruption = Interruption.FromToken(cts.Token);

        cts.Cancel();

        Assert.True(interruption.Requested);
        Assert.Equal(130, interruption.ExitCode);
    }
}
