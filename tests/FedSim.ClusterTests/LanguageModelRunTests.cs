using FedSim.Scenarios.Cli;
using FedSim.Scenarios.Reports;

namespace FedSim.ClusterTests;

/// <summary>
/// `fedsim run` with the language models on the real tiny Shakespeare, one device per speaker: the per-token metrics,
/// the vocabulary in summary.json, determinism, and DP-SGD with its ε. Small models and two rounds keep it quick.
/// </summary>
public sealed class LanguageModelRunTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("fedsim-lm-").FullName;

    private static string Scenario(string model, string extra = "") => $"""
        name: lm
        seed: 3
        devices: 232
        dataset:
          kind: shakespeare
          path: {TestScenarios.SharedDataset("tinyshakespeare")}
          partition:
            kind: natural
        model:
        {model}
        training:
          rounds: 2
          devices_per_round: 6
          batch_size: 10
          learning_rate: 0.5
        evaluation:
          every: 1
        {extra}
        """;

    private const string TinyTransformer = "  kind: transformer\n  embedding: 16\n  layers: 1\n  heads: 2\n  dense: 32";
    private const string TinyLstm = "  kind: lstm\n  embedding: 4\n  layers: 1\n  units: 16";

    private async Task<string> RunAsync(string name, string scenarioText)
    {
        string scenario = Path.Combine(_folder, name + ".yaml"), output = Path.Combine(_folder, name);
        await File.WriteAllTextAsync(scenario, scenarioText);
        var stderr = new StringWriter();
        int exit = await FedSimCli.RunAsync(["run", scenario, "--output", output, "--quiet"], TextWriter.Null, stderr);
        Assert.True(exit == 0, $"exit {exit}: {stderr}");
        return output;
    }

    [Fact]
    public async Task A_transformer_reports_per_token_accuracy_and_perplexity_and_repeats_exactly()
    {
        // Execute
        string first = await RunAsync("first", Scenario(TinyTransformer));
        string second = await RunAsync("second", Scenario(TinyTransformer));

        // Assert: every evaluated round has a perplexity of exp(per-token loss), and the run is reproducible.
        var metrics = MetricsCsv.Read(Path.Combine(first, MetricsCsv.FileName));
        Assert.Equal([1, 2], metrics.Select(r => r.Round));
        foreach (var round in metrics)
        {
            Assert.InRange(round.TestAccuracy!.Value, 0.0, 1.0);
            Assert.Equal(Math.Exp(round.TestLoss!.Value), round.Metric("test_perplexity")!.Value, 9);
        }
        Assert.True(metrics[1].TestLoss < Math.Log(96), $"after two rounds the model should beat a uniform guess over 96 tokens: loss {metrics[1].TestLoss}");
        Assert.Equal(MetricsCsv.WithoutWallTime(await File.ReadAllTextAsync(Path.Combine(first, MetricsCsv.FileName))),
                     MetricsCsv.WithoutWallTime(await File.ReadAllTextAsync(Path.Combine(second, MetricsCsv.FileName))));
        var summary = SummaryJson.Read(Path.Combine(first, SummaryJson.FileName));
        Assert.Equal("transformer", summary.Model!.Kind);
        Assert.Equal(96, summary.Dataset!.Text!.Vocabulary.Count);
        Assert.Equal("\n", summary.Dataset.Text.Vocabulary[0]);
        Assert.Equal(80, summary.Dataset.Features);
    }

    [Fact]
    public async Task An_lstm_trains_under_dp_sgd_and_reports_its_epsilon()
    {
        // Execute: DP-SGD on every device (per-example clipping through the recurrence).
        string output = await RunAsync("dp", Scenario(TinyLstm, """
            privacy:
              delta: 1.0e-5
              local:
                noise_multiplier: 1.0
                clip_norm: 1.0
            """));

        // Assert
        var summary = SummaryJson.Read(Path.Combine(output, SummaryJson.FileName));
        Assert.NotNull(summary.Privacy);
        Assert.True(summary.Privacy!.Epsilon is > 0 and < double.PositiveInfinity, $"epsilon {summary.Privacy.Epsilon}");
        var metrics = MetricsCsv.Read(Path.Combine(output, MetricsCsv.FileName));
        Assert.All(metrics, r => Assert.True(double.IsFinite(r.TestLoss!.Value)));
    }

    public void Dispose() => Directory.Delete(_folder, recursive: true);
}
