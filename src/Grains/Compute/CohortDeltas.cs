using FedSim.GrainInterfaces;
using FedSim.Strategies;
using TorchSharp;
using static TorchSharp.torch;

namespace FedSim.Compute;

/// <summary>
/// A trained cohort's deltas, [k, total] on its torch device in stack order, turned into the jobs' results. A job that
/// returns its delta gets it copied to the host. Jobs summed on the pool (<see cref="TrainingJob.SumOnPool"/>) add theirs,
/// weighted by their example count, to their round's sum on the device, cut into <see cref="ExactSum"/>'s limbs, so only
/// the limbs of each round's sum cross to the host; the sum's first device carries it. Every job gets its update norm,
/// accumulated in double on the device.
/// </summary>
internal static class CohortDeltas
{
    /// <summary>The values of a contiguous tensor on the host, valid until the next copy on this thread.</summary>
    public delegate ReadOnlySpan<float> HostCopy(Tensor values, long count);

    /// <summary>Rows of doubles a sum works on at once: about 256 MiB of them whatever the model (at least one row).</summary>
    private const long ChunkValues = 32L << 20;

    // Powers of two for ExactSum's limbs, held for the process (see HeldScalars).
    private static readonly Scalar Up = Math.ScaleB(1.0, ExactSum.LimbBits).ToScalar();
    private static readonly Scalar Down = Math.ScaleB(1.0, -ExactSum.LimbBits).ToScalar();

    /// <param name="deltas">[k, total] trained minus starting weights of the stacked jobs (null when none trained).</param>
    /// <param name="order">The stacked jobs' indices in <paramref name="jobs"/>, in stack order.</param>
    /// <param name="losses">Each stacked job's summed loss over its steps, in stack order.</param>
    /// <param name="steps">Each job's steps (0: it did not train and its delta is zero).</param>
    /// <param name="copyToHost">Copies a contiguous tensor's values to the host (the trainer's staged copy).</param>
    public static TrainingResult[] Results(IReadOnlyList<TrainingJob> jobs, int[] order, Tensor? deltas, float[] losses, int[] steps, int total,
        HostCopy copyToHost)
    {
        using var noGrad = torch.no_grad();
        var row = Enumerable.Repeat(-1, jobs.Count).ToArray();
        for (int d = 0; d < order.Length; d++) row[order[d]] = d;
        var (norms, largest) = deltas is null ? ([], []) : Measure(deltas);
        var host = deltas is null ? [] : HostDeltas(jobs, order, deltas, total, copyToHost);
        var results = new TrainingResult[jobs.Count];
        for (int i = 0; i < jobs.Count; i++)
        {
            int d = row[i];
            float[] delta = jobs[i].SumOnPool ? [] : d < 0 ? new float[total] : host[d]!;
            results[i] = new TrainingResult(delta, jobs[i].Shard.Count, steps[i], d < 0 ? 0f : losses[d] / steps[i])
            {
                UpdateNorm = d < 0 ? 0 : norms[d],
                LeftOut = jobs[i].SumOnPool && d >= 0 ? LeftOutBecause(norms[d], largest[d], jobs[i].Shard.Count) : null,
            };
        }
        foreach (var round in Enumerable.Range(0, jobs.Count).Where(i => jobs[i].SumOnPool).GroupBy(i => RoundOf(jobs[i])))
            Carry(round.Key, round.OrderBy(i => jobs[i].DeviceId).ToArray(), jobs, row, deltas, total, results);
        return results;
    }

    private static GlobalModelId RoundOf(TrainingJob job) => job.GlobalId
        ?? throw new ArgumentException($"device {job.DeviceId}: a job summed on the pool must name its round's global model (GlobalId)");

    /// <summary>Why a delta cannot join the sum, or null: a value that is not finite, or a weighted value beyond <see cref="ExactSum.Bound"/>.</summary>
    private static string? LeftOutBecause(double norm, double largest, int examples)
    {
        if (!double.IsFinite(norm)) return "update has a non-finite value; rejected";
        if (largest * examples >= ExactSum.Bound)
            return $"update has a value of magnitude {largest:G3} which, weighted by {examples} examples, is beyond the pooled sum's range (2^80); rejected";
        return null;
    }

