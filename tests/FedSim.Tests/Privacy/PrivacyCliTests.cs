using System.Text.Json;
using FedSim.Scenarios.Cli;
using static FedSim.Tests.Privacy.PublishedVectors;

namespace FedSim.Tests.Privacy;

public sealed class PrivacyCliTests
{
    private sealed record CliRun(int Exit, string Out, string Error);

    private static async Task<CliRun> Run(params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        int exit = await FedSimCli.RunAsync(args, stdout, stderr, new CliServices { Debug = false });
        return new CliRun(exit, stdout.ToString(), stderr.ToString());
    }

    [Fact]
    public async Task Epsilon_from_the_command_line_matches_opacus_published_value()
    {
        // pytorch/opacus opacus/tests/accountants_test.py, test_rdp_accountant: z = 1.5, q = 0.04, 2250 steps,
        // δ = 1e-5, DEFAULT_ALPHAS → ε = 7.32911117143.
        var run = await Run("privacy", "epsilon", "--sampling-rate", "0.04", "--noise-multiplier", "1.5",
                            "--steps", "2250", "--delta", "1e-5", "--json");

        Assert.Equal(ExitCodes.Success, run.Exit);
        using var json = JsonDocument.Parse(run.Out);
        AssertRelative(7.32911117143, json.RootElement.GetProperty("epsilon").GetDouble());
        Assert.Equal(3.9, json.RootElement.GetProperty("order").GetDouble());
    }

    [Fact]
    public async Task Epsilon_with_an_order_list_matches_tf_privacys_published_value()
    {
        // tensorflow/privacy compute_dp_sgd_privacy_test.py, test_compute_dp_sgd_privacy Test0: n = 60000, batch 150
        // (q = 0.0025), z = 1.3, 15 epochs (6000 steps), δ = 1e-5, compute_dp_sgd_privacy_lib's orders
        // → ε = 0.7242234026109595 at order 19.
        string orders = string.Join(",", TfPrivacyDpSgdOrders.Select(o => o.ToString(System.Globalization.CultureInfo.InvariantCulture)));

        var run = await Run("privacy", "epsilon", "--sampling-rate", "0.0025", "--noise-multiplier", "1.3",
                            "--steps", "6000", "--delta", "1e-5", "--orders", orders, "--json");

        Assert.Equal(ExitCodes.Success, run.Exit);
        using var json = JsonDocument.Parse(run.Out);
        AssertRelative(0.7242234026109595, json.RootElement.GetProperty("epsilon").GetDouble());
        Assert.Equal(19, json.RootElement.GetProperty("order").GetDouble());
    }

    [Fact]
    public async Task Epsilon_prints_a_readable_line_without_json()
    {
        var run = await Run("privacy", "epsilon", "--sampling-rate", "0.04", "--noise-multiplier", "1.5", "--steps", "2250", "--delta", "1e-5");

        Assert.Equal(ExitCodes.Success, run.Exit);
        Assert.StartsWith("epsilon = 7.329111171 at delta = 1e-05 (best RDP order 3.9;", run.Out);
        Assert.Equal("", run.Error);
    }

    [Fact]
    public async Task Best_order_at_the_end_of_the_list_gets_a_note()
    {
        var run = await Run("privacy", "epsilon", "--sampling-rate", "0.0025", "--noise-multiplier", "1.3",
                            "--steps", "6000", "--delta", "1e-5", "--orders", "2,3,4.5,10");

        Assert.Equal(ExitCodes.Success, run.Exit);
        Assert.Contains("best order is the largest in the list (10)", run.Error);
    }

    [Fact]
    public async Task Noise_finds_the_multiplier_that_spends_the_target()
    {
        // Opacus' test_get_noise_multiplier_rdp_steps (opacus/tests/accountants_test.py) publishes 1.3562 for q = 0.04,
        // 2000 steps, ε = 8, δ = 1e-5, from a bisection that stops within 0.01 of the target; the exact boundary lies
        // at or below it (see NoiseMultiplierSolverTests).
        var run = await Run("privacy", "noise", "--sampling-rate", "0.04", "--steps", "2000", "--delta", "1e-5",
                            "--target-epsilon", "8", "--json");

        Assert.Equal(ExitCodes.Success, run.Exit);
        using var json = JsonDocument.Parse(run.Out);
        double z = json.RootElement.GetProperty("noise_multiplier").GetDouble();
        double epsilon = json.RootElement.GetProperty("epsilon").GetDouble();
        Assert.InRange(z, 1.3562 - 0.002, 1.3562 + 5e-5);
        Assert.InRange(epsilon, 8 - 1e-6, 8);

        var check = await Run("privacy", "epsilon", "--sampling-rate", "0.04", "--noise-multiplier", z.ToString("R", System.Globalization.CultureInfo.InvariantCulture),
                              "--steps", "2000", "--delta", "1e-5", "--json");
        using var checkJson = JsonDocument.Parse(check.Out);
        Assert.Equal(epsilon, checkJson.RootElement.GetProperty("epsilon").GetDouble());
    }

