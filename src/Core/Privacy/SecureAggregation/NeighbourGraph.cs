using FedSim.Determinism;

namespace FedSim.Privacy.SecureAggregation;

/// <summary>
/// Who masks with whom. Complete: everyone with everyone (Bonawitz et al. 2017). Sparse (SecAgg+, Bell et al.
/// 2020): the Harary graph H(k, n), in which the node at position i is joined to positions i ± 1, …, i ± k/2
/// (mod n), with clients placed on positions by a seeded random permutation. That graph is k-regular and
/// k-connected, and the random placement is what keeps the server from choosing who neighbours whom.
/// </summary>
public sealed class NeighbourGraph
{
    private readonly Dictionary<long, long[]> _neighbours;

    private NeighbourGraph(Dictionary<long, long[]> neighbours) => _neighbours = neighbours;

    /// <summary>The graph over the clients that advertised keys (U1): complete when k = 0 or k ≥ n − 1.</summary>
    public static NeighbourGraph Build(IReadOnlyCollection<long> clients, int neighbourCount, ulong seed)
    {
        var ids = clients.Order().ToArray();
        if (ids.Distinct().Count() != ids.Length) throw new ArgumentException("client ids must be distinct", nameof(clients));
        if (neighbourCount < 0 || neighbourCount % 2 != 0)
            throw new ArgumentOutOfRangeException(nameof(neighbourCount), neighbourCount, "k must be 0 (complete) or even");
        int n = ids.Length;
        var neighbours = new Dictionary<long, long[]>(n);
        if (neighbourCount == 0 || neighbourCount >= n - 1)
        {
            foreach (long id in ids) neighbours[id] = ids.Where(v => v != id).ToArray();
            return new NeighbourGraph(neighbours);
        }
        var placed = new DeterministicRandom(seed).Permutation(n).Select(p => ids[p]).ToArray();
        int half = neighbourCount / 2;
        for (int position = 0; position < n; position++)
        {
            var adjacent = new long[neighbourCount];
            for (int d = 1; d <= half; d++)
            {
                adjacent[2 * (d - 1)] = placed[(position + d) % n];
                adjacent[2 * (d - 1) + 1] = placed[(position - d + n) % n];
            }
            Array.Sort(adjacent);
            neighbours[placed[position]] = adjacent;
        }
        return new NeighbourGraph(neighbours);
    }

    public IEnumerable<long> Clients => _neighbours.Keys;

    /// <summary>A client's neighbours, ascending.</summary>
    public IReadOnlyList<long> NeighboursOf(long client)
        => _neighbours.TryGetValue(client, out var n) ? n : throw new ArgumentException($"client {client} is not in the graph", nameof(client));

    public bool AreNeighbours(long u, long v) => Array.BinarySearch(_neighbours[u], v) >= 0;
}
