using FedSim.GrainInterfaces;
using FedSim.Determinism;
using FedSim.Devices;
using FedSim.Privacy.SecureAggregation;
using FedSim.Rounds;
using FedSim.Strategies;
using FedSim.Composition;

namespace FedSim.Coordination;

/// <summary>
/// The coordinator's side of secure aggregation (Bonawitz et al. 2017): it runs <see cref="SecAggServer"/> and relays
/// every message between devices, as the paper's server does. It receives public keys, encrypted shares, masked
/// vectors (added into one running sum as they arrive) and revealed shares, and learns the sum: never an individual
/// update. Stage 0 (keys) arrives with each device's training statistics; stages 1 to 3 run when every device has
/// answered, as request and response calls (a device that has vanished answers null, standing in for the stage's
/// timeout). Too few devices left at any stage: the round fails, keeps the model, and says why in failures.csv.
/// </summary>
public sealed partial class ExperimentGrain
{
    /// <summary>One round's protocol state on the coordinator.</summary>
    private sealed class SecureRoundState(SecAggServer server, SecAggParameters parameters, SecAggEncoding encoding, Dictionary<long, SecureAggregationRole> roles)
    {
        public SecAggServer Server { get; } = server;
        public SecAggParameters Parameters { get; } = parameters;
        public SecAggEncoding Encoding { get; } = encoding;
        public Dictionary<long, SecureAggregationRole> Roles { get; } = roles;
        public long UpBytes { get; set; }
        public long DownBytes { get; set; }
        public List<RoundMetric> Metrics { get; } = [];

        public SecureAggregationRole? RoleOf(long device) => Roles.GetValueOrDefault(device);

        /// <summary>
        /// The protocol's metrics (the same columns every round); <paramref name="aborted"/> counts a round that could
        /// not even start. No timing: metrics.csv holds what the seed decides, and the server's time is part of the
        /// round's wall_seconds (`fedsim bench secagg` measures it apart). <paramref name="clipped"/> is the quantizer's
        /// count of clipped coordinates, summed inside the mask over the contributors (null when no sum was revealed).
        /// </summary>
        public static List<RoundMetric> MetricsOf(int contributors, int dropped, bool aborted, long? clipped) =>
        [
            new("secagg_contributors", contributors),
            new("secagg_dropped", dropped),
            new("secagg_aborted", aborted ? 1 : 0),
            new("secagg_clipped_coordinates", clipped),
        ];
    }

    /// <summary>
    /// Decides who takes part in the round's protocol (the devices that train, and the dropped devices that vanish
    /// only after advertising their keys, which must train too) and builds their roles. Returns the devices to assign.
    /// </summary>
    private List<DevicePlan> PrepareSecureRound(InFlightRound round, ExperimentSetup setup, List<DevicePlan> training)
    {
        var scenario = setup.Scenario;
        var vanishing = VanishingAfterKeys(round, scenario.Seed);
        var assigned = training.Concat(round.Plan.Devices.Where(d => vanishing.ContainsKey(d.Device)).Select(d => d with { Steps = d.FullSteps }))
            .OrderBy(d => d.Device).ToList();
        if (assigned.Count == 0) return assigned;

        double clipNorm = scenario.Privacy.Central is { } central ? PrivacyState.ClipNormOf(round.ServerState, central.Clipping) : 0;
        var encoding = SecureAggregationRound.Encoding(scenario.Privacy, setup.Parameters, clipNorm);
        SecAggParameters parameters;
        try
        {
            // Each attempt at a round is a session of its own: a revived coordinator replays the round, and a device may
            // still hold the dead attempt's session, or deliver its keys late. The masks cancel in the sum whatever
            // the session, so the attempt token changes no number.
            string session = $"{this.GetPrimaryKeyString()}/{round.Number}/{Guid.NewGuid():N}";
            parameters = SecureAggregationRound.Parameters(scenario.Privacy.SecureAggregation!, session, encoding,
                assigned.Count, Seeds.Derive(scenario.Seed, round.Number, Seeds.None, SeedPurpose.SecureAggregation));
        }
        catch (ArgumentException e)
        {
            // A Poisson cohort can be too small for the protocol; nobody trains for nothing.
            foreach (var d in assigned.Where(d => !vanishing.ContainsKey(d.Device)))
                round.Failures.Add(new DeviceFailure(d.Device, round.Number, $"secure aggregation cannot run with {assigned.Count} device(s) this round ({e.Message}); the round keeps the model"));
            round.Pending.Clear();
            round.SecureCannotRun = true;
            return [];
        }
        StartSecureRound(round, setup, assigned, vanishing, parameters, encoding, clipNorm);
        return assigned;
    }

    /// <summary>The dropped devices that vanish only after advertising their keys, with the stage at which each vanishes.</summary>
    private static Dictionary<long, SecAggStage> VanishingAfterKeys(InFlightRound round, ulong experimentSeed) =>
        round.Plan.Devices
            .Where(d => d.Outcome == DeviceOutcome.Dropped)
            .Select(d => (Plan: d, Stage: SecureAggregationRound.VanishingStage(experimentSeed, round.Number, d.Device)))
            .Where(d => d.Stage != SecAggStage.AdvertiseKeys)
            .ToDictionary(d => d.Plan.Device, d => d.Stage);

