namespace FedSim.Tests.Bench;

public sealed class AggregatorBenchTests
{
    [Fact]
    public async Task Bench_aggregators_times_every_robust_rule_before_and_after()
    {
        // Execute: tiny rounds; the reference runs in the first and is scaled to the second.
        var (exit, stdout, stderr) = await BenchCli.RunAsync(null, "bench", "aggregators", "--sizes", "9,12", "--length", "100", "--reference-up-to", "9");

        // Assert
        Assert.True(exit == 0, stderr);
        var lines = stdout.Split('\n', StringSplitOptions.TrimEntries);
        foreach (string rule in new[] { "krum", "multi-krum", "bulyan", "median", "trimmed-mean" })
        {
            Assert.Single(lines, l => l.StartsWith(rule + " ", StringComparison.Ordinal) && l.Contains(" 9 ") && !l.Contains("est."));
            Assert.Single(lines, l => l.StartsWith(rule + " ", StringComparison.Ordinal) && l.Contains(" 12 ") && l.Contains("est."));
        }
    }

    [Fact]
    public async Task Bench_aggregators_rejects_rounds_too_small_for_the_rules()
    {
        var (exit, _, stderr) = await BenchCli.RunAsync(null, "bench", "aggregators", "--sizes", "5");

        Assert.Equal(2, exit);
        Assert.Contains("--sizes", stderr);
    }
}
