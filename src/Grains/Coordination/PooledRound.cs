using FedSim.GrainInterfaces;
using FedSim.Rounds;
using FedSim.Strategies;

namespace FedSim.Coordination;

/// <summary>
/// The coordinator's side of a round whose updates are summed on the compute pools (<c>compute.sum_updates</c>). Every
/// device reports its statistics; one device of each cohort also carries its cohort's sum (<see cref="PooledSum"/>), and
/// a device sent its assignment again after a silo was lost answers with its own delta. The round's total is an
/// <see cref="ExactSum"/>, so it is the same number however the devices happened to be grouped into cohorts.
/// <para>
/// A device is done once its statistics arrived and its update is in the total (or it was rejected). A sum is taken
/// only when none of its members is in the total yet, and a device's own delta only when it is not: a cohort trained
/// before a replay or a silo's death can never count a device twice. A device whose sum was refused, or whose carrier
/// was lost, is not done, so the coordinator's membership watch sends it its assignment again, to answer alone.
/// </para>
/// </summary>
public sealed class PooledRound(int round, int parameters)
{
    private readonly ExactSum _total = new(parameters);
    private readonly Dictionary<long, PooledMember> _summed = [];
    private readonly Dictionary<long, DeviceUpdate> _reported = [];
    private readonly Dictionary<long, string> _rejected = [];

    /// <summary>Takes one device's answer; returns the devices that are done because of it (the sender, a sum's members).</summary>
    public IReadOnlyList<long> Receive(DeviceUpdate update)
    {
        var touched = new List<long> { update.DeviceId };
        if (update.PooledSum is { } sum && Accepts(sum))
        {
            _total.AddLimbs(sum.Limbs, sum.Members.Length);
            foreach (var member in sum.Members) _summed[member.DeviceId] = member;
            touched.AddRange(sum.Members.Select(m => m.DeviceId));
        }
        _reported[update.DeviceId] = update with { Delta = [], PooledSum = null };
        if (_summed.ContainsKey(update.DeviceId)) return Done(touched); // in the total already: this answer only brings statistics
        if (Rejection(update) is { } reason) _rejected[update.DeviceId] = reason;
        else if (update.Delta.Length > 0)
        {
            // Answering alone (sent its assignment again): its own term, cut exactly as the pool cuts them.
            _total.Add(update.Delta, update.Examples);
            _summed[update.DeviceId] = new PooledMember(update.DeviceId, update.Examples, update.Steps, AggregationMath.Norm(update.Delta));
        }
        return Done(touched);
    }

    private List<long> Done(List<long> touched) => touched.Distinct().Where(IsDone).ToList();

    /// <summary>Whether the device has nothing more to deliver this round.</summary>
    public bool IsDone(long device) => _rejected.ContainsKey(device) || (_reported.ContainsKey(device) && _summed.ContainsKey(device));

    /// <summary>
    /// The round as aggregation sees it, once no more answers are awaited. <paramref name="failures"/> are the round's
    /// failures so far (sampled devices that did not train, devices that reported one, and those the round timed out on).
    /// A device in the total whose own answer never came is used with what its pool measured (its training loss unknown);
    /// a device that reported but whose update never reached the total failed.
    /// </summary>
    public PooledOutcome Close(IReadOnlyList<DeviceFailure> failures)
    {
        var failed = failures.Where(f => !_summed.ContainsKey(f.DeviceId) || _rejected.ContainsKey(f.DeviceId)).ToList();
        foreach (var (device, reason) in _rejected) failed.Add(new DeviceFailure(device, round, reason));
        foreach (var device in _reported.Keys.Where(d => !_summed.ContainsKey(d) && !_rejected.ContainsKey(d)))
            failed.Add(new DeviceFailure(device, round, "its update was lost with its cohort's sum (the device that carried it never answered)"));
        var used = _summed.Keys.Where(d => !_rejected.ContainsKey(d)).Order().ToList();
        var updates = used.Select(d => _reported.GetValueOrDefault(d) ?? Unreported(_summed[d])).ToList();
        double weight = used.Sum(d => (double)_summed[d].Examples);
        return new PooledOutcome(updates, failed.DistinctBy(f => f.DeviceId).OrderBy(f => f.DeviceId).ToList(),
            used.Count == 0 ? null : new PooledTotal(_total.ToDoubles(), used, weight));
    }

    private bool Accepts(PooledSum sum)
        => sum.Round.Round == round && sum.Limbs.Length == ExactSum.Limbs * parameters && sum.Members.All(m => !_summed.ContainsKey(m.DeviceId));

    /// <summary>Why the coordinator cannot use the device's update, or null.</summary>
    private static string? Rejection(DeviceUpdate update)
    {
        if (update.LeftOut is { } leftOut) return leftOut;
        if (update.Delta.Length == 0) return null;
        if (!ExactSum.Fits(update.Delta, update.Examples))
            return update.Delta.Any(v => !float.IsFinite(v)) ? "update has a non-finite value; rejected"
                : "update has a value beyond the pooled sum's range (2^80 once weighted by its examples); rejected";
        return null;
    }

    private DeviceUpdate Unreported(PooledMember member)
        => new(member.DeviceId, round, [], member.Examples, member.Steps, float.NaN, 0, 0, 0, UpdateNorm: member.UpdateNorm);
}

/// <summary>A pooled round as aggregation sees it: the used devices' statistics, the failures and the total.</summary>
public sealed record PooledOutcome(IReadOnlyList<DeviceUpdate> Updates, IReadOnlyList<DeviceFailure> Failures, PooledTotal? Total);