    /// <summary>Each row's L2 norm (accumulated in double) and largest magnitude, to the host.</summary>
    private static (double[] Norms, double[] Largest) Measure(Tensor deltas)
    {
        using var scope = torch.NewDisposeScope();
        long k = deltas.shape[0], total = deltas.shape[1], chunk = Math.Max(1, ChunkValues / Math.Max(1, total));
        var norms = new List<Tensor>();
        for (long start = 0; start < k; start += chunk)
            norms.Add(deltas.narrow(0, start, Math.Min(chunk, k - start)).to(ScalarType.Float64).square().sum(1));
        var sumsOfSquares = torch.cat(norms, 0).sqrt().cpu().data<double>().ToArray();
        var largest = deltas.abs().amax([1]).to(ScalarType.Float64).cpu().data<double>().ToArray();
        return (sumsOfSquares, largest);
    }

    /// <summary>The rows of jobs that return their delta, on the host (the others stay on the device).</summary>
    private static float[]?[] HostDeltas(IReadOnlyList<TrainingJob> jobs, int[] order, Tensor deltas, int total,
        HostCopy copyToHost)
    {
        var host = new float[]?[order.Length];
        var plain = Enumerable.Range(0, order.Length).Where(d => !jobs[order[d]].SumOnPool).ToArray();
        if (plain.Length == 0) return host;
        using var scope = torch.NewDisposeScope();
        var rows = plain.Length == order.Length ? deltas : deltas.index_select(0, torch.tensor(plain.Select(d => (long)d).ToArray(), device: deltas.device)).contiguous();
        var flat = copyToHost(rows, (long)plain.Length * total);
        for (int p = 0; p < plain.Length; p++)
        {
            // Every element is overwritten at once, so the array need not be zeroed first.
            var delta = GC.AllocateUninitializedArray<float>(total);
            flat.Slice(p * total, total).CopyTo(delta);
            host[plain[p]] = delta;
        }
        return host;
    }

    /// <summary>One round's summed jobs of the cohort (<paramref name="members"/>, by device): their limbs, carried by the first.</summary>
    private static void Carry(GlobalModelId round, int[] members, IReadOnlyList<TrainingJob> jobs, int[] row, Tensor? deltas, int total,
        TrainingResult[] results)
    {
        var kept = members.Where(i => results[i].LeftOut is null).ToArray();
        var trained = kept.Where(i => row[i] >= 0).ToArray();
        var limbs = new long[ExactSum.Limbs * total];
        if (trained.Length > 0)
            Limbs(deltas!, [.. trained.Select(i => (long)row[i])], [.. trained.Select(i => (double)jobs[i].Shard.Count)]).CopyTo(limbs);
        var sum = new PooledSum(round, [.. kept.Select(i => new PooledMember(jobs[i].DeviceId, results[i].Examples, results[i].Steps, results[i].UpdateNorm))], limbs);
        results[members[0]] = results[members[0]] with { Carries = sum };
    }

    /// <summary>
    /// Σ w·x over the given rows, as <see cref="ExactSum.Split"/> cuts each term: the same exact operations on tensors, then
    /// per limb a sum over the rows. A chunk of at most 4,096 rows sums integers below 2^40 in double, below 2^52: exact
    /// in any order; chunks add as int64.
    /// </summary>
    internal static long[] Limbs(Tensor deltas, long[] rows, double[] weights)
    {
        using var scope = torch.NewDisposeScope();
        long total = deltas.shape[1], chunk = Math.Clamp(ChunkValues / Math.Max(1, total), 1, 4096);
        var device = deltas.device;
        var sum = Enumerable.Range(0, ExactSum.Limbs).Select(_ => torch.zeros([total], ScalarType.Int64, device)).ToArray();
        var index = torch.tensor(rows, device: device);
        var weight = torch.tensor(weights, device: device);
        for (long start = 0; start < rows.Length; start += chunk)
        {
            using var step = torch.NewDisposeScope();
            long n = Math.Min(chunk, rows.Length - start);
            var t = deltas.index_select(0, index.narrow(0, start, n)).to(ScalarType.Float64).mul_(weight.narrow(0, start, n).unsqueeze(1));
            var q = t.mul(Down).trunc_();
            sum[0].add_(q.sum(0L).to(ScalarType.Int64), HeldScalars.One);
            var r = t.sub_(q.mul_(Up));
            for (int limb = 1; limb < ExactSum.Limbs; limb++)
            {
                q = r.trunc();
                sum[limb].add_(q.sum(0L).to(ScalarType.Int64), HeldScalars.One);
                if (limb < ExactSum.Limbs - 1) r = r.sub_(q).mul_(Up);
            }
        }
        return torch.stack(sum).cpu().data<long>().ToArray();
    }
}
