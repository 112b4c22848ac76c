using FedSim.Determinism;

namespace FedSim.Rounds;

/// <summary>What happens to a sampled device in a round, decided before anyone trains.</summary>
public enum DeviceOutcome
{
    /// <summary>Trains (all its steps, or the partial work that fits the deadline) and delivers.</summary>
    Train,
    /// <summary>Drops out during the round and never answers.</summary>
    Dropped,
    /// <summary>Would finish after the deadline (and cannot or may not keep partial work).</summary>
    Late,
    /// <summary>Over-selected and not among the first k to finish: the server stops waiting for it.</summary>
    Surplus,
}

/// <summary>One sampled device's plan for the round.</summary>
/// <param name="Steps">Local steps it trains (less than its full plan when partial work is kept).</param>
/// <param name="FullSteps">Local steps of the full plan.</param>
/// <param name="FinishSeconds">Simulated seconds from the round's start until its update arrives (download, training, upload).</param>
public sealed record DevicePlan(long Device, DeviceOutcome Outcome, int Steps, int FullSteps, double FinishSeconds, string? Reason = null);

/// <summary>A round decided in simulated time: every sampled device's outcome and the round's simulated length.</summary>
public sealed record RoundPlan(int Round, IReadOnlyList<DevicePlan> Devices, double SimulatedSeconds)
{
    public IEnumerable<DevicePlan> Training => Devices.Where(d => d.Outcome == DeviceOutcome.Train);

    public int Count(DeviceOutcome outcome) => Devices.Count(d => d.Outcome == outcome);
}

/// <summary>What the planner needs to know about a device's work: its shard size.</summary>
/// <param name="BytesDown">Bytes each device downloads (model and broadcast vectors).</param>
/// <param name="BytesUp">Bytes each device uploads (delta and extras).</param>
public sealed record RoundWork(int BatchSize, int LocalEpochs, long BytesDown, long BytesUp);

/// <summary>
/// Decides a round in simulated time, before any training, from seeds only (never wall time or arrival
/// order): which devices are available and sampled (with over-selection), who drops out, who misses the
/// deadline, who keeps partial work, and who is cut as over-selected surplus. Because the whole timeline is
/// known up front, only devices whose updates will be used train at all.
/// </summary>
public static class RoundPlanner
{
    public static RoundPlan Plan(int round, ulong seed, long population, int devicesPerRound, double roundStartSeconds,
        HeterogeneitySpec heterogeneity, DeviceProfileSource profiles, Func<long, int> examples, RoundWork work, SamplingOptions? sampling = null)
    {
        int wanted = (int)Math.Min(population, (long)Math.Ceiling(devicesPerRound * (1 + heterogeneity.OverSelection) - 1e-9));
        var sampled = Sample(round, seed, population, wanted, heterogeneity, profiles.Trace, roundStartSeconds, sampling);
        if (sampling is { TargetsCohortSize: false }) devicesPerRound = int.MaxValue; // no target cohort to cut the arrivals to

        double deadline = heterogeneity.DeadlineSeconds;
        var plans = new List<DevicePlan>(sampled.Length);
        foreach (long device in sampled)
        {
            var profile = profiles.Profile(device);
            int n = examples(device);
            int stepsPerEpoch = (n + work.BatchSize - 1) / work.BatchSize;
            int fullSteps = stepsPerEpoch * work.LocalEpochs;
            double transfer = work.BytesDown / profile.DownlinkBytesPerSecond + work.BytesUp / profile.UplinkBytesPerSecond;
            double Finish(int steps) => transfer + SamplesIn(steps, n, work.BatchSize) / profile.SamplesPerSecond;

            if (heterogeneity.Dropout > 0 && Draw(seed, round, device, SeedPurpose.Dropout) < heterogeneity.Dropout)
            {
                plans.Add(new DevicePlan(device, DeviceOutcome.Dropped, 0, fullSteps, double.PositiveInfinity, "dropped out during the round"));
                continue;
            }
            double finish = Finish(fullSteps);
            if (deadline > 0 && finish > deadline)
            {
                int fit = heterogeneity.KeepPartialWork ? StepsWithin(deadline, fullSteps, Finish) : 0;
                plans.Add(fit > 0
                    ? new DevicePlan(device, DeviceOutcome.Train, fit, fullSteps, Finish(fit))
                    : new DevicePlan(device, DeviceOutcome.Late, 0, fullSteps, finish,
                        $"would finish at {finish:0.#} s, after the {deadline:0.#} s deadline"));
                continue;
            }
            plans.Add(new DevicePlan(device, DeviceOutcome.Train, fullSteps, fullSteps, finish));
        }

        // Over-selection: the server keeps the first k updates to arrive (ties broken by device id).
        var arriving = plans.Where(p => p.Outcome == DeviceOutcome.Train).OrderBy(p => p.FinishSeconds).ThenBy(p => p.Device).ToList();
        bool cut = arriving.Count > devicesPerRound;
        if (cut)
        {
            var surplus = arriving.Skip(devicesPerRound).Select(p => p.Device).ToHashSet();
            for (int i = 0; i < plans.Count; i++)
                if (surplus.Contains(plans[i].Device))
                    plans[i] = plans[i] with { Outcome = DeviceOutcome.Surplus, Steps = 0, Reason = $"over-selected: {devicesPerRound} faster devices finished first" };
        }

        // The server waits for every kept device; for a device that never comes (late or vanished) it waits
        // until the deadline, if there is one (without a deadline it is assumed to learn of a dropout at once).
        double last = plans.Where(p => p.Outcome == DeviceOutcome.Train).Select(p => p.FinishSeconds).DefaultIfEmpty(0).Max();
        bool waitedForMissing = plans.Any(p => p.Outcome is DeviceOutcome.Dropped or DeviceOutcome.Late) && !cut;
        double length = deadline > 0 && waitedForMissing ? deadline : last;
        return new RoundPlan(round, plans, length);
    }

