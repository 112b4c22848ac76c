namespace FedSim.Training;

/// <summary>
/// A device's local training recipe for one round, as a value: two plans are equal exactly when their
/// devices can train as one batched cohort, so the compute pool groups jobs by plan equality (with the
/// model) and no one builds a cohort key by hand. Modifiers change the local objective or the batches
/// (FedProx's proximal term, SCAFFOLD's correction, a Byzantine label flip, a backdoor trigger).
/// </summary>
[GenerateSerializer, Immutable]
public sealed record TrainingPlan(
    [property: Id(0)] string Optimizer,
    [property: Id(1)] float LearningRate,
    [property: Id(2)] float Momentum,
    [property: Id(3)] int BatchSize,
    [property: Id(4)] int LocalEpochs,
    [property: Id(5)] ValueList<PlanModifier>? Modifiers = null,
    [property: Id(6)] string Precision = Precisions.Fp32)
{
    /// <summary>The modifiers, never null.</summary>
    public ValueList<PlanModifier> AllModifiers => Modifiers ?? ValueList<PlanModifier>.Empty;

    /// <summary>This plan with <paramref name="more"/> modifiers appended.</summary>
    public TrainingPlan With(params IEnumerable<PlanModifier> more) => this with { Modifiers = new ValueList<PlanModifier>([.. AllModifiers, .. more]) };

    /// <summary>The modifier of type <typeparamref name="T"/>, or null.</summary>
    public T? Find<T>() where T : PlanModifier => AllModifiers.OfType<T>().FirstOrDefault();

    /// <summary>Readable one-line form for logs and error messages.</summary>
    public override string ToString()
    {
        string modifiers = AllModifiers.Count == 0 ? "" : $" + {string.Join(" + ", AllModifiers)}";
        string precision = Precision == Precisions.Fp32 ? "" : $" {Precision}";
        return $"{Optimizer} lr={LearningRate:R} momentum={Momentum:R} B={BatchSize} E={LocalEpochs}{precision}{modifiers}";
    }
}

