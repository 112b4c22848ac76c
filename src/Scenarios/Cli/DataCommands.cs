using System.CommandLine;

namespace FedSim.Scenarios.Cli;

/// <summary><c>fedsim data fetch NAME --to DIR [--mirror URL]</c>: download a dataset into a folder.</summary>
internal static class DataCommands
{
    public static Command Create(CliContext context)
    {
        var fetchable = FedSim.Data.DatasetFetcher.Known.Select(d => d.Name).ToList();
        var name = new Argument<string>("NAME") { Description = $"Dataset to fetch: {string.Join(", ", fetchable.SkipLast(1))} or {fetchable[^1]}." };
        var to = new Option<string>("--to") { Description = "Folder to put the dataset in.", Required = true };
        var mirror = new Option<Uri?>("--mirror")
        {
            Description = "Base URL of a mirror to download from instead of the dataset's home.",
            // System.CommandLine has no built-in Uri parser.
            CustomParser = result =>
            {
                string text = result.Tokens.Single().Value;
                if (Uri.TryCreate(text, UriKind.Absolute, out var uri) && (uri.Scheme is "http" or "https" or "file"))
                    return uri;
                result.AddError($"--mirror must be an absolute http(s) or file URL, got '{text}'.");
                return null;
            },
        };

        var fetch = new Command("fetch", "Download a dataset and verify its checksums.");
        fetch.Arguments.Add(name);
        fetch.Options.Add(to);
        fetch.Options.Add(mirror);
        fetch.SetAction(async (parse, cancellationToken) =>
        {
            string dataset = parse.GetValue(name)!;
            string target = Path.GetFullPath(parse.GetValue(to)!);
            await context.Services.FetchDataset(dataset, target, parse.GetValue(mirror), cancellationToken);
            context.Out.WriteLine($"Fetched {dataset} into {target}");
            return ExitCodes.Success;
        });

        var data = new Command("data", "Dataset tools.");
        data.Subcommands.Add(fetch);
        return data;
    }

    /// <summary>Adapter from the CLI to the dataset fetcher (the one place to fix up if its API differs).</summary>
    internal static async Task FetchAsync(string name, string targetDirectory, Uri? mirrorBase, CancellationToken cancellationToken)
    {
        var fetcher = new FedSim.Data.DatasetFetcher();
        await fetcher.FetchAsync(name, targetDirectory, mirrorBase, progress: null, cancellationToken);
    }
}
