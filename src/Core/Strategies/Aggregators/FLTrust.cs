using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using FedSim.Components;

namespace FedSim.Strategies.Aggregators;

/// <summary>
/// FLTrust (Cao, Fang, Liu and Gong 2021, "FLTrust: Byzantine-robust Federated Learning via Trust Bootstrapping",
/// Algorithm 2): the server trains on a small root dataset of its own to get an update g₀ each round. Client i's
/// trust is TSᵢ = ReLU(cos(gᵢ, g₀)); its update is rescaled to ‖g₀‖, ĝᵢ = gᵢ·‖g₀‖/‖gᵢ‖; the aggregate is
/// Σ TSᵢ·ĝᵢ / Σ TSᵢ. Updates pointing away from the server's lose all weight, and no update can outweigh
/// another by its length. Not example-weighted (trust is the only weight), as in the paper.
/// </summary>
[ComponentKind("fltrust", Order = 7), GenerateSerializer]
[Description("FLTrust (Cao et al. 2021): weight each update by ReLU(cos) with the server's update on its root data, rescaled to the server update's norm.")]
public sealed class FLTrustOptions : AggregatorOptions
{
    [Id(0), Description("Size of the server's root dataset, drawn from held-out data (Cao et al. use 100 samples).")]
    [Range(1, int.MaxValue)]
    public int RootSamples { get; set; } = 100;

    public override int ServerRootSamples => RootSamples;

    public override IAggregator Create(int assumedByzantine) => new FLTrustAggregator();
}

/// <summary>
/// The trust-weighted combination. Defined edge cases: an update of norm 0 has no direction and gets trust 0; when
/// every trust is 0 (or the server's own update is 0) the round adds nothing. Reports the updates trusted
/// (<c>fltrust_trusted</c>) and the mean trust score (<c>fltrust_mean_trust</c>).
/// </summary>
public sealed class FLTrustAggregator : IAggregator
{
    public const string TrustedMetric = "fltrust_trusted";
    public const string MeanTrustMetric = "fltrust_mean_trust";

    public AggregationResult Aggregate(AggregationInput input)
    {
        var server = input.ServerUpdate ?? throw new InvalidOperationException(
            "fltrust needs the server's update on its root data (AggregationInput.ServerUpdate), but the round has none: " +
            "the coordinator must run the server root update stage when the aggregator's ServerRootSamples is above 0");
        var results = input.Results;
        if (results.Count == 0) return AggregationResult.Nothing;
        int d = server.Length;
        double serverNorm = AggregationMath.Norm(server);
        var trust = new double[results.Count];
        var norms = new double[results.Count];
        double totalTrust = 0;
        for (int k = 0; k < results.Count; k++)
        {
            var g = results[k].Delta;
            if (g.Length != d) throw new ArgumentException($"device {results[k].DeviceId} sent {g.Length} values, the server update has {d}");
            norms[k] = AggregationMath.Norm(g);
            trust[k] = serverNorm > 0 && norms[k] > 0 ? Math.Max(0, AggregationMath.Dot(g, server) / (norms[k] * serverNorm)) : 0;
            totalTrust += trust[k];
        }
        var metrics = new Dictionary<string, double>
        {
            [TrustedMetric] = trust.Count(t => t > 0),
            [MeanTrustMetric] = totalTrust / results.Count,
        };
        if (totalTrust <= 0) return new AggregationResult(null, [], metrics);

        var update = new double[d];
        var used = new List<long>(results.Count);
        for (int k = 0; k < results.Count; k++)
        {
            if (trust[k] <= 0) continue;
            used.Add(results[k].DeviceId);
            // TSᵢ·ĝᵢ/ΣTS with ĝᵢ = gᵢ·‖g₀‖/‖gᵢ‖, folded into one coefficient per update.
            double c = trust[k] * serverNorm / norms[k] / totalTrust;
            var g = results[k].Delta;
            for (int i = 0; i < d; i++) update[i] += c * g[i];
        }
        return new AggregationResult(update, used, metrics);
    }
}
