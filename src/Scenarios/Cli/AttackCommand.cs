using System.CommandLine;
using FedSim.Composition;
using FedSim.Scenario;
using FedSim.Scenarios.Configuration;
using FedSim.Scenarios.Running;

namespace FedSim.Scenarios.Cli;

/// <summary>
/// <c>fedsim attack FILE [--output DIR] [--quiet] [--overwrite | --resume]</c>: trains the federation the file describes, as <c>fedsim run</c>
/// does, while its <c>attacks:</c> audit it; writes attack.json, attack_devices.csv, roc.png and audit_sets/ beside
/// the usual results.
/// </summary>
internal static class AttackCommand
{
    public static Command Create(CliContext context)
    {
        var file = new Argument<string>("FILE") { Description = "Scenario file (YAML) with an attacks: list." };
        var output = new Option<string?>("--output", "-o") { Description = "Results folder (default: the file's 'output', else results/<name>)." };
        var quiet = new Option<bool>("--quiet", "-q") { Description = "No progress output; print only the results folder." };
        var overwrite = new Option<bool>("--overwrite") { Description = "Replace the results of an earlier run in the output folder." };
        var resume = new Option<bool>("--resume")
        {
            Description = "Continue the interrupted attack in the output folder: training from its last finished round, audits that were running from their start.",
        };

        var command = new Command("attack", "Train a scenario's federation and run its membership-inference attackers (attacks:).");
        var set = SetOption.Create();
        command.Arguments.Add(file);
        command.Options.Add(set);
        command.Options.Add(output);
        command.Options.Add(quiet);
        command.Options.Add(overwrite);
        command.Options.Add(resume);
        command.Validators.Add(result =>
        {
            if (result.GetValue(overwrite) && result.GetValue(resume))
                result.AddError("--overwrite and --resume exclude each other: --resume continues the attack in the folder, --overwrite replaces it.");
        });
        command.SetAction(async (parse, cancellationToken) =>
        {
            string path = parse.GetValue(file)!;
            var sets = parse.GetValue(set) ?? [];
            var loaded = ScenarioOverrides.Load(path, sets);
            if (!loaded.Succeeded)
            {
                foreach (var error in loaded.Errors) context.Error.WriteLine(error);
                return ExitCodes.InvalidInput;
            }
            if (loaded.Spec!.Attacks.Length == 0)
            {
                context.Error.WriteLine($"{path}: the scenario lists no attacker; add an attacks: list, e.g. 'attacks: [{{kind: outsider}}, {{kind: server}}]' (see examples/README.md)");
                return ExitCodes.InvalidInput;
            }
            WarnOfUncoveredViews(context, path, loaded.Spec);
            var options = new RunOptions(parse.GetValue(output), Quiet: parse.GetValue(quiet), Overwrite: parse.GetValue(overwrite), Resume: parse.GetValue(resume));
            var outcome = await context.Services.RunAttack(loaded.Spec, Path.GetFullPath(path), options, cancellationToken);
            return outcome.Status == Reports.RunStatuses.Interrupted ? RunCommand.Interrupted(context, outcome, loaded.Spec, $"fedsim attack {path}{SetOption.Echo(sets)}") : ExitCodes.Success;
        });
        return command;
    }

    /// <summary>
    /// A DP run whose attackers audit a view its mechanisms do not cover (central DP and a server attacker) is valid,
    /// but its audits there are not checked against ε: say so before it runs, and which mechanism would cover them.
    /// </summary>
    public static void WarnOfUncoveredViews(CliContext context, string path, ScenarioSpec scenario)
    {
        foreach (string warning in ScenarioComposition.PrivacyCoverage(scenario).UncoveredAttackers(scenario.Attacks))
            context.Error.WriteLine($"fedsim: warning: {path}: {warning}");
    }
}
