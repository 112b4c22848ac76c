using System.Diagnostics;

namespace FedSim.Privacy.SecureAggregation;

/// <summary>
/// Which clients go silent, and when: each set names clients that stop just before sending that stage's message.
/// A client named in an earlier set never reaches a later one.
/// </summary>
public sealed record SecAggDropouts(
    IReadOnlyCollection<long>? BeforeKeyAdvertisement = null,
    IReadOnlyCollection<long>? BeforeKeySharing = null,
    IReadOnlyCollection<long>? BeforeMaskedInput = null,
    IReadOnlyCollection<long>? BeforeUnmasking = null)
{
    public static SecAggDropouts None { get; } = new();

    internal bool Drops(long client, SecAggStage stage) => (stage switch
    {
        SecAggStage.AdvertiseKeys => BeforeKeyAdvertisement,
        SecAggStage.ShareKeys => BeforeKeySharing,
        SecAggStage.MaskedInputCollection => BeforeMaskedInput,
        SecAggStage.Unmasking => BeforeUnmasking,
        _ => null,
    })?.Contains(client) == true;
}

/// <summary>Sees every message of a simulated round as it crosses between a client and the server.</summary>
public interface ISecAggRoundObserver
{
    void Uplink(long client, object message) { }
    void Downlink(long client, object message) { }
}

/// <summary>A finished simulated round: the server's result and the time each side spent (observers excluded).</summary>
public sealed record SecAggRoundOutcome(SecAggResult Result, TimeSpan ClientTime, TimeSpan ServerTime);

/// <summary>
/// Plays a whole round in one process, every client and the server, passing the same messages the grains will:
/// the protocol's reference flow, and the harness of its tests and of <c>fedsim bench secagg</c>. Not the
/// coordinator: it holds every client's update in order to play the clients. Runs sequentially on the calling
/// thread, so the time measured on each side is that side's alone.
/// </summary>
public static class SecAggRoundSimulator
{
    /// <param name="updateOf">A client's float update; called once, when the client masks it.</param>
    /// <param name="seedOf">A client's seed (Seeds.Derive(experiment, round, client, SeedPurpose.SecureAggregation)).</param>
    /// <param name="clock">Reads the time charged to each side (default: elapsed wall time; a benchmark may pass the thread's CPU time).</param>
    public static SecAggRoundOutcome Run(SecAggParameters parameters, IReadOnlyList<long> clients,
        Func<long, float[]> updateOf, Func<long, ulong> seedOf, SecAggDropouts? dropouts = null, ISecAggRoundObserver? observer = null,
        Func<TimeSpan>? clock = null)
    {
        dropouts ??= SecAggDropouts.None;
        observer ??= new NoObserver();
        if (clock is null)
        {
            var wall = Stopwatch.StartNew();
            clock = () => wall.Elapsed;
        }
        var clientClock = new SideClock(clock);
        var serverClock = new SideClock(clock);
        var server = Timed(serverClock, () => new SecAggServer(parameters));
        var devices = new Dictionary<long, SecAggClient>();
        try
        {
            foreach (long id in clients) devices.Add(id, Timed(clientClock, () => new SecAggClient(parameters, id, seedOf(id))));

            foreach (long id in clients)
            {
                if (dropouts.Drops(id, SecAggStage.AdvertiseKeys)) continue;
                var advertisement = Timed(clientClock, devices[id].AdvertiseKeys);
                observer.Uplink(id, advertisement);
                Timed(serverClock, () => server.Receive(advertisement));
            }
            foreach (var roster in Timed(serverClock, server.CloseKeyAdvertisement))
            {
                observer.Downlink(roster.To, roster);
                if (dropouts.Drops(roster.To, SecAggStage.ShareKeys)) continue;
                var bundle = Timed(clientClock, () => devices[roster.To].ShareKeys(roster));
                observer.Uplink(roster.To, bundle);
                Timed(serverClock, () => server.Receive(bundle));
            }
            foreach (var delivery in Timed(serverClock, server.CloseKeySharing))
            {
                observer.Downlink(delivery.To, delivery);
                if (dropouts.Drops(delivery.To, SecAggStage.MaskedInputCollection)) continue;
                var update = updateOf(delivery.To);
                var masked = Timed(clientClock, () => devices[delivery.To].MaskInput(delivery, update));
                observer.Uplink(delivery.To, masked);
                Timed(serverClock, () => server.Receive(masked));
            }
            foreach (var request in Timed(serverClock, server.CloseMaskedInputCollection))
            {
                observer.Downlink(request.To, request);
                if (dropouts.Drops(request.To, SecAggStage.Unmasking)) continue;
                var response = Timed(clientClock, () => devices[request.To].Unmask(request));
                observer.Uplink(request.To, response);
                Timed(serverClock, () => server.Receive(response));
            }
            var result = Timed(serverClock, server.Finish);
            return new SecAggRoundOutcome(result, clientClock.Total, serverClock.Total);
        }
        finally
        {
            foreach (var device in devices.Values) device.Dispose();
        }
    }

    private static T Timed<T>(SideClock clock, Func<T> work)
    {
        var start = clock.Read();
        try { return work(); }
        finally { clock.Total += clock.Read() - start; }
    }

    /// <summary>The time charged to one side.</summary>
    private sealed class SideClock(Func<TimeSpan> read)
    {
        public TimeSpan Total { get; set; }
        public TimeSpan Read() => read();
    }

    private sealed class NoObserver : ISecAggRoundObserver;
}
