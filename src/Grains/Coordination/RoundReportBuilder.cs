using FedSim.GrainInterfaces;
using FedSim.Rounds;
using FedSim.Strategies;

namespace FedSim.Coordination;

/// <summary>What a round moved over the network, as its report counts it.</summary>
/// <param name="BytesDownPerDevice">The float32 model and broadcast vectors each sampled device is sent.</param>
/// <param name="Secure">Under secure aggregation, the protocol's own totals (keys, shares, masked inputs); null otherwise.</param>
public sealed record RoundTraffic(long BytesDownPerDevice, SecureTraffic? Secure);

/// <summary>The secure-aggregation protocol's bytes in a round, on top of the model sent down.</summary>
public sealed record SecureTraffic(long DownBytes, long UpBytes);

/// <summary>
/// Builds a finished round's <see cref="RoundReport"/> (one row of metrics.csv, its failures.csv and clients.csv rows)
/// from the plan, what arrived and what the round pipeline computed: a pure function, so every column is tested
/// without a silo.
/// </summary>
public static class RoundReportBuilder
{
    /// <param name="updates">The updates that reached aggregation, sorted by device.</param>
    /// <param name="failures">Every sampled device without a usable update (dropped, late and surplus ones included), sorted by device.</param>
    /// <param name="simulatedTotalBefore">Simulated seconds of the rounds before this one.</param>
    public static RoundReport Build(RoundPlan plan, IReadOnlyList<DeviceUpdate> updates, IReadOnlyList<DeviceFailure> failures,
        RoundResults work, RoundTraffic traffic, double simulatedTotalBefore, double wallSeconds)
    {
        int round = work.Context.Round;
        long examples = updates.Sum(u => (long)u.Examples);
        double trainLoss = examples == 0 ? double.NaN : updates.Sum(u => (double)u.MeanTrainLoss * u.Examples) / examples;
        double simulated = plan.SimulatedSeconds;
        return new RoundReport(round, work.Evaluation?.Accuracy, work.Evaluation?.Loss, updates.Count,
            Failed: failures.Count - plan.Devices.Count(d => d.Outcome != DeviceOutcome.Train),
            trainLoss, examples,
            BytesSent: plan.Devices.Count * traffic.BytesDownPerDevice + (traffic.Secure?.DownBytes ?? 0),
            BytesReceived: traffic.Secure?.UpBytes ?? updates.Sum(u => u.BytesUp),
            SimulatedRoundSeconds: simulated,
            SimulatedTotalSeconds: simulatedTotalBefore + simulated,
            WallSeconds: wallSeconds,
            Selected: plan.Devices.Count,
            Dropped: plan.Count(DeviceOutcome.Dropped),
            Late: plan.Count(DeviceOutcome.Late),
            Surplus: plan.Count(DeviceOutcome.Surplus),
            Metrics: new ValueList<RoundMetric>(work.Metrics),
            Failures: new ValueList<DeviceFailure>(failures.Select(f => f with { Round = round })),
            Clients: new ValueList<DeviceRoundRecord>(ClientRecords(plan, updates, failures, work.Used, updatesHidden: traffic.Secure is not null)),
            DeviceAccuracies: work.DeviceAccuracies is { } accuracies ? new ValueList<DeviceAccuracy>(accuracies) : null);
    }

    /// <summary>Every sampled device's line in clients.csv, sorted by device.</summary>
    /// <param name="updatesHidden">Under secure aggregation the coordinator never sees an update, so it cannot know its norm.
    /// Summed on the compute pools, an update's norm is the one its pool measured.</param>
    public static IEnumerable<DeviceRoundRecord> ClientRecords(RoundPlan plan, IReadOnlyList<DeviceUpdate> updates,
        IReadOnlyList<DeviceFailure> failures, IReadOnlyList<long> used, bool updatesHidden)
    {
        var usedSet = used.ToHashSet();
        var delivered = updates.ToDictionary(u => u.DeviceId);
        var failed = failures.Select(f => f.DeviceId).ToHashSet();
        foreach (var device in plan.Devices.OrderBy(d => d.Device))
        {
            if (delivered.TryGetValue(device.Device, out var u))
                yield return new DeviceRoundRecord(u.DeviceId, usedSet.Contains(u.DeviceId) ? "used" : "not used", u.Examples, u.Steps,
                    u.MeanTrainLoss, updatesHidden ? double.NaN : u.UpdateNorm ?? AggregationMath.Norm(u.Delta));
            else
                yield return new DeviceRoundRecord(device.Device, device.Outcome switch
                {
                    DeviceOutcome.Dropped => "dropped",
                    DeviceOutcome.Late => "late",
                    DeviceOutcome.Surplus => "surplus",
                    _ => failed.Contains(device.Device) ? "failed" : "no answer",
                }, 0, 0, double.NaN, double.NaN);
        }
    }
}
