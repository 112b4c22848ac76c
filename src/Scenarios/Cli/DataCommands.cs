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
            try
            {
                await context.Services.FetchDataset(dataset, target, parse.GetValue(mirror), cancellationToken);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return Interrupted(context, dataset, target);
            }
            context.Out.WriteLine($"Fetched {dataset} into {target}");
            return ExitCodes.Success;
        });

        var data = new Command("data", "Dataset tools.");
        data.Subcommands.Add(fetch);
        return data;
    }

    /// <summary>What a stopped fetch kept (files already verified stay; the partial download was deleted) and how to go on.</summary>
    private static int Interrupted(CliContext context, string dataset, string target)
    {
        if (context.Interruption.TryClaimMessage())
        {
            var files = FedSim.Data.DatasetFetcher.Find(dataset).Files;
            var kept = files.Where(f => File.Exists(Path.Combine(target, f.FileName))).Select(f => f.FileName).ToList();
            context.Error.WriteLine($"fedsim: interrupted; {kept.Count} of {files.Count} files of {dataset} are in {target}" +
                                    (kept.Count > 0 ? $" ({string.Join(", ", kept)})" : "") +
                                    $", the partial download was deleted; run `fedsim data fetch {dataset} --to {target}` again to fetch the rest " +
                                    "(files already there are verified and kept)");
        }
        return context.Interruption.ExitCode;
    }

    /// <summary>Adapter from the CLI to the dataset fetcher (the one place to fix up if its API differs); progress goes to stderr.</summary>
    internal static async Task FetchAsync(string name, string targetDirectory, Uri? mirrorBase, CancellationToken cancellationToken)
    {
        var fetcher = new FedSim.Data.DatasetFetcher();
        await fetcher.FetchAsync(name, targetDirectory, mirrorBase, new FetchProgressLines(Console.Error), cancellationToken);
    }

    /// <summary>A download's progress as lines on a terminal: one per file state, and at most one every two seconds while bytes arrive.</summary>
    private sealed class FetchProgressLines(TextWriter output) : IProgress<FedSim.Data.FetchProgress>
    {
        private readonly System.Diagnostics.Stopwatch _clock = System.Diagnostics.Stopwatch.StartNew();
        private TimeSpan _next = TimeSpan.Zero;

        public void Report(FedSim.Data.FetchProgress value)
        {
            const double bytesPerMiB = 1 << 20;
            switch (value.State)
            {
                case FedSim.Data.FetchState.Downloading when _clock.Elapsed >= _next:
                    _next = _clock.Elapsed + TimeSpan.FromSeconds(2);
                    string total = value.TotalBytes is { } t ? string.Create(System.Globalization.CultureInfo.InvariantCulture, $" of {t / bytesPerMiB:0.0} MiB") : " MiB";
                    output.WriteLine(string.Create(System.Globalization.CultureInfo.InvariantCulture, $"fetch: {value.FileName}: {value.BytesReceived / bytesPerMiB:0.0}{total}"));
                    break;
                case FedSim.Data.FetchState.Verified:
                    output.WriteLine($"fetch: {value.FileName}: verified");
                    _next = TimeSpan.Zero;
                    break;
                case FedSim.Data.FetchState.Skipped:
                    output.WriteLine($"fetch: {value.FileName}: already there and verified, kept");
                    break;
            }
        }
    }
}
