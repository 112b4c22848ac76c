using FedSim.Determinism;
using FedSim.Privacy.SecureAggregation;

namespace FedSim.Tests.Privacy;

/// <summary>A cohort for protocol tests: scattered ids, seeded updates and seeds, and the sum the protocol must produce.</summary>
internal static class SecureAggregationTestRound
{
    public const ulong Experiment = 77;

    /// <summary>Ids that are neither contiguous nor sorted, so nothing depends on either.</summary>
    public static long[] Cohort(int n) => Enumerable.Range(0, n).Select(i => (long)((i * 37 + 11) % 997)).Reverse().ToArray();

    /// <summary>Coordinates in [−1.2, 1.2]: some lie beyond a clipping range of 1.</summary>
    public static float[] UpdateOf(long client, int length)
    {
        var random = new DeterministicRandom(Seeds.Derive(Experiment, 1, client, SeedPurpose.LocalTraining));
        return Enumerable.Range(0, length).Select(_ => (float)(2.4 * random.NextDouble() - 1.2)).ToArray();
    }

    public static ulong SeedOf(long client) => Seeds.Derive(Experiment, 1, client, SeedPurpose.SecureAggregation);

    /// <summary>The client's input as it masks it: clipped, scaled, rounded with its own seed.</summary>
    public static uint[] QuantizedInputOf(SecAggParameters parameters, long client)
    {
        using var c = new SecAggClient(parameters, client, SeedOf(client));
        return c.Quantize(UpdateOf(client, parameters.VectorLength)).Values;
    }

    /// <summary>Σ of the contributors' quantized inputs mod 2^32: what the protocol must return, exactly.</summary>
    public static uint[] PlainQuantizedSum(SecAggParameters parameters, IEnumerable<long> contributors)
    {
        var sum = new uint[parameters.VectorLength];
        foreach (long u in contributors) ModularVector.AddInPlace(sum, QuantizedInputOf(parameters, u));
        return sum;
    }

    public static SecAggRoundOutcome Run(SecAggParameters parameters, long[] cohort, SecAggDropouts? dropouts = null, ISecAggRoundObserver? observer = null)
        => SecAggRoundSimulator.Run(parameters, cohort, id => UpdateOf(id, parameters.VectorLength), SeedOf, dropouts, observer);

    /// <summary>Records every message the server received and every message it sent.</summary>
    public sealed class Recorder : ISecAggRoundObserver
    {
        public List<(long Client, object Message)> Up { get; } = [];
        public List<(long Client, object Message)> Down { get; } = [];
        public void Uplink(long client, object message) => Up.Add((client, message));
        public void Downlink(long client, object message) => Down.Add((client, message));
    }
}