    [Theory]
    [InlineData("--sampling-rate must be in (0, 1], got 1.5", "epsilon", "--sampling-rate", "1.5", "--noise-multiplier", "1", "--steps", "10", "--delta", "1e-5")]
    [InlineData("--sampling-rate must be in (0, 1], got 0", "epsilon", "--sampling-rate", "0", "--noise-multiplier", "1", "--steps", "10", "--delta", "1e-5")]
    [InlineData("--noise-multiplier must be a finite number > 0, got 0", "epsilon", "--sampling-rate", "0.1", "--noise-multiplier", "0", "--steps", "10", "--delta", "1e-5")]
    [InlineData("--noise-multiplier must be a finite number > 0, got -1", "epsilon", "--sampling-rate", "0.1", "--noise-multiplier", "-1", "--steps", "10", "--delta", "1e-5")]
    [InlineData("--delta must be in (0, 1), got 1", "epsilon", "--sampling-rate", "0.1", "--noise-multiplier", "1", "--steps", "10", "--delta", "1")]
    [InlineData("--delta must be in (0, 1), got 0", "noise", "--sampling-rate", "0.1", "--steps", "10", "--delta", "0", "--target-epsilon", "1")]
    [InlineData("--steps must be >= 1, got 0", "epsilon", "--sampling-rate", "0.1", "--noise-multiplier", "1", "--steps", "0", "--delta", "1e-5")]
    [InlineData("--orders: expected a comma-separated list", "epsilon", "--sampling-rate", "0.1", "--noise-multiplier", "1", "--steps", "10", "--delta", "1e-5", "--orders", "2,,3")]
    [InlineData("--orders: every Rényi order must be > 1, got 0.5", "epsilon", "--sampling-rate", "0.1", "--noise-multiplier", "1", "--steps", "10", "--delta", "1e-5", "--orders", "2,0.5")]
    [InlineData("--target-epsilon must be a finite number > 0, got -2", "noise", "--sampling-rate", "0.1", "--steps", "10", "--delta", "1e-5", "--target-epsilon", "-2")]
    [InlineData("target epsilon 0.05 cannot be met", "noise", "--sampling-rate", "0.5", "--steps", "10000", "--delta", "1e-5", "--target-epsilon", "0.05")]
    public async Task Bad_arguments_exit_2_with_one_clear_line(string message, params string[] args)
    {
        var run = await Run(["privacy", .. args]);

        Assert.Equal(ExitCodes.InvalidInput, run.Exit);
        Assert.Contains(message, run.Error);
        Assert.Single(run.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.DoesNotContain("Exception", run.Error);
        Assert.Equal("", run.Out);
    }

    [Fact]
    public async Task Orders_that_all_fail_are_told_to_add_orders_above_1_01_not_smaller_ones()
    {
        // At ε in the hundreds the KL bound fails, and orders ≤ 1.01 count only through it.
        var run = await Run("privacy", "epsilon", "--sampling-rate", "0.5", "--noise-multiplier", "0.5", "--steps", "1000",
                            "--delta", "1e-5", "--orders", "1.005,1.01");

        Assert.Equal(ExitCodes.InvalidInput, run.Exit);
        Assert.Contains("orders at or below 1.01 only count through the KL bound", run.Error);
        Assert.Contains("add orders above 1.01", run.Error);
        Assert.DoesNotContain("smaller", run.Error);
    }

    [Fact]
    public async Task Fractional_orders_alone_give_the_reference_epsilon_at_large_epsilon()
    {
        // Both orders were once dropped here (their series cut at 1,000 terms), leaving no finite ε and a message to add
        // smaller orders. ε = 249.60913114788383 at order 1.2 is the independent reference's minimum over all of Opacus'
        // orders (SampledGaussianReferenceTests: q = 0.1, z = 0.4, 1000 steps, δ = 1e-5), reached at 1.2.
        var run = await Run("privacy", "epsilon", "--sampling-rate", "0.1", "--noise-multiplier", "0.4", "--steps", "1000",
                            "--delta", "1e-5", "--orders", "1.1,1.2", "--json");

        Assert.Equal(ExitCodes.Success, run.Exit);
        using var json = JsonDocument.Parse(run.Out);
        AssertRelative(249.60913114788383, json.RootElement.GetProperty("epsilon").GetDouble());
        Assert.Equal(1.2, json.RootElement.GetProperty("order").GetDouble());
    }

    [Fact]
    public async Task A_value_that_is_not_a_number_is_a_parse_error()
    {
        var run = await Run("privacy", "epsilon", "--sampling-rate", "0.1", "--noise-multiplier", "abc", "--steps", "10", "--delta", "1e-5");

        Assert.Equal(ExitCodes.InvalidInput, run.Exit);
        Assert.Contains("--noise-multiplier expects a number like 0.04 or 1e-5, got 'abc'", run.Error);
        Assert.Contains("fedsim privacy epsilon --help", run.Error);
    }
}
