using FedSim.GrainInterfaces;
using FedSim.Determinism;
using FedSim.Privacy.Mechanisms;
using FedSim.Privacy.SecureAggregation;
using Microsoft.Extensions.Logging;

namespace FedSim.Devices;

/// <summary>
/// The device's side of secure aggregation (Bonawitz et al. 2017): after training it encodes its update (clipped
/// under DP-FedAvg, weighted for FedAvg), keeps it in this activation with its <see cref="SecAggClient"/>, advertises
/// its keys, and then answers the coordinator's three protocol calls. The coordinator relays every message between
/// devices, as the paper's server does, so devices never call each other. The unmasked update never leaves here.
/// </summary>
public sealed partial class DeviceGrain
{
    private SecureRound? _secureRound;

    /// <summary>One round's protocol session: the client state machine, its advertised keys and the vector it will mask.</summary>
    private sealed record SecureRound(int Round, SecureAggregationRole Role, SecAggClient Client, SecAggKeyAdvertisement Keys, float[] Vector)
    {
        public string SessionId => Role.Parameters.SessionId;
    }

    private async Task JoinSecureAggregationAsync(RoundAssignment a, SecureAggregationRole role, DeviceUpdate trained, bool honest,
        IExperimentGrain experiment)
    {
        var vector = Encode(role, trained, honest);
        do
        {
            // A coordinator revived mid-round replays it as a new protocol session, and may have repeated the assignment
            // while this activation trained: the keys go to the newest session. A session still open here for another
            // attempt belongs to a dead coordinator; this activation stays to hold the new session's secrets.
            var current = _repeated?.SecureAggregation ?? role;
            _repeated = null;
            if (_secureRound is not { } open || open.SessionId != current.Parameters.SessionId)
            {
                DisposeSecureRound();
                ulong seed = Seeds.Derive(a.Scenario.Seed, a.Round, DeviceIndex, SeedPurpose.SecureAggregation);
                var client = new SecAggClient(current.Parameters, DeviceIndex, seed, SecretRandomness.ForSession(a.Scenario.Privacy.SecureAggregation is { DeterministicSecrets: true }, seed, current.Parameters.SessionId));
                _secureRound = new SecureRound(a.Round, current, client, client.AdvertiseKeys(), vector);
            }
            var session = _secureRound;
            var statistics = trained with { Delta = [], Extras = null, BytesUp = SecAggTraffic.Bytes(session.Keys) };
            await DeliverAsync(() => experiment.SubmitKeysAsync(statistics, session.Keys, session.SessionId));
        }
        while (_repeated is not null);
    }

    /// <summary>
    /// The vector this device masks. Under DP-FedAvg an honest device clips to S minus the largest rounding the
    /// quantizer can add (√P·Δ/2, or √P·Δ for stochastic rounding), so even the quantized update has norm at most S,
    /// and reports whether it fitted under S (adaptive clipping). A malicious device skips clipping: the server
    /// cannot enforce it under secure aggregation, only the quantizer's clip range bounds it.
    /// </summary>
    private float[] Encode(SecureAggregationRole role, DeviceUpdate trained, bool honest)
    {
        var encoding = role.Encoding;
        var delta = trained.Delta;
        if (Array.FindIndex(delta, v => !float.IsFinite(v)) is var bad and >= 0)
            throw new ArgumentException($"update has a non-finite value at index {bad}; rejected before secure aggregation (a diverged update cannot be quantized)");
        bool unclipped = true;
        if (role.ClipNorm > 0 && honest)
        {
            var quantizer = role.Parameters.Quantizer;
            double rounding = Math.Sqrt(delta.Length) * quantizer.RoundTripErrorBound;
            double norm = L2Clipping.Norm(delta);
            unclipped = norm <= role.ClipNorm;
            delta = L2Clipping.Clip(delta, Math.Max(role.ClipNorm - rounding, role.ClipNorm / 2)).Values;
        }
        double weight = Math.Min(1.0, trained.Examples * role.WeightScale);
        return encoding.Encode(delta, weight, unclipped);
    }

    public Task<SecAggShareBundle?> ShareKeysAsync(int round, SecAggKeyRoster roster)
        => Task.FromResult(Step(round, SecAggStage.ShareKeys, s => s.Client.ShareKeys(roster)));

    public Task<SecAggMaskedInput?> MaskInputAsync(int round, SecAggShareDelivery delivery)
        => Task.FromResult(Step(round, SecAggStage.MaskedInputCollection, s => s.Client.MaskInput(delivery, s.Vector)));

    public Task<SecAggUnmaskResponse?> UnmaskAsync(int round, SecAggUnmaskRequest request)
    {
        try { return Task.FromResult(Step(round, SecAggStage.Unmasking, s => s.Client.Unmask(request))); }
        finally { if (_secureRound?.Round == round) EndSecureRound(); } // the device's part ends here, answered or not
    }

    /// <summary>Runs one stage, or stays silent: no round in progress, another round's call, the dropout model's stage, or a refusal.</summary>
    private T? Step<T>(int round, SecAggStage stage, Func<SecureRound, T> run) where T : class
    {
        if (_secureRound is not { } session || session.Round != round) return null;
        if (session.Role.VanishesBefore is { } vanishes && vanishes <= stage)
        {
            EndSecureRound();
            return null;
        }
        try
        {
            return run(session);
        }
        catch (SecureAggregationAbortedException e)
        {
            // Too few of its share holders are left: answering could let the server unmask a small group.
            LogSecureAggregationRefused(logger, DeviceIndex, round, e.Message);
            EndSecureRound();
            return null;
        }
    }

    private void EndSecureRound()
    {
        if (_secureRound is null) return;
        DisposeSecureRound();
        if (_inFlight == 0) DeactivateOnIdle(); // not under a training in flight (see TrainAndReportAsync)
    }

    private void DisposeSecureRound()
    {
        _secureRound?.Client.Dispose();
        _secureRound = null;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Device {Device} left secure aggregation in round {Round}: {Reason}")]
    private static partial void LogSecureAggregationRefused(ILogger logger, long device, int round, string reason);
}
