namespace FedSim.Strategies;

/// <summary>
/// What the server keeps between rounds, typed and named: vectors (optimizer moments "optimizer.m",
/// SCAFFOLD's "scaffold.c") and scalars. Each part that owns state names its entries with its own prefix.
/// The coordinator checkpoints it entry by entry, so a resumed run continues with exactly this state.
/// A vector that is broadcast to devices (<see cref="ClientObjective.Broadcast"/>) is shared with them: replace it,
/// never update it in place.
/// </summary>
public sealed class ServerState
{
    public SortedDictionary<string, float[]> Vectors { get; } = new(StringComparer.Ordinal);

    public SortedDictionary<string, double> Scalars { get; } = new(StringComparer.Ordinal);

    /// <summary>The vector <paramref name="name"/>, created filled with <paramref name="initial"/> on first use.</summary>
    public float[] Vector(string name, int length, float initial = 0f)
    {
        if (Vectors.TryGetValue(name, out var v))
        {
            if (v.Length != length)
                throw new InvalidOperationException($"server state '{name}' has {v.Length} values, expected {length}; the checkpoint belongs to another model");
            return v;
        }
        v = new float[length];
        if (initial != 0f) Array.Fill(v, initial);
        Vectors[name] = v;
        return v;
    }

    public double Scalar(string name, double initial = 0) => Scalars.GetValueOrDefault(name, initial);

    /// <summary>A deep copy (vectors copied), for checkpoints and replays.</summary>
    public ServerState Clone()
    {
        var copy = new ServerState();
        foreach (var (k, v) in Vectors) copy.Vectors[k] = (float[])v.Clone();
        foreach (var (k, v) in Scalars) copy.Scalars[k] = v;
        return copy;
    }
}

/// <summary>
/// A device's own state between the rounds it takes part in (SCAFFOLD's c_i), versioned by the round that
/// wrote it: a device training in round r reads the newest version from before r, so a round replayed
/// after a crash sees the same state as the first attempt.
/// </summary>
[GenerateSerializer]
public sealed class DeviceState
{
    /// <summary>The round whose training produced this state (0: never trained).</summary>
    [Id(0)] public int Round { get; set; }

    [Id(1)] public SortedDictionary<string, float[]> Vectors { get; set; } = new(StringComparer.Ordinal);

    /// <summary>Named numbers (a DP-SGD device's local steps so far).</summary>
    [Id(2)] public SortedDictionary<string, double> Scalars { get; set; } = new(StringComparer.Ordinal);
}
