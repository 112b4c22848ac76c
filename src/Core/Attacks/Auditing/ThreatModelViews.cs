using FedSim.Attacks.Inference;

namespace FedSim.Attacks.Auditing;

// What each threat model is handed. Records are addressed by their row in the experiment's training split: the
// audited members, the held-out non-members and every attacker's auxiliary records all live there (AuditHoldout).

/// <summary>
/// The outsider's access to the released model: black-box queries that return per-example outputs (logits, from
/// which loss and confidence follow) for records the attacker holds. No weights cross this boundary.
/// </summary>
public interface IReleasedModel
{
    /// <summary>The round after which this model was released.</summary>
    int Round { get; }

    Task<ModelOutputs> QueryAsync(IReadOnlyList<int> records, CancellationToken cancellationToken = default);
}

/// <summary>
/// What an attacker can compute with weights it holds itself: per-example outputs, and models of the target's
/// architecture and training recipe trained on records it holds, through the compute pool (so a batch of reference
/// models trains as one cohort).
/// </summary>
public interface IAttackerCompute
{
    /// <summary>Fresh weights of the target's architecture.</summary>
    float[] Initialize(ulong seed);

    /// <summary>Per-example outputs of each weight set on the records, in the records' order.</summary>
    Task<ModelOutputs[]> OutputsAsync(IReadOnlyList<float[]> weightSets, IReadOnlyList<int> records, CancellationToken cancellationToken = default);

    /// <summary>Trains one model per job with the target's local recipe (optimizer, learning rate, batch size); the trained weights.</summary>
    Task<float[][]> TrainAsync(IReadOnlyList<ModelTraining> jobs, CancellationToken cancellationToken = default);
}

/// <summary>One model the attacker trains: from <paramref name="Start"/>, on <paramref name="Records"/>, for <paramref name="Epochs"/>.</summary>
/// <param name="Ascent">Gradient ascent instead of descent (the malicious client's active step).</param>
/// <param name="BatchSize">Minibatch size; null: the target's. A batch of all records makes each epoch one full-batch step.</param>
public sealed record ModelTraining(float[] Start, int[] Records, int Epochs, ulong Seed, bool Ascent = false, int? BatchSize = null);

/// <summary>The global model the coordinator released after <see cref="Round"/>: what outsiders query and clients receive.</summary>
[GenerateSerializer, Immutable]
public sealed record ReleasedModel([property: Id(0)] int Round, [property: Id(1)] float[] Weights);

/// <summary>One device's update as the server received it.</summary>
[GenerateSerializer, Immutable]
public sealed record ObservedUpdate([property: Id(0)] long Device, [property: Id(1)] float[] Delta, [property: Id(2)] int Examples);

/// <summary>
/// What the honest-but-curious server sees of one round: the global model it sent, every device's update (null when
/// secure aggregation hides them) and the aggregate it applies. The type has no other way in: under secure
/// aggregation an attack can only use <see cref="Aggregate"/>.
/// </summary>
[GenerateSerializer, Immutable]
public sealed record ServerObservation(
    [property: Id(0)] int Round,
    [property: Id(1)] float[] GlobalWeights,
    [property: Id(2)] ValueList<ObservedUpdate>? Individual,
    [property: Id(3)] float[] Aggregate,
    [property: Id(4)] bool SecureAggregation);

/// <summary>
/// What the audit's judge (not the attack) knows about a round: the devices whose updates the model absorbed, so
/// their training records are members from here on, and the DP guarantees that cover each view at this round
/// (<see cref="PrivacyCoverage"/>): <see cref="Released"/> for outsiders and clients, <see cref="Updates"/> for the
/// server. Published every round, so the set of members survives audits that skip rounds.
/// </summary>
[GenerateSerializer, Immutable]
public sealed record RoundTruth(
    [property: Id(0)] int Round,
    [property: Id(1)] long[] UsedDevices,
    [property: Id(2)] bool Audit,
    [property: Id(3)] ViewGuarantee Released,
    [property: Id(4)] ViewGuarantee Updates)
{
    /// <summary>The guarantee covering what <paramref name="threatModel"/> sees.</summary>
    public ViewGuarantee GuaranteeFor(string threatModel) => PrivacyCoverage.SeesUpdates(threatModel) ? Updates : Released;
}
