using FedSim.GrainInterfaces;
using TorchSharp;
using static TorchSharp.torch;

namespace FedSim.Compute;

/// <summary>
/// The global models a compute pool has copied to its torch device, by <see cref="GlobalModelId"/>. A round reaches
/// the pool as many cohorts (the cohort limit, late arrivals, several workers), and each device's copy of the model is
/// its own array when the coordinator runs on another silo; every one of them starts from the same named model, so it
/// crosses to the device once per round and silo instead of once per cohort (on an accelerator, host-to-device copies
/// of the model would otherwise compete with the data for the link).
/// </summary>
/// <remarks>
/// Each experiment keeps only its newest round; a straggler from an older round gets a private copy. At most
/// <see cref="Capacity"/> experiments are kept, the least recently used going first. A lease is a view of the cached
/// tensor: it shares the storage, which libtorch reference-counts, so evicting an entry never frees memory a running
/// cohort still reads. One instance serves one torch device (its pool's). Safe to call from several pool workers.
/// </remarks>
public sealed class GlobalModelsOnDevice : IDisposable
{
    /// <summary>Experiments whose newest model stays on the device (concurrent runs of one `fedsim compare`, say).</summary>
    public const int Capacity = 32;

    private readonly object _lock = new();
    private readonly Dictionary<string, Entry> _byExperiment = new(StringComparer.Ordinal);
    private long _uploads;
    private long _clock;
    private bool _disposed;

    /// <summary>Copies of a named model made to the device (each a host-to-device transfer on an accelerator).</summary>
    public long Uploads => Interlocked.Read(ref _uploads);

    /// <summary>
    /// The model <paramref name="id"/> as a flat tensor on <paramref name="device"/>, copied from <paramref name="weights"/>
    /// only when this pool does not hold it yet. The caller owns the returned view (dispose it, or let its dispose scope).
    /// </summary>
    public Tensor Lease(GlobalModelId id, float[] weights, Device device)
    {
        ArgumentNullException.ThrowIfNull(weights);
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            _byExperiment.TryGetValue(id.ExperimentId, out var entry);
            if (entry is not null && entry.Round > id.Round) return Upload(weights, device); // a straggler: private copy
            if (entry is not null && entry.Round == id.Round)
            {
                if (entry.Weights.shape[0] != weights.Length)
                    throw new ArgumentException($"global model {id}: {weights.Length} weights, but the copy already on {device} has {entry.Weights.shape[0]}; one name must mean one model.");
                entry.LastUse = ++_clock;
                return entry.Weights.view(-1);
            }
            entry?.Weights.Dispose();
            if (entry is null && _byExperiment.Count >= Capacity) EvictLeastRecentlyUsed();
            var master = Upload(weights, device).DetachFromDisposeScope();
            _byExperiment[id.ExperimentId] = new Entry(id.Round, master) { LastUse = ++_clock };
            return master.view(-1);
        }
    }

    private Tensor Upload(float[] weights, Device device)
    {
        Interlocked.Increment(ref _uploads);
        return torch.tensor(weights, device: device);
    }

    private void EvictLeastRecentlyUsed()
    {
        var oldest = _byExperiment.MinBy(e => e.Value.LastUse);
        oldest.Value.Weights.Dispose();
        _byExperiment.Remove(oldest.Key);
    }

    /// <summary>Frees the cached tensors; a cohort still running keeps what it leased (the views hold the storage).</summary>
    public void Dispose()
    {
        lock (_lock)
        {
            if (_disposed) return;
            _disposed = true;
            foreach (var entry in _byExperiment.Values) entry.Weights.Dispose();
            _byExperiment.Clear();
        }
    }

    private sealed class Entry(int round, Tensor weights)
    {
        public int Round { get; } = round;
        public Tensor Weights { get; } = weights;
        public long LastUse { get; set; }
    }
}
