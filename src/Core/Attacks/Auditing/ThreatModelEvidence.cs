using FedSim.Attacks.Inference;
using FedSim.Determinism;

namespace FedSim.Attacks.Auditing;

// What each threat model hands its attacks at an audit, computed once and shared by every attack it runs.

/// <summary>The reference models' view of the audited records: their outputs and which records each one trained on.</summary>
/// <param name="Outputs">Per reference model, its outputs on the audited records.</param>
/// <param name="TrainedOn">Per reference model, whether it trained on each audited record.</param>
public sealed record ReferenceEvidence(ReferenceModels Models, ModelOutputs[] Outputs, bool[][] TrainedOn)
{
    // Attacks that read the same signal (LiRA online and offline) share one computation per audit.
    private readonly Dictionary<string, ReferenceSignals> _signals = new(StringComparer.Ordinal);

    /// <summary>
    /// Each audited record's signal on the reference models that trained on it (IN) and on those that did not (OUT),
    /// computed once per audit for each <paramref name="name"/>.
    /// </summary>
    public ReferenceSignals Signals(string name, Func<ModelOutputs, double[]> signal)
    {
        if (!_signals.TryGetValue(name, out var signals))
            _signals[name] = signals = ReferenceSignals.FromModels(Outputs.Select(signal).ToArray(), TrainedOn);
        return signals;
    }
}

/// <summary>
/// The outsider's evidence: the released model's outputs on the audited records, the means to query it and its own
/// compute further, its auxiliary records, and (when a selected attack needs them) its reference models.
/// </summary>
/// <param name="Target">The released model's outputs on <paramref name="Audited"/>.</param>
/// <param name="Picks">The attacker's one seeded stream for drawing auxiliary records, shared by the attacks in scoring order.</param>
public sealed record OutsiderEvidence(
    OutsiderAttackerOptions Options,
    IReleasedModel Released,
    IAttackerCompute Compute,
    IReadOnlyList<int> Audited,
    IReadOnlyList<int> Auxiliary,
    ModelOutputs Target,
    ReferenceEvidence? ReferenceModels,
    DeterministicRandom Picks)
{
    /// <summary>The reference models, which only an attack that declares <see cref="AttackNeeds.ReferenceModels"/> gets.</summary>
    public ReferenceEvidence References => ReferenceModels
        ?? throw new InvalidOperationException("no reference models were trained for this audit; an attack that reads them declares AttackNeeds.ReferenceModels");
}

/// <summary>The server's evidence on one update: the candidates' outputs before and after it.</summary>
/// <param name="AtGlobal">Outputs at the global model w the update started from.</param>
/// <param name="AtUpdated">Outputs at w + Δ: the device's own model after local training (or the next global model, for the aggregate).</param>
public sealed record ServerEvidence(ModelOutputs AtGlobal, ModelOutputs AtUpdated);

/// <summary>The malicious client's evidence at an audit.</summary>
/// <param name="Received">Outputs of the global model it just received on the records it tests.</param>
/// <param name="AfterAscent">Outputs of the model released right after its ascent round, or null when it did not ascend before this audit.</param>
/// <param name="Device">The registered device it controls.</param>
/// <param name="AscentRound">The round whose ascent this audit measures (the one before the audited round).</param>
public sealed record ClientEvidence(ModelOutputs Received, ModelOutputs? AfterAscent, long Device, int AscentRound);

/// <summary>A client attack's scores and what the report should say about how they were obtained.</summary>
public sealed record ClientVerdict(double[] Scores, string? Note = null);
