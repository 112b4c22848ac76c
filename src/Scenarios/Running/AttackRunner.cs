using FedSim.Attacks.Auditing;
using FedSim.Scenario;
using FedSim.GrainInterfaces;
using FedSim.Scenarios.Reports;

namespace FedSim.Scenarios.Running;

/// <summary>Some attacker audits failed; the ones that finished are written.</summary>
public sealed class AuditFailedException(IReadOnlyList<string> failures)
    : Exception($"{failures.Count} audit(s) failed: {string.Join("; ", failures)}");

/// <summary>
/// <c>fedsim attack</c>: trains the federation as <c>fedsim run</c> does (same runner, same results folder) while the
/// scenario's attacker grains audit it, then waits for their last audits and writes attack.json and its companions.
/// </summary>
public static class AttackRunner
{
    public static async Task<RunOutcome> RunAsync(ScenarioSpec scenario, string scenarioPath, RunOptions options, CancellationToken cancellationToken)
    {
        if (scenario.Attacks.Length == 0)
            throw new Configuration.ScenarioException([new Configuration.ScenarioError(scenarioPath, 1, 1,
                "the scenario lists no attacker; add an attacks: list, e.g. attacks: [{kind: outsider}, {kind: server}] (see examples/README.md)")]);
        return await ExperimentRunner.RunAsync(scenario, scenarioPath, options, cancellationToken, afterTraining: CollectAsync);
    }

    /// <summary>Waits for every attacker's audits, then writes the attack results and prints the table.</summary>
    public static async Task CollectAsync(TrainedFederation run, CancellationToken cancellationToken)
    {
        var reports = await WaitForAuditsAsync(run, cancellationToken);
        var audits = reports.SelectMany(r => r.Audits).ToList();
        AttackResults.Write(run.OutputDirectory, $"{run.Scenario.Name}: membership inference", audits);
        if (!run.Quiet)
        {
            Console.WriteLine();
            Console.Write(AttackResults.Table(audits));
            Console.WriteLine($"Attack results written to {Path.Combine(run.OutputDirectory, AttackResults.JsonFileName)}");
        }
        var failures = reports.SelectMany(r => r.Failures).ToList();
        if (failures.Count > 0) throw new AuditFailedException(failures);
    }

    /// <summary>Polls the attacker grains until none has an audit running (audits of the last rounds finish after training).</summary>
    public static async Task<IReadOnlyList<AttackerReport>> WaitForAuditsAsync(TrainedFederation run, CancellationToken cancellationToken)
    {
        var grains = run.Scenario.Attacks.Select((options, i) => AttackerKey.Grain(run.Grains, run.ExperimentId, i, options)).ToArray();
        var waited = System.Diagnostics.Stopwatch.StartNew();
        var nextNote = TimeSpan.Zero;
        while (true)
        {
            var reports = await Task.WhenAll(grains.Select(g => g.GetReportAsync()));
            int pending = reports.Sum(r => r.Pending);
            if (pending == 0) return reports;
            if (waited.Elapsed >= nextNote && !run.Quiet)
            {
                // Reference models can train for minutes: say so now and then, so a long wait does not look like a hang.
                Console.WriteLine(nextNote == TimeSpan.Zero
                    ? $"waiting for {pending} audit(s) still running..."
                    : $"waiting for {pending} audit(s) still running ({waited.Elapsed.TotalSeconds:0} s)");
                nextNote = waited.Elapsed + TimeSpan.FromSeconds(15);
            }
            await Task.Delay(TimeSpan.FromMilliseconds(200), cancellationToken);
        }
    }
}
