using FedSim.Determinism;

namespace FedSim.Compute;

/// <summary>
/// A device's minibatch order for one round, derived only from its own seed and shard size, so the
/// device sees the same batches whether it trains alone, in any cohort, or in the reference trainer.
/// Epoch e visits the shard in the order of a permutation seeded by <see cref="Seeds.EpochOrder"/>; batches are
/// consecutive runs of <c>BatchSize</c> positions and the last batch of an epoch may be short.
/// Poisson batches (DP-SGD): the same number of steps, but step t takes every example of the shard
/// independently with probability q = min(1, B / n) from a stream seeded by the step (<see cref="Seeds.PoissonBatch"/>), so its size varies.
/// </summary>
internal sealed class MinibatchSchedule
{
    private readonly int[] _shardIndices;
    private readonly ulong _seed;
    private readonly int _batchSize;
    private int[]? _order;
    private int _orderEpoch = -1;

    private readonly int[][]? _poissonBatches;

    public MinibatchSchedule(int[] shardIndices, ulong seed, int batchSize, int epochs, int? maxSteps = null, bool poisson = false)
    {
        _shardIndices = shardIndices;
        _seed = seed;
        _batchSize = batchSize;
        StepsPerEpoch = (shardIndices.Length + batchSize - 1) / batchSize;
        Steps = StepsPerEpoch * Math.Max(epochs, 0);
        // A straggler's partial work is the first steps of its full schedule, so it matches a full run up to there.
        if (maxSteps is int cap) Steps = Math.Clamp(cap, 0, Steps);
        MaxBatch = batchSize;
        if (poisson)
        {
            double rate = Math.Min(1.0, (double)batchSize / Math.Max(1, shardIndices.Length));
            SamplingRate = rate;
            _poissonBatches = new int[Steps][];
            for (int t = 0; t < Steps; t++)
            {
                var rng = new DeterministicRandom(Seeds.PoissonBatch(seed, t));
                _poissonBatches[t] = rng.BernoulliPositions(shardIndices.Length, rate).Select(i => shardIndices[i]).ToArray();
            }
            MaxBatch = _poissonBatches.Length == 0 ? 0 : _poissonBatches.Max(b => b.Length);
        }
    }

    /// <summary>Poisson batches: q = min(1, B / n); null for shuffled fixed-size batches.</summary>
    public double? SamplingRate { get; }

    /// <summary>
    /// The expected size of a Poisson batch, q·n = min(B, n): what DP-SGD divides its noised sum by. A device with
    /// fewer examples than B takes all of them every step, so dividing by B would shrink its steps by n/B.
    /// </summary>
    public int ExpectedBatch => Math.Min(_batchSize, _shardIndices.Length);

    /// <summary>The largest batch of any step (B for fixed-size batches): the width a trainer's buffers need.</summary>
    public int MaxBatch { get; }

    public int StepsPerEpoch { get; }

    /// <summary>LocalEpochs * ceil(n / B), or fewer when capped.</summary>
    public int Steps { get; }

    /// <summary>Writes the dataset row indices of step <paramref name="step"/>'s batch into <paramref name="rows"/>; returns their count.</summary>
    public int Batch(int step, Span<int> rows)
    {
        if (_poissonBatches is not null)
        {
            _poissonBatches[step].CopyTo(rows);
            return _poissonBatches[step].Length;
        }
        int epoch = step / StepsPerEpoch, first = (step % StepsPerEpoch) * _batchSize;
        if (epoch != _orderEpoch)
        {
            _order = new DeterministicRandom(Seeds.EpochOrder(_seed, epoch)).Permutation(_shardIndices.Length);
            _orderEpoch = epoch;
        }
        int count = Math.Min(_batchSize, _shardIndices.Length - first);
        for (int i = 0; i < count; i++) rows[i] = _shardIndices[_order![first + i]];
        return count;
    }
}
