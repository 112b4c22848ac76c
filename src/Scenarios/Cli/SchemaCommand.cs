using System.CommandLine;
using FedSim.Scenarios.Configuration;

namespace FedSim.Scenarios.Cli;

/// <summary><c>fedsim schema [--output FILE] [--format json|markdown]</c>: the scenario format, machine-readable.</summary>
internal static class SchemaCommand
{
    public static Command Create(CliContext context)
    {
        var output = new Option<string?>("--output", "-o") { Description = "Write to this file instead of stdout." };
        var format = new Option<string>("--format")
        {
            Description = "json (JSON Schema for editors) or markdown (a field table for docs).",
            DefaultValueFactory = _ => "json",
        };
        format.AcceptOnlyFromAmong("json", "markdown");

        var command = new Command("schema", "Print the JSON Schema of scenario files.");
        command.Options.Add(output);
        command.Options.Add(format);
        command.SetAction(parse =>
        {
            string text = parse.GetValue(format) == "markdown" ? ScenarioSchema.MarkdownFieldTable() : ScenarioSchema.ToJson();
            if (parse.GetValue(output) is { } path)
            {
                if (Path.GetDirectoryName(Path.GetFullPath(path)) is { } folder && !Directory.Exists(folder))
                    throw new CliUsageException($"cannot write '{path}': folder {folder} does not exist");
                File.WriteAllText(path, text);
                context.Out.WriteLine($"Wrote {path}");
            }
            else
            {
                context.Out.Write(text);
            }
            return ExitCodes.Success;
        });
        return command;
    }
}