    /// <summary>The protocol's server and every participant's role; the participants are awaited from here on.</summary>
    private static void StartSecureRound(InFlightRound round, ExperimentSetup setup, List<DevicePlan> assigned, Dictionary<long, SecAggStage> vanishing,
        SecAggParameters parameters, SecAggEncoding encoding, double clipNorm)
    {
        double weightScale = 1.0 / Math.Max(1, setup.Data.Partition.Max(p => p.Length));
        var roles = assigned.ToDictionary(d => d.Device, d => new SecureAggregationRole(parameters, encoding, weightScale, clipNorm,
            vanishing.TryGetValue(d.Device, out var stage) ? stage : null));
        round.Secure = new SecureRoundState(new SecAggServer(parameters), parameters, encoding, roles);
        foreach (var d in assigned) round.Pending.Add(d.Device);
        // The dropout model's failure lines say at which stage each device vanished.
        for (int i = 0; i < round.Failures.Count; i++)
            if (vanishing.TryGetValue(round.Failures[i].DeviceId, out var at))
                round.Failures[i] = round.Failures[i] with { Reason = $"dropped out during the round (before secure aggregation's {Describe(at)})" };
    }

    public Task SubmitKeysAsync(DeviceUpdate statistics, SecAggKeyAdvertisement keys, string sessionId)
    {
        var round = _round;
        if (round is not { Secure: { } secure } || round.Completing || statistics.Round != round.Number
            || sessionId != secure.Parameters.SessionId || !round.Pending.Remove(statistics.DeviceId))
            return Task.CompletedTask; // stale: from a replayed or timed-out round, or from this round's attempt before a revival
        if (keys.ClientId != statistics.DeviceId) throw new ArgumentException($"device {statistics.DeviceId} advertised keys for client {keys.ClientId}");
        secure.Server.Receive(keys);
        secure.UpBytes += SecAggTraffic.Bytes(keys);
        round.Updates.Add(statistics);
        if (round.Pending.Count == 0) ScheduleCompletion(round);
        return Task.CompletedTask;
    }

    /// <summary>Stages 1 to 3 and the unmasking; null when nobody advertised keys or the protocol aborted (failures say why).</summary>
    private async Task<SecureSum?> RunSecureAggregationAsync(InFlightRound round, SecureRoundState secure)
    {
        var server = secure.Server;
        string id = this.GetPrimaryKeyString();
        IDeviceGrain Device(long device) => GrainFactory.GetGrain<IDeviceGrain>(new DeviceKey(id, device).ToString());
        var advertised = round.Updates.Select(u => u.DeviceId).ToHashSet();
        SecAggResult? result = null;
        string? aborted = null;
        if (advertised.Count > 0)
        {
            try
            {
                var rosters = await Task.Run(server.CloseKeyAdvertisement);
                foreach (var bundle in await Relay(rosters, r => r.To, (d, r) => Device(d).ShareKeysAsync(round.Number, r), SecAggTraffic.Bytes, secure))
                    if (bundle is not null) { server.Receive(bundle); secure.UpBytes += SecAggTraffic.Bytes(bundle); }
                var deliveries = await Task.Run(server.CloseKeySharing);
                var masked = await Relay(deliveries, r => r.To, (d, r) => Device(d).MaskInputAsync(round.Number, r), SecAggTraffic.Bytes, secure);
                await Task.Run(() =>
                {
                    foreach (var input in masked)
                        if (input is not null) { server.Receive(input); secure.UpBytes += SecAggTraffic.Bytes(input); }
                });
                var requests = await Task.Run(server.CloseMaskedInputCollection);
                foreach (var response in await Relay(requests, r => r.To, (d, r) => Device(d).UnmaskAsync(round.Number, r), SecAggTraffic.Bytes, secure))
                    if (response is not null) { server.Receive(response); secure.UpBytes += SecAggTraffic.Bytes(response); }
                result = await Task.Run(server.Finish);
            }
            catch (SecureAggregationAbortedException e)
            {
                aborted = e.Message;
                foreach (long device in advertised.Order())
                    round.Failures.Add(new DeviceFailure(device, round.Number, $"{e.Message}; the round keeps the model"));
                // Devices still holding the round's secrets let them go.
                await Task.WhenAll(advertised.Select(d => Silently(() => Device(d).UnmaskAsync(round.Number, new SecAggUnmaskRequest(d, [])))));
            }
        }
        secure.Metrics.AddRange(SecureRoundState.MetricsOf(result?.Contributors.Length ?? 0, result?.Dropped.Length ?? advertised.Count,
            aborted is not null, result is null ? null : secure.Encoding.ClippedOf(result.Sum)));
        return result is null ? null : new SecureSum(result.Sum, result.Contributors, secure.Encoding);
    }

    /// <summary>Sends each device its message and collects the answers (null for a device that stayed silent or failed).</summary>
    private static async Task<T?[]> Relay<TDown, T>(IReadOnlyList<TDown> messages, Func<TDown, long> to, Func<long, TDown, Task<T?>> send,
        Func<TDown, long> bytes, SecureRoundState secure) where T : class
    {
        secure.DownBytes += messages.Sum(bytes);
        return await Task.WhenAll(messages.Select(m => Silently(() => send(to(m), m))));
    }

    /// <summary>A device call whose failure (a lost activation, a timeout) counts as the device going silent.</summary>
    private static async Task<T?> Silently<T>(Func<Task<T?>> call) where T : class
    {
        try { return await call(); }
        catch (Exception e) when (e is not OutOfMemoryException) { return null; }
    }

    private static string Describe(SecAggStage stage) => stage switch
    {
        SecAggStage.ShareKeys => "key sharing (after advertising its keys)",
        SecAggStage.MaskedInputCollection => "masked input (after sharing its keys)",
        SecAggStage.Unmasking => "unmasking (after sending its masked input, which stays in the sum)",
        _ => stage.ToString(),
    };
}
