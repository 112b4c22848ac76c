using System.CommandLine;
using System.Globalization;
using System.Text;
using System.Text.Json;
using FedSim.Privacy.Accounting;

namespace FedSim.Scenarios.Cli;

/// <summary>
/// <c>fedsim privacy epsilon</c> and <c>fedsim privacy noise</c>: the RDP accountant of the Poisson-subsampled
/// Gaussian mechanism (<see cref="RdpAccountant"/>) from the command line, for checking a run's ε against Opacus,
/// TF-Privacy or dp_accounting, or for picking a noise multiplier before a run.
/// </summary>
internal static class PrivacyCommands
{
    public static Command Create(CliContext context)
    {
        var privacy = new Command("privacy", "Differential-privacy accounting (RDP of the Poisson-subsampled Gaussian mechanism).");
        privacy.Subcommands.Add(CreateEpsilon(context));
        privacy.Subcommands.Add(CreateNoise(context));
        return privacy;
    }

    private static Command CreateEpsilon(CliContext context)
    {
        var samplingRate = NumberOption("--sampling-rate", "Probability q that a record (device) takes part in a step, in (0, 1].");
        var noiseMultiplier = NumberOption("--noise-multiplier", "Noise standard deviation over the L2 sensitivity (clip norm), z > 0.");
        var steps = StepsOption();
        var delta = NumberOption("--delta", "Target delta, in (0, 1).");
        var orders = OrdersOption();
        var json = JsonOption("Print {\"epsilon\": ..., \"order\": ...}.");

        var command = new Command("epsilon", "Print the epsilon spent by T steps at sampling rate q and noise multiplier z, and the best Rényi order.");
        foreach (var option in new Option[] { samplingRate, noiseMultiplier, steps, delta, orders, json }) command.Options.Add(option);
        command.SetAction(parse =>
        {
            double q = RequireSamplingRate(parse.GetValue(samplingRate));
            double z = parse.GetValue(noiseMultiplier);
            if (!(z > 0) || !double.IsFinite(z)) throw new CliUsageException($"--noise-multiplier must be a finite number > 0, got {Format(z)}");
            long t = RequireSteps(parse.GetValue(steps));
            double d = RequireDelta(parse.GetValue(delta));
            IReadOnlyList<double> grid = ParseOrders(parse.GetValue(orders));

            var accountant = new RdpAccountant(grid);
            accountant.AddSteps(q, z, t);
            var spent = accountant.GetEpsilon(d);
            if (double.IsPositiveInfinity(spent.Epsilon)) throw new CliUsageException(NoFiniteEpsilon(grid, d));

            if (parse.GetValue(json))
                context.Out.WriteLine(Json(w => { w.WriteNumber("epsilon", spent.Epsilon); w.WriteNumber("order", spent.Order); }));
            else
                context.Out.WriteLine($"epsilon = {Format(spent.Epsilon)} at delta = {Format(d)} (best RDP order {Format(spent.Order)}; " +
                                      $"{t} steps, sampling rate {Format(q)}, noise multiplier {Format(z)})");
            WarnIfOrderAtEdge(context, grid, spent.Order);
            return ExitCodes.Success;
        });
        return command;
    }

    private static Command CreateNoise(CliContext context)
    {
        var samplingRate = NumberOption("--sampling-rate", "Probability q that a record (device) takes part in a step, in (0, 1].");
        var steps = StepsOption();
        var delta = NumberOption("--delta", "Target delta, in (0, 1).");
        var target = NumberOption("--target-epsilon", "Epsilon the whole run may spend, > 0.");
        var orders = OrdersOption();
        var json = JsonOption("Print {\"noise_multiplier\": ..., \"epsilon\": ...}.");

        var command = new Command("noise", "Find the smallest noise multiplier for which T steps at sampling rate q spend at most the target epsilon.");
        foreach (var option in new Option[] { samplingRate, steps, delta, target, orders, json }) command.Options.Add(option);
        command.SetAction(parse =>
        {
            double q = RequireSamplingRate(parse.GetValue(samplingRate));
            long t = RequireSteps(parse.GetValue(steps));
            double d = RequireDelta(parse.GetValue(delta));
            double e = parse.GetValue(target);
            if (!(e > 0) || !double.IsFinite(e)) throw new CliUsageException($"--target-epsilon must be a finite number > 0, got {Format(e)}");
            IReadOnlyList<double> grid = ParseOrders(parse.GetValue(orders));

            var found = NoiseMultiplierSolver.Solve(q, t, d, e, grid); // an unreachable target is a PrivacyParameterException: exit 2

            if (parse.GetValue(json))
                context.Out.WriteLine(Json(w => { w.WriteNumber("noise_multiplier", found.NoiseMultiplier); w.WriteNumber("epsilon", found.Epsilon); }));
            else
                context.Out.WriteLine($"noise multiplier = {Format(found.NoiseMultiplier)} gives epsilon = {Format(found.Epsilon)} at delta = {Format(d)} " +
                                      $"(best RDP order {Format(found.Order)}; {t} steps, sampling rate {Format(q)}; " +
                                      $"smallest such z to a relative {Format(NoiseMultiplierSolver.RelativeTolerance)})");
            WarnIfOrderAtEdge(context, grid, found.Order);
            return ExitCodes.Success;
        });
        return command;
    }

