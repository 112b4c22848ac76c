using System.Reflection;
using FedSim.Components;
using FedSim.Determinism;
using FedSim.Strategies;

namespace FedSim.Tests.Strategies.Aggregators;

/// <summary>
/// What every aggregator kind promises (IAggregator's contract), checked for each kind the aggregator family
/// declares, so a new aggregator file is covered without touching this test.
/// </summary>
public sealed class AggregatorContractTests
{
    private const int Dimension = 6;

    public static TheoryData<string> Kinds() => new(ComponentCatalog.FamilyOf(typeof(AggregatorOptions))!.Kinds);

    [Fact]
    public void Aggregator_family_lists_every_kind_in_declared_order()
    {
        var family = ComponentCatalog.FamilyOf(typeof(AggregatorOptions))!;

        // Every options class in the assembly, found independently of the catalog; a new kind needs no edit here.
        var declared = typeof(AggregatorOptions).Assembly.GetTypes()
            .Where(t => !t.IsAbstract && t.IsSubclassOf(typeof(AggregatorOptions)))
            .Select(t => t.GetCustomAttribute<ComponentKindAttribute>() ?? throw new InvalidOperationException($"{t.Name} has no [ComponentKind]"))
            .OrderBy(k => k.Order).ThenBy(k => k.Kind, StringComparer.Ordinal).Select(k => k.Kind);

        Assert.Equal(declared, family.Kinds);
        Assert.Equal("mean", family.Kinds[0]); // the baseline first
        Assert.Subset(family.Kinds.ToHashSet(), new HashSet<string> { "median", "trimmed-mean", "krum", "multi-krum", "bulyan", "norm-bound", "fltrust" });
        foreach (var kind in family.Kinds)
        {
            Assert.Equal(kind, family.Create(kind).Kind);
            Assert.False(string.IsNullOrWhiteSpace(family.Summary(kind)), $"{kind} has no [Description]");
        }
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void Aggregator_does_not_modify_its_inputs(string kind)
    {
        // Prepare: deep copies to compare against afterwards.
        var (results, server) = RandomRound(seed: 1, count: 9);
        var deltasBefore = results.Select(r => (float[])r.Delta.Clone()).ToArray();
        var serverBefore = (float[])server.Clone();

        // Execute
        Create(kind).Aggregate(Input(results, server));

        // Assert
        for (int k = 0; k < results.Length; k++) Assert.Equal(deltasBefore[k], results[k].Delta);
        Assert.Equal(serverBefore, server);
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void Aggregator_gives_the_same_result_for_any_arrival_order_once_sorted_by_device(string kind)
    {
        // Prepare: the coordinator sorts results by device; arrivals in any order must then aggregate identically.
        var (results, server) = RandomRound(seed: 2, count: 9);
        var expected = Create(kind).Aggregate(Input(results, server));

        for (ulong seed = 10; seed < 15; seed++)
        {
            var arrived = Shuffled(results, seed);

            // Execute
            var actual = Create(kind).Aggregate(Input(arrived.OrderBy(r => r.DeviceId).ToArray(), server));

            // Assert: bit for bit, metrics included.
            Assert.Equal(expected.Update, actual.Update);
            Assert.Equal(expected.Used, actual.Used);
            Assert.Equal(expected.Metrics.OrderBy(m => m.Key), actual.Metrics.OrderBy(m => m.Key));
        }
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void Aggregator_is_a_function_of_the_set_of_updates_up_to_rounding(string kind)
    {
        // Prepare: even unsorted, the rule itself must not depend on order (only the summation order may). Exact
        // ties go to the lower device, so this needs a round without ties: random updates, and f = 3 because
        // Bulyan's last Krum pick scores f − 1 neighbours, and with 0 or 1 neighbour scores always tie (two
        // mutually nearest updates share their distance).
        var (results, server) = RandomRound(seed: 3, count: 15);
        var sorted = Create(kind, f: 3).Aggregate(Input(results, server));

        // Execute
        var reversed = Create(kind, f: 3).Aggregate(Input(results.Reverse().ToArray(), server));

        // Assert
        Assert.NotNull(sorted.Update);
        AggregatorTestKit.AssertClose(sorted.Update, reversed.Update, 1e-9);
        Assert.Equal(sorted.Used.Order(), reversed.Used.Order());
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void Aggregator_gives_no_update_when_every_client_failed(string kind)
    {
        var input = new AggregationInput(Context(), [], [new DeviceFailure(3, 1, "timeout")], [1f, 0f]);

        var result = Create(kind).Aggregate(input);

        Assert.Null(result.Update);
        Assert.Empty(result.Used);
    }

    private static IAggregator Create(string kind, int f = 1)
        => ((AggregatorOptions)ComponentCatalog.FamilyOf(typeof(AggregatorOptions))!.Create(kind)).Create(assumedByzantine: f);

    private static RoundContext Context() => new(1, 1, 1000, 11, 0, new ServerState(), AssumedByzantine: 1);

    private static AggregationInput Input(DeviceResult[] results, float[] server) => new(Context(), results, [], server);

    /// <summary>Distinct device ids in ascending order, Gaussian deltas, varied example counts, and a server update.</summary>
    private static (DeviceResult[] Results, float[] Server) RandomRound(ulong seed, int count)
    {
        var rng = new DeterministicRandom(seed);
        long device = 0;
        var results = new DeviceResult[count];
        for (int k = 0; k < count; k++)
        {
            device += 1 + rng.NextInt(50);
            var delta = new float[Dimension];
            for (int i = 0; i < Dimension; i++) delta[i] = (float)(0.5 + rng.NextGaussian());
            results[k] = new DeviceResult(device, delta, 1 + rng.NextInt(100));
        }
        var server = new float[Dimension];
        for (int i = 0; i < Dimension; i++) server[i] = (float)(0.5 + 0.3 * rng.NextGaussian());
        return (results, server);
    }

    private static DeviceResult[] Shuffled(DeviceResult[] results, ulong seed)
    {
        var copy = (DeviceResult[])results.Clone();
        new DeterministicRandom(seed).Shuffle<DeviceResult>(copy);
        return copy;
    }
}