    /// <summary>
    /// The round's sampled devices, sorted: the scenario's sampling kind draws them (fixed size when it names none, see
    /// <see cref="SamplingOptions.Sample"/>), skipping the devices that availability or the trace rule out this round.
    /// </summary>
    public static long[] Sample(int round, ulong seed, long population, int count, HeterogeneitySpec heterogeneity, DeviceTrace trace,
        double roundStartSeconds, SamplingOptions? sampling = null)
    {
        bool everyoneAvailable = heterogeneity.Availability >= 1 && !trace.HasWindows;
        bool Available(long device)
        {
            if (trace.Find(device) is { } entry && !entry.AvailableAt(roundStartSeconds)) return false;
            return heterogeneity.Availability >= 1 || Draw(seed, round, device, SeedPurpose.Availability) < heterogeneity.Availability;
        }
        return (sampling ?? FixedSizeSamplingOptions.Default).Sample(round, seed, population, count, everyoneAvailable ? null : Available);
    }

    /// <summary>Samples processed by the first <paramref name="steps"/> steps over a shard of <paramref name="n"/> (short last batch per epoch).</summary>
    public static long SamplesIn(int steps, int n, int batch)
    {
        if (n == 0 || steps <= 0) return 0;
        int perEpoch = (n + batch - 1) / batch;
        long full = steps / perEpoch, rest = steps % perEpoch;
        return full * n + Math.Min(rest * (long)batch, n);
    }

    /// <summary>The most steps whose finish time fits <paramref name="deadline"/> (finish is monotone in steps).</summary>
    private static int StepsWithin(double deadline, int fullSteps, Func<int, double> finish)
    {
        int lo = 0, hi = fullSteps;
        while (lo < hi)
        {
            int mid = (lo + hi + 1) / 2;
            if (finish(mid) <= deadline) lo = mid; else hi = mid - 1;
        }
        return lo;
    }

    /// <summary>A uniform [0, 1) draw for (device, round, purpose).</summary>
    private static double Draw(ulong seed, int round, long device, SeedPurpose purpose)
        => Seeds.ToUnitInterval(Seeds.Derive(seed, round, device, purpose));
}
