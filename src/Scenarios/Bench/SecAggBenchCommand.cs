using System.CommandLine;

namespace FedSim.Scenarios.Bench;

/// <summary>
/// <c>fedsim bench secagg [--cohorts 10,100,1000] [--length N] [--complete-up-to N] [--sparse-from N] [--dropout F] [--json] [--quick] [--output FILE]</c>:
/// secure aggregation's bytes and time against plain aggregation (see <see cref="SecAggBench"/>).
/// </summary>
public static class SecAggBenchCommand
{
    private const int Success = 0, InvalidInput = 2;

    public static Command Create(TextWriter? stdout = null, TextWriter? stderr = null)
    {
        var cohorts = new Option<string?>("--cohorts") { Description = "Comma-separated cohort sizes (default 10,100,1000)." };
        var length = new Option<int?>("--length") { Description = "Coordinates per update (default 100000)." };
        var completeUpTo = new Option<int?>("--complete-up-to") { Description = "Largest cohort run with the complete graph (default 100)." };
        var sparseFrom = new Option<int?>("--sparse-from") { Description = "Smallest cohort also run with SecAgg+ (default 100)." };
        var dropout = new Option<double?>("--dropout") { Description = "Fraction of devices dropping after key sharing in the dropout rows (default 0.1)." };
        var json = new Option<bool>("--json") { Description = "Print the results as one JSON object instead of a table." };
        var quick = new Option<bool>("--quick") { Description = "Tiny sizes: checks that everything runs; figures not worth quoting." };
        var output = new Option<string?>("--output", "-o") { Description = "Also write the JSON results to this file." };

        var command = new Command("secagg", "Measure secure aggregation's overhead (bytes, client and server time) against plain aggregation.");
        foreach (Option o in new Option[] { cohorts, length, completeUpTo, sparseFrom, dropout, json, quick, output }) command.Options.Add(o);

        command.SetAction(async (parse, cancellationToken) =>
        {
            var @out = stdout ?? Console.Out;
            var err = stderr ?? Console.Error;
            try
            {
                var options = parse.GetValue(quick) ? SecAggBenchOptions.Quick : SecAggBenchOptions.Default;
                if (parse.GetValue(cohorts) is { } list) options = options with { Cohorts = ParseCohorts(list) };
                if (parse.GetValue(length) is int l) options = options with { VectorLength = l > 0 ? l : throw new BenchUsageException($"--length must be positive, got {l}.") };
                if (parse.GetValue(completeUpTo) is int c) options = options with { CompleteGraphUpTo = c };
                if (parse.GetValue(sparseFrom) is int s) options = options with { SparseFrom = s };
                if (parse.GetValue(dropout) is double f)
                    options = options with { DropoutFraction = f is >= 0 and < 0.5 ? f : throw new BenchUsageException($"--dropout must lie in [0, 0.5), got {f}.") };

                var report = SecAggBench.Measure(options, line => err.WriteLine($"bench secagg: {line}"));
                await BenchCommand.WriteReportAsync(report.ToJson(), parse.GetValue(output), parse.GetValue(json), report.Render, @out, 160, cancellationToken);
                return Success;
            }
            catch (BenchUsageException e)
            {
                err.WriteLine($"fedsim bench secagg: {e.Message}");
                return InvalidInput;
            }
        });
        return command;
    }

    private static int[] ParseCohorts(string list)
    {
        var parts = list.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        var sizes = parts.Select(p => int.TryParse(p, out int n) && n >= 3 ? n : -1).ToArray();
        if (sizes.Length == 0 || sizes.Contains(-1))
            throw new BenchUsageException($"--cohorts takes comma-separated sizes of at least 3 devices (e.g. 10,100,1000), got '{list}'.");
        return sizes;
    }
}
