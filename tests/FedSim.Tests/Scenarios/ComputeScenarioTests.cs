using FedSim.Composition;
using FedSim.Scenario;
using FedSim.Scenarios.Configuration;
using FedSim.Training;

namespace FedSim.Tests.Scenarios;

/// <summary>
/// compute.sum_updates and compute.precision: the values load, and a combination that cannot hold is refused at its key
/// with the reason; where the rounds sum on the pools is decided from the scenario and the pool's device.
/// </summary>
public sealed class ComputeScenarioTests(ScenarioTestFiles files) : IClassFixture<ScenarioTestFiles>
{
    private ScenarioLoadResult Parse(string yaml) => ScenarioLoader.Parse(yaml, "c.yaml", files.Directory);

    private static void AssertRefused(ScenarioLoadResult result, int line, int column, string phrase)
        => Assert.True(result.Errors.Any(e => e.Line == line && e.Column == column && e.Message.Contains(phrase, StringComparison.Ordinal)),
            $"expected '{phrase}' at {line}:{column}, got:\n{string.Join("\n", result.Errors)}");

    [Fact]
    public void Sum_updates_and_precision_load_and_default_to_auto_and_fp32()
    {
        var defaults = Parse("name: plain\n");
        var set = Parse("compute:\n  sum_updates: on\n  precision: bf16\n");

        Assert.True(defaults.Succeeded && set.Succeeded, string.Join("\n", defaults.Errors.Concat(set.Errors)));
        Assert.Equal((SumUpdateModes.Auto, Precisions.Fp32), (defaults.Spec!.Compute.SumUpdates, defaults.Spec.Compute.Precision));
        Assert.Equal((SumUpdateModes.On, Precisions.Bf16), (set.Spec!.Compute.SumUpdates, set.Spec.Compute.Precision));
        Assert.Equal(Precisions.Bf16, ScenarioComposition.Training(set.Spec).BasePlan().Precision);
    }

    [Theory]
    [InlineData("compute:\n  sum_updates: always\n", 2, 16, "sum_updates")]
    [InlineData("compute:\n  precision: fp16\n", 2, 14, "precision")]
    public void Unknown_values_are_refused_with_the_allowed_ones(string yaml, int line, int column, string key)
    {
        var result = Parse(yaml);

        AssertRefused(result, line, column, key);
        Assert.Contains(result.Errors, e => e.Message.Contains("auto", StringComparison.Ordinal) || e.Message.Contains("bf16", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("strategy:\n  kind: fedavg\n  aggregator:\n    kind: median\n", "strategy.aggregator 'median' reads every update on its own")]
    [InlineData("strategy:\n  kind: scaffold\n", "strategy 'scaffold' reads every device's result on its own")]
    [InlineData("byzantine:\n  kind: sign-flip\n", "byzantine clients craft their updates")]
    [InlineData("privacy:\n  central:\n    noise_multiplier: 1\n", "privacy.central (DP-FedAvg) clips every update")]
    public void Sums_on_the_pool_are_refused_where_the_round_reads_updates_one_by_one(string rest, string reason)
    {
        var result = Parse("compute:\n  sum_updates: on\n" + rest);

        AssertRefused(result, 2, 16, reason);
    }

    [Fact]
    public void Auto_sums_on_the_pool_only_where_it_trains_on_cuda_and_the_round_allows_it()
    {
        var fedavg = new ScenarioSpec();
        var krum = Parse("strategy:\n  kind: fedavg\n  aggregator:\n    kind: krum\n").Spec!;

        Assert.True(ScenarioComposition.SumsOnPool(fedavg, ComputeDevices.Cuda));
        Assert.False(ScenarioComposition.SumsOnPool(fedavg, ComputeDevices.Cpu));
        Assert.False(ScenarioComposition.SumsOnPool(krum, ComputeDevices.Cuda));
        fedavg.Compute.SumUpdates = SumUpdateModes.On;
        Assert.True(ScenarioComposition.SumsOnPool(fedavg, ComputeDevices.Cpu));
        fedavg.Compute.SumUpdates = SumUpdateModes.Off;
        Assert.False(ScenarioComposition.SumsOnPool(fedavg, ComputeDevices.Cuda));
    }

    [Fact]
    public void Tf32_on_an_explicit_cpu_and_bf16_with_dp_sgd_are_refused()
    {
        var tf32 = Parse("compute:\n  device: cpu\n  precision: tf32\n");
        var bf16 = Parse("compute:\n  precision: bf16\nprivacy:\n  local:\n    clip_norm: 1\n");
        var tf32Auto = Parse("compute:\n  precision: tf32\n");

        AssertRefused(tf32, 3, 14, "'tf32' is CUDA's tensor-core mode and compute.device is 'cpu'");
        AssertRefused(bf16, 2, 14, "'bf16' does not combine with privacy.local");
        Assert.True(tf32Auto.Succeeded, string.Join("\n", tf32Auto.Errors));
    }
}
