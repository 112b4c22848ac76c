using System.Globalization;
using FedSim.Attacks.Auditing;
using FedSim.Attacks.Inference;
using FedSim.Compute;
using FedSim.GrainInterfaces;
using FedSim.Persistence;
using FedSim.Scenario;
using FedSim.Composition;
using Microsoft.Extensions.Logging;

namespace FedSim.Attackers;

/// <summary>
/// The one-run auditor (<see cref="OneRunAuditOptions"/>; Steinke, Nasr and Jagielski 2023): on audited rounds it queries
/// the released model on every canary the scenario planted (<see cref="OneRunAuditCanaries"/>), scores each by the
/// model's fit (minus its mean loss), guesses the coins of the best and worst fitted, and reports the ε lower bound of
/// the tally beside the ε of the mechanism that protects the canaries' unit. The audit also carries the canaries'
/// scores and coins as an ordinary membership audit (included = member), so its ROC and AUC sit with the others.
/// </summary>
public sealed class OneRunAuditorGrain(
    [PersistentState("attacker", FedSimStorage.Checkpoints)] IPersistentState<AttackerState> state,
    [PersistentState("attacker-audits", FedSimStorage.Checkpoints)] IPersistentState<PendingAuditState> pending,
    IComputePool pool, ExperimentDataCache data, ILogger<OneRunAuditorGrain> logger)
    : AttackerGrainBase(state, pending, data, logger), IOneRunAuditorGrain
{
    protected override string ThreatModel => OneRunAuditOptions.KindName;

    public async Task ObserveAsync(ScenarioSpec scenario, RoundTruth truth, ViewGuarantee canaries, ReleasedModel? release)
    {
        await RememberAsync(truth);
        if (release is null || !truth.Audit) return;
        await StartAuditAsync(new PendingAudit { Scenario = scenario, Truth = truth, Release = release, CanaryGuarantee = canaries });
    }

    protected override async Task<IReadOnlyList<AuditRecord>> AuditAsync(PendingAudit audit)
    {
        var (scenario, truth, index) = (audit.Scenario, audit.Truth, Key.Index);
        var options = (OneRunAuditOptions)scenario.Attacks[index];
        var canaries = Data.Get(scenario).Canaries
                       ?? throw new InvalidOperationException("the one-run auditor found no canaries in the experiment's data");
        var guarantee = audit.CanaryGuarantee ?? truth.Released;
        double delta = guarantee.Delta ?? scenario.Audit.Delta;
        var rows = canaries.Rows.SelectMany(r => r).ToArray();
        var outputs = (await Compute(pool, scenario).OutputsAsync([audit.Release!.Weights], rows))[0];
        var scores = canaries.Scores(outputs);
        var result = OneRunAuditBound.Search(scores, canaries.Included, options.PositiveSearched, options.NegativeSearched, delta, options.Confidence);
        var examples = Enumerable.Range(0, canaries.Count)
            .Select(i => new AuditExample(canaries.Rows[i][0], canaries.Included[i], (int)canaries.Holders[i])).ToArray();
        var record = AuditJudge.Judge(OneRunAuditOptions.KindName, ThreatModels.Outsider, index, truth.Round, examples, scores, guarantee,
            scenario.Audit.Delta, note: Note(canaries, result));
        return [record with { OneRun = result with { Unit = canaries.Unit } }];
    }

    /// <summary>What the audit's canaries were and what it guessed, in one line.</summary>
    private static string Note(OneRunCanarySet canaries, OneRunAuditResult result)
    {
        string what = canaries.Unit == OneRunAuditUnits.Device
            ? $"{canaries.Count} canary devices of {canaries.Rows[0].Length} random record(s) each"
            : $"{canaries.Count} random canary records";
        return string.Create(CultureInfo.InvariantCulture,
            $"one-run audit: {what}, {result.Included} included by their coins; best of {result.PairsSearched} guess pairs: " +
            $"k+ = {result.PositiveGuesses}, k- = {result.NegativeGuesses}, {result.Correct} of {result.Guesses} right");
    }
}
