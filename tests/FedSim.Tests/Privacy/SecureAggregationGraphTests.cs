using FedSim.Privacy.SecureAggregation;

namespace FedSim.Tests.Privacy;

public sealed class SecureAggregationGraphTests
{
    private static readonly long[] Clients = Enumerable.Range(0, 50).Select(i => (long)(3 * i + 7)).ToArray();

    [Fact]
    public void Sparse_graph_is_k_regular_symmetric_and_seeded()
    {
        // Execute
        var graph = NeighbourGraph.Build(Clients, 8, seed: 11);
        var again = NeighbourGraph.Build(Clients.Reverse().ToArray(), 8, seed: 11);
        var other = NeighbourGraph.Build(Clients, 8, seed: 12);

        // Assert
        foreach (long u in Clients)
        {
            var neighbours = graph.NeighboursOf(u);
            Assert.Equal(8, neighbours.Distinct().Count());
            Assert.DoesNotContain(u, neighbours);
            Assert.All(neighbours, v => Assert.True(graph.AreNeighbours(v, u), $"{u}–{v} must be an undirected edge"));
            Assert.Equal(neighbours, again.NeighboursOf(u));
        }
        Assert.Contains(Clients, u => !graph.NeighboursOf(u).SequenceEqual(other.NeighboursOf(u)));
    }

    [Fact]
    public void Sparse_graph_is_connected()
    {
        var graph = NeighbourGraph.Build(Clients, 4, seed: 3);
        var reached = new HashSet<long> { Clients[0] };
        var frontier = new Queue<long>(reached);

        while (frontier.TryDequeue(out long u))
            foreach (long v in graph.NeighboursOf(u))
                if (reached.Add(v)) frontier.Enqueue(v);

        Assert.Equal(Clients.Length, reached.Count);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(48)]
    public void Complete_graph_when_k_is_zero_or_reaches_everyone(int k)
    {
        var graph = NeighbourGraph.Build(Clients[..10], k, seed: 1);

        Assert.All(Clients[..10], u => Assert.Equal(9, graph.NeighboursOf(u).Count));
    }

    [Fact]
    public void Parameter_defaults_follow_the_documented_choices()
    {
        var sparse = SecAggParameters.Sparse("s", 10, maxClients: 1_000, clipRange: 1, graphSeed: 1);
        var complete = SecAggParameters.Complete("s", 10, maxClients: 100, clipRange: 1);
        var tiny = SecAggParameters.Sparse("s", 10, maxClients: 6, clipRange: 1, graphSeed: 1);

        Assert.Equal((20, 11), (sparse.NeighbourCount, sparse.Threshold)); // k = 2⌈log₂ 1000⌉, t = majority of k + 1
        Assert.Equal((0, 51), (complete.NeighbourCount, complete.Threshold));
        Assert.Equal((0, 4), (tiny.NeighbourCount, tiny.Threshold)); // k = 2⌈log₂ 6⌉ = 6 ≥ N − 1: the complete graph
    }

    [Theory]
    [InlineData(1, 0, 2, "MaxClients")]
    [InlineData(10, 3, 2, "NeighbourCount")]
    [InlineData(10, 0, 11, "Threshold")]
    [InlineData(10, 4, 6, "Threshold")]
    [InlineData(10, 0, 1, "Threshold")]
    public void Bad_parameters_name_the_field(int maxClients, int k, int threshold, string field)
    {
        var p = new SecAggParameters("s", 10, maxClients, threshold, k, 1.0, QuantizationRounding.Nearest, 0);

        var e = Assert.Throws<ArgumentException>(p.Validate);

        Assert.Equal(field, e.ParamName);
    }
}
