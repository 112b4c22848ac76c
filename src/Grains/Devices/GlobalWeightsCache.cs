using System.Collections.Concurrent;

namespace FedSim.Devices;

/// <summary>
/// One array per (experiment, round) for the global model on this silo. Each device's assignment arrives with its own
/// copy of the weights when the coordinator runs on another silo; the compute pool recognises a cohort's shared
/// starting model by array identity (it uploads each distinct array to the compute device once), so devices swap
/// their copy for the silo's canonical one here. A round's global model is a pure function of the experiment's
/// checkpoint, so any copy for the same (experiment, round) holds the same numbers, a replayed round's included.
/// Only the newest round of each experiment is kept: one model per experiment the silo has trained for.
/// </summary>
public sealed class GlobalWeightsCache
{
    private readonly ConcurrentDictionary<string, (int Round, float[] Weights)> _newest = new(StringComparer.Ordinal);

    /// <summary>The silo's array for this round's global model: <paramref name="weights"/> itself when it is the first.</summary>
    public float[] Canonical(string experimentId, int round, float[] weights)
    {
        var entry = _newest.AddOrUpdate(experimentId, (round, weights),
            (_, known) => known.Round >= round ? known : (round, weights));
        // A straggler from an older round keeps its own copy rather than evicting the current round's.
        return entry.Round == round ? entry.Weights : weights;
    }
}
