using FedSim.Attacks.Auditing;

namespace FedSim.Rounds;

/// <summary>How the attacker tap reaches the attacker grains (the coordinator supplies it); each call returns at once.</summary>
public interface IAttackerChannel
{
    Task ToOutsiderAsync(int attacker, RoundTruth truth, ReleasedModel? release);

    Task ToServerAsync(int attacker, RoundTruth truth, ServerObservation? view);

    Task ToClientAsync(int attacker, RoundTruth truth, ReleasedModel release);

    /// <param name="canaries">The DP guarantee on the unit its canaries are (<see cref="PrivacyCoverage.ForCanaries"/>).</param>
    Task ToOneRunAuditorAsync(int attacker, RoundTruth truth, ViewGuarantee canaries, ReleasedModel? release);
}

/// <summary>
/// The attacker tap: after each round, hands every attacker exactly what its threat model grants (and the audit's
/// judge the round's truth). Outsiders get the released model on audited rounds; the server gets the round's global
/// model, every individual update (none under secure aggregation) and the aggregate on audited rounds; a malicious
/// client gets every released model, as a participant receives it; a one-run auditor gets the released model on audited
/// rounds, as an outsider, with the guarantee on its canaries' unit. The calls return at once: audits run in the
/// attacker grains, on the compute pool, never inside the round.
/// </summary>
/// <param name="every">Audit every k rounds (and at <paramref name="lastRound"/>).</param>
/// <param name="secureAggregation">Whether secure aggregation hides individual updates from the server.</param>
/// <param name="coverage">
/// The run's DP mechanisms: which view each covers, at the δ their ε is accounted at (the DP bound TPR ≤ e^ε·FPR + δ
/// holds only at that δ, so the judge must not fall back to the audit's own δ when an ε applies).
/// </param>
public sealed class AttackerTapStage(IReadOnlyList<AttackerOptions> attackers, IAttackerChannel channel, int every, int lastRound, bool secureAggregation,
    PrivacyCoverage coverage)
    : IRoundStage
{
    public bool SecureAggregation => secureAggregation;

    public static bool IsAudited(int round, int every, int lastRound) => round % every == 0 || round == lastRound;

    public async Task RunAsync(RoundResults round, CancellationToken cancellationToken)
    {
        int number = round.Context.Round;
        bool audit = IsAudited(number, every, lastRound);
        var (central, local) = PrivacyAccountingStage.Epsilons(round, coverage.Central, coverage.Local);
        var truth = new RoundTruth(number, round.Used.Order().ToArray(), audit,
            coverage.For(ThreatModels.Outsider, central, local), coverage.For(ThreatModels.Server, central, local));
        var released = new ReleasedModel(number, round.NextWeights ?? round.GlobalWeights);
        for (int i = 0; i < attackers.Count; i++)
        {
            switch (attackers[i].Kind)
            {
                case ThreatModels.Outsider:
                    await channel.ToOutsiderAsync(i, truth, audit ? released : null);
                    break;
                case ThreatModels.Server:
                    await channel.ToServerAsync(i, truth, audit ? ServerView(round) : null);
                    break;
                case ThreatModels.Client:
                    await channel.ToClientAsync(i, truth, released);
                    break;
                case OneRunAuditOptions.KindName:
                    var unit = ((OneRunAuditOptions)attackers[i]).UnitFor(coverage.Central, coverage.Local);
                    await channel.ToOneRunAuditorAsync(i, truth, coverage.ForCanaries(unit, central, local), audit ? released : null);
                    break;
                default:
                    throw new InvalidOperationException($"the attacker tap has no view for threat model '{attackers[i].Kind}'");
            }
        }
    }

    /// <summary>
    /// What the server holds: every update it received (none under secure aggregation, where it decodes only their
    /// sum) and the aggregate as it computed it, before central DP's noise (which it adds itself, the released model
    /// being the only thing that noise protects).
    /// </summary>
    private ServerObservation ServerView(RoundResults round)
    {
        var aggregate = (round.UpdateBeforeNoise ?? round.Update) is { } u ? u.Select(v => (float)v).ToArray() : new float[round.GlobalWeights.Length];
        var individual = secureAggregation
            ? null
            : new ValueList<ObservedUpdate>(round.Results.Select(r => new ObservedUpdate(r.DeviceId, r.Delta, r.Examples)));
        return new ServerObservation(round.Context.Round, round.GlobalWeights, individual, aggregate, secureAggregation);
    }
}
