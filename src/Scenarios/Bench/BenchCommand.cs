using System.CommandLine;
using Spectre.Console;

namespace FedSim.Scenarios.Bench;

/// <summary>
/// <c>fedsim bench [--device cpu|cuda|auto] [--json] [--quick] [--baseline|--no-baseline] [--python PATH] [--output FILE]</c>:
/// batched vs one-by-one training throughput (MLP and CNN), one FedAvg round through the embedded silo, the
/// measured matmul peak, peak memory and, when a Python with torch is found, the plain-PyTorch baseline side by side.
/// </summary>
public static class BenchCommand
{
    /// <summary>Exit codes, the same as the rest of the CLI: 0 ok, 1 runtime failure, 2 invalid input, 130 interrupted
    /// (the CLI turns it into 143 for SIGTERM).</summary>
    private const int Success = 0, InvalidInput = 2, Interrupted = 130;

    /// <param name="stdout">Where the table (or the JSON with --json) goes; default the console.</param>
    /// <param name="stderr">Where progress and errors go; default the console's error stream.</param>
    /// <param name="environment">Test hook: sizes, Python candidates and script search folders.</param>
    /// <param name="claimInterruptionMessage">
    /// True when the line about an interruption is this command's to print (the CLI prints one such line in all);
    /// null: always print it.
    /// </param>
    public static Command Create(TextWriter? stdout = null, TextWriter? stderr = null, BenchEnvironment? environment = null,
        Func<bool>? claimInterruptionMessage = null)
    {
        var device = new Option<string>("--device", "-d")
        {
            Description = "Where to train: auto (cuda when available), cpu or cuda.",
            DefaultValueFactory = _ => "auto",
        };
        device.AcceptOnlyFromAmong("auto", "cpu", "cuda");
        var json = new Option<bool>("--json") { Description = "Print the results as one JSON object instead of a table." };
        var quick = new Option<bool>("--quick") { Description = "Small sizes: checks that everything runs in under a minute; figures not worth quoting." };
        var baseline = new Option<bool>("--baseline") { Description = "Run the PyTorch baseline (bench/baseline.py) when a Python with torch is found (default)." };
        var noBaseline = new Option<bool>("--no-baseline") { Description = "Skip the PyTorch baseline." };
        var python = new Option<string?>("--python") { Description = "Python interpreter for the baseline (default: FEDSIM_PYTHON, python3, /usr/bin/python3)." };
        var output = new Option<string?>("--output", "-o") { Description = "Also write the JSON results to this file." };
        var mlpDevices = new Option<int?>("--mlp-devices") { Description = "Devices in the MLP workload (default 256 on cuda, 64 on cpu, 32 with --quick)." };
        var cnnDevices = new Option<int?>("--cnn-devices") { Description = "Devices in the CNN workload (default 128 on cuda, 8 on cpu)." };
        var roundDevices = new Option<int?>("--round-devices") { Description = "Devices per FedAvg round (default 100)." };

        var command = new Command("bench", "Measure batched vs one-by-one training, a FedAvg round's overhead, and compare with plain PyTorch.");
        foreach (Option o in new Option[] { device, json, quick, baseline, noBaseline, python, output, mlpDevices, cnnDevices, roundDevices })
            command.Options.Add(o);
        command.Subcommands.Add(SecAggBenchCommand.Create(stdout, stderr));
        command.Subcommands.Add(AggregatorBenchCommand.Create(stdout, stderr));

        command.SetAction(async (parse, cancellationToken) =>
        {
            var @out = stdout ?? Console.Out;
            var err = stderr ?? Console.Error;
            string phase = "start-up";
            try
            {
                if (parse.GetValue(baseline) && parse.GetValue(noBaseline))
                    throw new BenchUsageException("--baseline and --no-baseline contradict each other; give one.");
                var options = new BenchOptions(parse.GetValue(device) ?? "auto", parse.GetValue(quick), !parse.GetValue(noBaseline),
                    parse.GetValue(python), parse.GetValue(mlpDevices), parse.GetValue(cnnDevices), parse.GetValue(roundDevices));
                var report = await BenchRunner.RunAsync(options, environment, line =>
                {
                    phase = line;
                    err.WriteLine($"bench: {line}");
                }, cancellationToken);

                await WriteReportAsync(report.ToJson(), parse.GetValue(output), parse.GetValue(json), report.Render, @out, 132, cancellationToken);
                return Success;
            }
            catch (BenchUsageException e)
            {
                err.WriteLine($"fedsim bench: {e.Message}");
                return InvalidInput;
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                // Figures are only compared within one whole run (the machine's load changes between runs): keep none.
                if (claimInterruptionMessage?.Invoke() ?? true)
                    err.WriteLine($"fedsim: interrupted while measuring {phase}; nothing was written (a bench's figures compare only within one whole run: run it again)");
                return Interrupted;
            }
        });
        return command;
    }

    /// <summary>
    /// A bench report's output, shared by <c>bench</c> and <c>bench secagg</c>: the JSON to <paramref name="outputFile"/>
    /// when given, then the JSON or the rendered table on <paramref name="out"/>.
    /// </summary>
    internal static async Task WriteReportAsync(string json, string? outputFile, bool asJson, Action<IAnsiConsole> render,
        TextWriter @out, int plainWidth, CancellationToken cancellationToken)
    {
        if (outputFile is { Length: > 0 })
        {
            string full = Path.GetFullPath(outputFile);
            Directory.CreateDirectory(Path.GetDirectoryName(full)!);
            await File.WriteAllTextAsync(full, json + Environment.NewLine, cancellationToken);
        }
        if (asJson) @out.WriteLine(json);
        else render(ConsoleFor(@out, plainWidth));
    }

    private static IAnsiConsole ConsoleFor(TextWriter writer, int plainWidth)
    {
        // Colours only on a real terminal; redirected output and tests get plain text, wide enough not to wrap.
        bool terminal = ReferenceEquals(writer, Console.Out) && !Console.IsOutputRedirected;
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(writer),
            Ansi = terminal ? AnsiSupport.Detect : AnsiSupport.No,
            ColorSystem = terminal ? ColorSystemSupport.Detect : ColorSystemSupport.NoColors,
        });
        if (!terminal) console.Profile.Width = plainWidth;
        return console;
    }
}
