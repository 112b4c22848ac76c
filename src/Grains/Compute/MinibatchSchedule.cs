using FedSim.Determinism;

namespace FedSim.Compute;

/// <summary>
/// A device's minibatch order for one round, derived only from its own seed and shard size, so the
/// device sees the same batches whether it trains alone, in any cohort, or in the reference trainer.
/// Epoch e visits the shard in the order of a permutation seeded by Mix(seed + e); batches are
/// consecutive runs of <c>BatchSize</c> positions and the last batch of an epoch may be short.
/// </summary>
internal sealed class MinibatchSchedule
{
    private readonly int[] _shardIndices;
    private readonly ulong _seed;
    private readonly int _batchSize;
    private int[]? _order;
    private int _orderEpoch = -1;

    public MinibatchSchedule(int[] shardIndices, ulong seed, int batchSize, int epochs, int? maxSteps = null)
    {
        _shardIndices = shardIndices;
        _seed = seed;
        _batchSize = batchSize;
        StepsPerEpoch = (shardIndices.Length + batchSize - 1) / batchSize;
        Steps = StepsPerEpoch * Math.Max(epochs, 0);
        // A straggler's partial work is the first steps of its full schedule, so it matches a full run up to there.
        if (maxSteps is int cap) Steps = Math.Clamp(cap, 0, Steps);
    }

    public int StepsPerEpoch { get; }

    /// <summary>LocalEpochs * ceil(n / B), or fewer when capped.</summary>
    public int Steps { get; }

    /// <summary>Writes the dataset row indices of step <paramref name="step"/>'s batch into <paramref name="rows"/>; returns their count.</summary>
    public int Batch(int step, Span<int> rows)
    {
        int epoch = step / StepsPerEpoch, first = (step % StepsPerEpoch) * _batchSize;
        if (epoch != _orderEpoch)
        {
            _order = new DeterministicRandom(Seeds.Mix(_seed + (ulong)epoch)).Permutation(_shardIndices.Length);
            _orderEpoch = epoch;
        }
        int count = Math.Min(_batchSize, _shardIndices.Length - first);
        for (int i = 0; i < count; i++) rows[i] = _shardIndices[_order![first + i]];
        return count;
    }
}