    /// <summary>A number flag parsed with the invariant culture, so <c>1e-5</c> and <c>0.04</c> mean the same everywhere.</summary>
    private static Option<double> NumberOption(string name, string description) => new(name)
    {
        Description = description,
        Required = true,
        CustomParser = result =>
        {
            string text = result.Tokens.Single().Value;
            if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double value)) return value;
            result.AddError($"{name} expects a number like 0.04 or 1e-5, got '{text}'.");
            return double.NaN;
        },
    };

    private static Option<long> StepsOption() => new("--steps")
    {
        Description = "Number of steps T (rounds for DP-FedAvg, batches for DP-SGD), >= 1.",
        Required = true,
    };

    private static Option<string?> OrdersOption() => new("--orders")
    {
        Description = "Comma-separated Rényi orders, e.g. 2,3,4.5,64 (default: 1.1, 1.2, ..., 10.9, 12, 13, ..., 63, as Opacus).",
    };

    private static Option<bool> JsonOption(string description) => new("--json") { Description = description };

    private static double RequireSamplingRate(double q) =>
        q > 0 && q <= 1 ? q : throw new CliUsageException($"--sampling-rate must be in (0, 1], got {Format(q)}");

    private static long RequireSteps(long steps) =>
        steps >= 1 ? steps : throw new CliUsageException($"--steps must be >= 1, got {steps}");

    private static double RequireDelta(double delta) =>
        delta > 0 && delta < 1 ? delta : throw new CliUsageException($"--delta must be in (0, 1), got {Format(delta)}");

    private static IReadOnlyList<double> ParseOrders(string? text)
    {
        if (text is null) return RdpOrders.Default;
        try
        {
            return RdpOrders.Parse(text);
        }
        catch (FedSim.Privacy.Accounting.PrivacyParameterException e)
        {
            throw new CliUsageException($"--orders: {e.Message}");
        }
    }

    /// <summary>
    /// Why no order gave a finite ε. Every order's RDP is finite for z &gt; 0 (the fractional series always converges),
    /// so the cause is the conversion: orders at or below <see cref="RdpConversion.MinimumOrderForConversion"/> enter
    /// it only through the KL bound δ ≥ √(1 − e^−RDP), which fails once the RDP is large; larger orders are the fix.
    /// </summary>
    private static string NoFiniteEpsilon(IReadOnlyList<double> orders, double delta)
    {
        string threshold = Format(RdpConversion.MinimumOrderForConversion);
        return orders.All(o => o <= RdpConversion.MinimumOrderForConversion)
            ? $"no order in --orders gives a finite epsilon: orders at or below {threshold} only count through the KL bound, which does not hold " +
              $"at delta = {Format(delta)}; add orders above {threshold} (the default list is 1.1, 1.2, ..., 10.9, 12, 13, ..., 63)"
            : "no order in --orders gives a finite epsilon: the RDP is infinite at every order above " +
              $"{threshold} in the list; raise the noise multiplier or lower the steps";
    }

    /// <summary>An optimum at the end of the grid means a wider grid could give a smaller ε (Opacus warns too).</summary>
    private static void WarnIfOrderAtEdge(CliContext context, IReadOnlyList<double> orders, double best)
    {
        if (orders.Count < 2) return;
        if (best == orders.Max())
            context.Error.WriteLine($"note: the best order is the largest in the list ({Format(best)}); larger orders may give a smaller epsilon");
        else if (best == orders.Min())
            context.Error.WriteLine($"note: the best order is the smallest in the list ({Format(best)}); orders closer to 1 may give a smaller epsilon");
    }

    private static string Format(double value) => value.ToString("G10", CultureInfo.InvariantCulture).Replace("E", "e");

    private static string Json(Action<Utf8JsonWriter> write)
    {
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream))
        {
            writer.WriteStartObject();
            write(writer);
            writer.WriteEndObject();
        }
        return Encoding.UTF8.GetString(stream.ToArray());
    }
}
