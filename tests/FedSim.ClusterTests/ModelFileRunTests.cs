using FedSim.Compute;
using FedSim.Scenarios.Cli;
using FedSim.Scenarios.Reports;

namespace FedSim.ClusterTests;

/// <summary>A run leaves model.safetensors behind; <c>model.init</c> starts another run from it, or refuses one it does not fit.</summary>
public sealed class ModelFileRunTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("fedsim-model-run-").FullName;

    private const string Scenario = """
        name: pretrain
        seed: 8
        devices: 20
        dataset:
          kind: synthetic
          samples: 4000
          partition:
            kind: iid
        model:
          kind: mlp
          hidden: [32]
        training:
          rounds: 15
          devices_per_round: 5
          batch_size: 10
          learning_rate: 0.1
        """;

    [Fact]
    public async Task A_run_started_from_a_trained_model_continues_from_its_accuracy()
    {
        // Prepare: 15 rounds of training; then one round from that model, and one round from fresh weights.
        string scenario = Path.Combine(_folder, "pretrain.yaml");
        await File.WriteAllTextAsync(scenario, Scenario);
        string trained = Path.Combine(_folder, "trained"), continued = Path.Combine(_folder, "continued"), fresh = Path.Combine(_folder, "fresh");
        Assert.Equal(0, await RunAsync(["run", scenario, "--output", trained, "--quiet"]));
        string model = Path.Combine(trained, ModelFile.WeightsFileName);

        // Execute
        int continuedExit = await RunAsync(["run", scenario, "--output", continued, "--quiet", "--set", $"model.init={model}", "--set", "training.rounds=1"]);
        int freshExit = await RunAsync(["run", scenario, "--output", fresh, "--quiet", "--set", "training.rounds=1"]);

        // Assert: the file holds summary.json's parameter count, and the continued run starts where the first ended.
        Assert.Equal((0, 0), (continuedExit, freshExit));
        var first = SummaryJson.Read(Path.Combine(trained, SummaryJson.FileName));
        Assert.Equal(first.Model!.Parameters, TorchSharp.PyBridge.Safetensors.LoadStateDict(model).Values.Sum(t => t.numel()));
        double trainedAccuracy = first.FinalAccuracy!.Value;
        double continuedAccuracy = SummaryJson.Read(Path.Combine(continued, SummaryJson.FileName)).FinalAccuracy!.Value;
        double freshAccuracy = SummaryJson.Read(Path.Combine(fresh, SummaryJson.FileName)).FinalAccuracy!.Value;
        Assert.InRange(continuedAccuracy, trainedAccuracy - 0.03, 1.0);
        Assert.True(continuedAccuracy > freshAccuracy + 0.05, $"continued {continuedAccuracy}, fresh {freshAccuracy}, trained {trainedAccuracy}");
        Assert.Contains($"init: {model}", await File.ReadAllTextAsync(Path.Combine(continued, "scenario.yaml")));
        Assert.False(File.Exists(Path.Combine(trained, DevicesPlot.FileName)), "devices.png without evaluation.per_device");
    }

    [Fact]
    public async Task A_model_file_of_another_architecture_exits_2_naming_the_tensor_before_any_folder_is_made()
    {
        // Prepare
        string scenario = Path.Combine(_folder, "pretrain.yaml");
        await File.WriteAllTextAsync(scenario, Scenario.Replace("rounds: 15", "rounds: 1"));
        string trained = Path.Combine(_folder, "small"), refused = Path.Combine(_folder, "refused");
        Assert.Equal(0, await RunAsync(["run", scenario, "--output", trained, "--quiet"]));
        var stderr = new StringWriter();

        // Execute
        int exit = await FedSimCli.RunAsync(["run", scenario, "--output", refused, "--set", $"model.init={Path.Combine(trained, ModelFile.WeightsFileName)}",
            "--set", "model.hidden=[48]"], TextWriter.Null, stderr);

        // Assert
        Assert.Equal(2, exit);
        Assert.Contains("fc1.weight has shape [32, 20], the scenario's mlp for 20 features and 2 classes needs [48, 20]", stderr.ToString());
        Assert.False(Directory.Exists(refused));
    }

    [Fact]
    public async Task Per_device_and_personalized_evaluation_write_each_devices_accuracy_and_the_distribution_over_devices()
    {
        // Prepare
        string scenario = Path.Combine(_folder, "pretrain.yaml");
        await File.WriteAllTextAsync(scenario, Scenario.Replace("rounds: 15", "rounds: 4"));
        string output = Path.Combine(_folder, "per-device");

        // Execute
        int exit = await RunAsync(["run", scenario, "--output", output, "--quiet", "--set", "evaluation.per_device=true", "--set", "evaluation.every=2",
            "--set", "personalization.local_steps=3"]);

        // Assert: rounds 2 and 4 evaluated for all 20 devices; the metrics are the file's distribution.
        Assert.Equal(0, exit);
        var rows = File.ReadAllLines(Path.Combine(output, DeviceAccuracyCsv.FileName)).Skip(1).Select(l => l.Split(',')).ToList();
        Assert.Equal([2, 4], rows.Select(r => int.Parse(r[0], System.Globalization.CultureInfo.InvariantCulture)).Distinct());
        var last = rows.Where(r => r[0] == "4").Select(r => double.Parse(r[3], System.Globalization.CultureInfo.InvariantCulture)).Order().ToList();
        Assert.Equal(20, last.Count);
        var metrics = MetricsCsv.Read(Path.Combine(output, MetricsCsv.FileName));
        Assert.Equal(last.Average(), metrics[3].Metric(Rounds.DeviceEvaluationStage.MeanMetric)!.Value, precision: 12);
        Assert.Equal(last[0], metrics[3].Metric(Rounds.DeviceEvaluationStage.MinMetric));
        Assert.Null(metrics[0].Metric(Rounds.DeviceEvaluationStage.MeanMetric));
        Assert.EndsWith(",test_accuracy", File.ReadLines(Path.Combine(output, ClientsCsv.FileName)).First());
        var personalized = rows.Where(r => r[0] == "4").Select(r => double.Parse(r[4], System.Globalization.CultureInfo.InvariantCulture)).ToList();
        Assert.Equal(personalized.Average(), metrics[3].Metric(Rounds.PersonalizationStage.Metric + "_mean")!.Value, precision: 12);
        using var devicesPng = SkiaSharp.SKBitmap.Decode(Path.Combine(output, DevicesPlot.FileName));
        Assert.Equal((1000, 500), (devicesPng.Width, devicesPng.Height));
        Assert.Contains("Accuracy over devices", await File.ReadAllTextAsync(Path.Combine(output, RunReport.FileName)));
    }

    private static Task<int> RunAsync(string[] args) => FedSimCli.RunAsync(args, TextWriter.Null, TextWriter.Null);

    public void Dispose()
    {
        try { Directory.Delete(_folder, recursive: true); }
        catch (IOException) { }
    }
}
