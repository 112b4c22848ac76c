namespace FedSim.Data;

/// <summary>
/// A device's private shard as the compute pool sees it: a view onto the silo's loaded dataset.
/// It lives only inside the silo process (never serialized, never returned by a grain).
/// </summary>
public sealed class ShardView
{
    public ShardView(Dataset source, int[] indices)
    {
        Source = source;
        Indices = indices;
    }

    public Dataset Source { get; }
    public int[] Indices { get; }
    public int Count => Indices.Length;
}
