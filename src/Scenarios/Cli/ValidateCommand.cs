using System.CommandLine;
using System.Globalization;
using FedSim.Scenario;
using FedSim.Scenarios.Configuration;
using FedSim.Models;
using FedSim.Data;

namespace FedSim.Scenarios.Cli;

/// <summary><c>fedsim validate FILE...</c>: "FILE: ok" and a summary, or every located error.</summary>
internal static class ValidateCommand
{
    public static Command Create(CliContext context)
    {
        var files = new Argument<string[]>("FILE") { Description = "Scenario file(s) to check.", Arity = ArgumentArity.OneOrMore };
        // A variadic argument would otherwise swallow a mistyped flag as a file name.
        files.Validators.Add(result =>
        {
            foreach (var token in result.Tokens)
                if (token.Value.StartsWith('-') && token.Value.Length > 1)
                    result.AddError($"Unrecognized option '{token.Value}'.");
        });

        var command = new Command("validate", "Check scenario files without running them.");
        var set = SetOption.Create();
        command.Arguments.Add(files);
        command.Options.Add(set);
        command.SetAction(parse =>
        {
            int exit = ExitCodes.Success;
            var paths = parse.GetValue(files)!;
            for (int checkedFiles = 0; checkedFiles < paths.Length; checkedFiles++)
            {
                string path = paths[checkedFiles];
                if (context.Interruption.Requested)
                {
                    if (context.Interruption.TryClaimMessage())
                        context.Error.WriteLine($"fedsim: interrupted after validating {checkedFiles} of {paths.Length} files (the lines above are their results)");
                    return context.Interruption.ExitCode;
                }
                var loaded = ScenarioOverrides.Load(path, parse.GetValue(set) ?? []);
                if (loaded.Succeeded)
                {
                    context.Out.WriteLine($"{path}: ok");
                    context.Out.WriteLine($"  {Summarize(loaded.Spec!)}");
                    AttackCommand.WarnOfUncoveredViews(context, path, loaded.Spec!);
                }
                else
                {
                    foreach (var error in loaded.Errors) context.Error.WriteLine(error);
                    context.Error.WriteLine($"{path}: {loaded.Errors.Count} error{(loaded.Errors.Count == 1 ? "" : "s")}");
                    exit = ExitCodes.InvalidInput;
                }
            }
            return exit;
        });
        return command;
    }

    /// <summary>One line that says what the scenario will do.</summary>
    internal static string Summarize(ScenarioSpec spec)
    {
        var i = CultureInfo.InvariantCulture;
        var d = spec.Dataset;
        string partition = d.Partition.Kind switch
        {
            PartitionKinds.Dirichlet => string.Create(i, $"dirichlet alpha={d.Partition.Alpha}"),
            PartitionKinds.Shards => $"shards x{d.Partition.ShardsPerDevice}",
            PartitionKinds.QuantitySkew => string.Create(i, $"quantity-skew sigma={d.Partition.Sigma}"),
            var k => k,
        };
        string model = spec.Model.Kind switch
        {
            ModelKinds.Mlp => $"mlp [{string.Join(", ", spec.Model.Hidden)}]",
            ModelKinds.Cnn => $"cnn [{string.Join(", ", spec.Model.Channels)}] dense {spec.Model.Dense}",
            ModelKinds.Lstm => $"lstm embedding {spec.Model.Embedding ?? LanguageModelDefaults.LstmEmbedding}, " +
                               $"{spec.Model.Layers ?? LanguageModelDefaults.LstmLayers} x {spec.Model.Units ?? LanguageModelDefaults.LstmUnits} units",
            ModelKinds.Transformer => $"transformer width {spec.Model.Embedding ?? LanguageModelDefaults.TransformerEmbedding}, " +
                                      $"{spec.Model.Layers ?? LanguageModelDefaults.TransformerLayers} blocks, {spec.Model.Heads ?? LanguageModelDefaults.TransformerHeads} heads, mlp {spec.Model.Dense}",
            var k => k,
        };
        var t = spec.Training;
        return string.Create(i,
            $"'{spec.Name}': {d.Kind} ({partition}) over {spec.Devices} devices, {model}, {spec.Strategy.Kind}, " +
            $"{t.Rounds} rounds x {t.DevicesPerRound} devices, E={t.LocalEpochs} B={t.BatchSize} lr={t.LearningRate} ({t.Optimizer}), seed {spec.Seed}");
    }
}
