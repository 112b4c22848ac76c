using System.CommandLine;
using System.Globalization;
using FedSim.Scenarios.Configuration;
using FedSim.Scenarios.Reports;
using FedSim.Scenarios.Running;

namespace FedSim.Scenarios.Cli;

/// <summary>
/// <c>fedsim run FILE [--output DIR] [--seed N] [--quiet] [--overwrite | --resume] [--cluster CONNECTION [--cluster-id ID]]</c>:
/// validate, then run the experiment on an embedded silo or submit it to a running cluster and follow it.
/// </summary>
internal static class RunCommand
{
    public static Command Create(CliContext context)
    {
        var file = new Argument<string>("FILE") { Description = "Scenario file (YAML)." };
        var output = new Option<string?>("--output", "-o") { Description = "Results folder (default: the file's 'output', else results/<name>)." };
        var seed = new Option<ulong?>("--seed", "-s")
        {
            Description = "Override the scenario's master seed.",
            // The default parser's error names the CLR type ("System.Nullable`1[System.UInt64]"); say it plainly.
            CustomParser = result =>
            {
                string text = result.Tokens.Single().Value;
                if (ulong.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value)) return value;
                result.AddError($"--seed must be a non-negative integer, got '{text}'.");
                return null;
            },
        };
        var quiet = new Option<bool>("--quiet", "-q") { Description = "No progress output; print only the results folder." };
        var overwrite = new Option<bool>("--overwrite")
        {
            Description = "Replace the results of an earlier run in the output folder (without it such a folder is refused).",
        };

        var resume = new Option<bool>("--resume")
        {
            Description = "Continue the interrupted (or killed) run in the output folder from its last finished round; the metrics end as an uninterrupted run's would.",
        };

        var cluster = ClusterOptions.Connection();
        var clusterId = ClusterOptions.Id();

        var command = new Command("run", "Validate a scenario file and run it on an embedded silo, or submit it to a running cluster (--cluster).");
        var set = SetOption.Create();
        command.Arguments.Add(file);
        command.Options.Add(set);
        command.Options.Add(output);
        command.Options.Add(seed);
        command.Options.Add(quiet);
        command.Options.Add(overwrite);
        command.Options.Add(resume);
        command.Options.Add(cluster);
        command.Options.Add(clusterId);
        command.Validators.Add(result =>
        {
            if (result.GetValue(overwrite) && result.GetValue(resume))
                result.AddError("--overwrite and --resume exclude each other: --resume continues the run in the folder, --overwrite replaces it.");
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
            var options = new RunOptions(parse.GetValue(output), parse.GetValue(seed), parse.GetValue(quiet), parse.GetValue(overwrite), parse.GetValue(resume),
                ClusterOptions.Target(parse, cluster, clusterId, required: false));
            // The runner's console reports progress and where the results went.
            var outcome = await context.Services.RunExperiment(loaded.Spec!, Path.GetFullPath(path), options, cancellationToken);
            return outcome.Status == RunStatuses.Interrupted ? Interrupted(context, outcome, loaded.Spec!, $"fedsim run {path}{SetOption.Echo(sets)}") : ExitCodes.Success;
        });
        return command;
    }

    /// <summary>
    /// The one line about a run a signal stopped (what it kept, how to go on) and the exit code the signal asks for.
    /// <paramref name="command"/> is the command as typed, without flags: the line completes it with the folder and --resume.
    /// </summary>
    internal static int Interrupted(CliContext context, RunOutcome outcome, FedSim.Scenario.ScenarioSpec spec, string command)
    {
        if (context.Interruption.TryClaimMessage())
        {
            int planned = outcome.Summary?.RoundsPlanned ?? spec.Training.Rounds;
            string resume = $"{command} --output {outcome.OutputDirectory} --resume";
            context.Error.WriteLine(outcome.Detached
                ? $"fedsim: stopped following after {outcome.Reports.Count} of {planned} rounds; experiment {outcome.ExperimentId} goes on in the cluster " +
                  $"(fedsim status {outcome.ExperimentId} --cluster ...; follow it again with `{resume} --cluster ...`)"
                : $"fedsim: interrupted after {outcome.Reports.Count} of {planned} rounds; " +
                  $"the finished rounds are in {outcome.OutputDirectory} (summary.json: \"status\": \"interrupted\"); continue with `{resume}`");
        }
        return context.Interruption.ExitCode;
    }
}
