using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using FedSim.Components;
using FedSim.Data;
using FedSim.Training;

namespace FedSim.Attacks.Poisoning;

/// <summary>The round as the malicious clients see it when they craft their updates.</summary>
/// <param name="Round">Round number.</param>
/// <param name="CohortSize">Devices asked to train this round (n).</param>
/// <param name="Malicious">Malicious devices delivering this round (m).</param>
/// <param name="Seed">Seed of this crafting step (Seeds.Derive(experiment, round, first member, Attack)).</param>
public sealed record PoisoningContext(int Round, int CohortSize, int Malicious, ulong Seed);

/// <summary>
/// The Byzantine-client family (<c>byzantine.kind</c>): which fraction of devices is malicious and what they
/// do. An attack may change local training (plan modifiers: label flips, backdoor triggers) and rewrite the
/// honest update it trained (sign flip, scaling, noise). Colluding attacks (ALIE, IPM) craft from every
/// malicious member's honest update at once; the coordinator routes those through a coalition grain.
/// Each kind is one file in this folder.
/// </summary>
[ComponentFamily("byzantine"), GenerateSerializer]
[Description("Malicious clients: which fraction of devices, and what they send.")]
public abstract class ByzantineOptions : ComponentOptions
{
    [Id(0), Description("Fraction of registered devices that are malicious (chosen from the seed; listed in devices.csv).")]
    [Range(0, 1, MinimumIsExclusive = true, MaximumIsExclusive = true)]
    public double Fraction { get; set; } = 0.2;

    /// <summary>Whether members need each other's honest updates (then they craft together through the coalition).</summary>
    public virtual bool Colludes => false;

    /// <summary>Changes to local training the malicious devices make.</summary>
    public virtual IEnumerable<PlanModifier> TrainingModifiers(DataFacts data) => [];

    /// <summary>
    /// The trigger whose success the coordinator measures on the test set each evaluation round (backdoor_accuracy);
    /// null for attacks without one.
    /// </summary>
    public virtual BackdoorTrigger? EvaluationTrigger(DataFacts data) => null;

    /// <summary>
    /// The updates the members send, one per honest update given (same order). Non-colluding attacks get one
    /// update at a time. Must not modify the inputs.
    /// </summary>
    public abstract float[][] Craft(IReadOnlyList<float[]> honest, PoisoningContext context);

    /// <summary>Findings relating this attack to the scenario (e.g. a target label outside the classes).</summary>
    public virtual IEnumerable<ComponentFinding> Check(string path) => [];

    /// <summary>Expected malicious devices in a cohort of <paramref name="cohort"/> (robust aggregators' default f).</summary>
    public int ExpectedPerCohort(int cohort) => (int)Math.Ceiling(Fraction * cohort - 1e-9);

    protected static float[] Scaled(float[] v, double factor)
    {
        var r = new float[v.Length];
        for (int i = 0; i < r.Length; i++) r[i] = (float)(factor * v[i]);
        return r;
    }
}
