using System.CommandLine;
using FedSim.Scenarios.Configuration;
using FedSim.Scenarios.Running;

namespace FedSim.Scenarios.Cli;

/// <summary><c>fedsim run FILE [--output DIR] [--seed N] [--quiet]</c>: validate, then run the experiment.</summary>
internal static class RunCommand
{
    public static Command Create(CliContext context)
    {
        var file = new Argument<string>("FILE") { Description = "Scenario file (YAML)." };
        var output = new Option<string?>("--output", "-o") { Description = "Results folder (default: the file's 'output', else results/<name>)." };
        var seed = new Option<ulong?>("--seed", "-s") { Description = "Override the scenario's master seed." };
        var quiet = new Option<bool>("--quiet", "-q") { Description = "No progress output; print only the results folder." };

        var command = new Command("run", "Validate a scenario file and run it on an embedded silo.");
        command.Arguments.Add(file);
        command.Options.Add(output);
        command.Options.Add(seed);
        command.Options.Add(quiet);
        command.SetAction(async (parse, cancellationToken) =>
        {
            string path = parse.GetValue(file)!;
            var loaded = ScenarioLoader.Load(path);
            if (!loaded.Succeeded)
            {
                foreach (var error in loaded.Errors) context.Error.WriteLine(error);
                return ExitCodes.InvalidInput;
            }
            var options = new RunOptions(parse.GetValue(output), parse.GetValue(seed), parse.GetValue(quiet));
            var outcome = await context.Services.RunExperiment(loaded.Spec!, Path.GetFullPath(path), options, cancellationToken);
            context.Out.WriteLine($"Results: {outcome.OutputDirectory}");
            return ExitCodes.Success;
        });
        return command;
    }
}
