namespace FedSim.Strategies.ClientObjectives;

/// <summary>
/// FedNova's normalised averaging (Wang et al. 2020, "Tackling the Objective Inconsistency Problem in
/// Heterogeneous Federated Optimization", Section 4): a client that took τ_i local steps with momentum ρ did
/// a_i = [τ_i − ρ(1 − ρ^τ_i)/(1 − ρ)]/(1 − ρ) units of work (a_i = τ_i for plain SGD); its update is divided by
/// a_i before aggregation and the aggregate is scaled by τ_eff = Σ p_i·a_i with p_i = n_i/Σn. Clients with
/// more local steps (or kept partial work) then no longer pull the model toward their own optimum.
/// </summary>
public sealed class NormalizedObjective(double localMomentum) : ClientObjective
{
    /// <summary>Each delta is divided by its own device's work a_i, so the server needs them one by one.</summary>
    public override bool ServerReadsIndividualResults => true;

    public override (IReadOnlyList<DeviceResult> Results, double Scale) Normalize(IReadOnlyList<DeviceResult> results)
    {
        var kept = results.Where(r => r.Steps > 0).ToList();
        if (kept.Count == 0) return (kept, 1.0);
        double totalExamples = kept.Sum(r => (double)r.Examples);
        double tauEffective = 0;
        var normalized = new List<DeviceResult>(kept.Count);
        foreach (var r in kept)
        {
            double a = LocalWork(r.Steps, localMomentum);
            tauEffective += r.Examples / totalExamples * a;
            var d = new float[r.Delta.Length];
            for (int i = 0; i < d.Length; i++) d[i] = (float)(r.Delta[i] / a);
            normalized.Add(r with { Delta = d });
        }
        return (normalized, tauEffective);
    }

    /// <summary>‖a_i‖₁ for τ local steps with momentum ρ (Wang et al. 2020, Section 4.2).</summary>
    public static double LocalWork(int steps, double momentum)
        => momentum == 0 ? steps : (steps - momentum * (1 - Math.Pow(momentum, steps)) / (1 - momentum)) / (1 - momentum);
}
