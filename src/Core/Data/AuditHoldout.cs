using FedSim.Determinism;

namespace FedSim.Data;

/// <summary>
/// Splits every device's records into the part it trains on and a held-out part, for membership-inference audits.
/// Each record is held out by its own seeded coin with the same probability on every device, independently of its
/// label, its device and every other record, so for any partition (IID, label skew, natural writers) held-out
/// records are distributed exactly as training records are: a record's membership is the only thing the split
/// decides. Members of an audit are then drawn from devices' training records and non-members from the same
/// devices' held-out records. The one exception keeps every device trainable: a device whose coins would hold out
/// all of its records keeps the one with the lowest coin, which Statistics report.
/// </summary>
public static class AuditHoldout
{
    /// <param name="partition">Training-split rows per device (disjoint).</param>
    /// <param name="fraction">Probability that a record is held out, in (0, 1).</param>
    /// <param name="seed">Seeds.Derive(experiment, None, None, AuditHoldout).</param>
    /// <returns>Rows each device trains on and rows held out, both in the partition's order.</returns>
    public static (int[][] Training, int[][] HeldOut) Split(int[][] partition, double fraction, ulong seed)
    {
        ArgumentNullException.ThrowIfNull(partition);
        if (!(fraction > 0 && fraction < 1))
            throw new ArgumentOutOfRangeException(nameof(fraction), fraction, "audit.holdout must lie strictly between 0 and 1");
        var training = new int[partition.Length][];
        var heldOut = new int[partition.Length][];
        for (int d = 0; d < partition.Length; d++)
        {
            var rows = partition[d];
            var keep = new List<int>(rows.Length);
            var hold = new List<int>(rows.Length);
            foreach (int row in rows) (Coin(seed, row) < fraction ? hold : keep).Add(row);
            if (keep.Count == 0 && rows.Length > 0)
            {
                int kept = rows.MinBy(r => Coin(seed, r));
                keep.Add(kept);
                hold.Remove(kept);
            }
            training[d] = [.. keep];
            heldOut[d] = [.. hold];
        }
        return (training, heldOut);
    }

    /// <summary>The record's uniform draw in [0, 1): a hash of (seed, row), so it depends on nothing else.</summary>
    public static double Coin(ulong seed, int row) => Seeds.ToUnitInterval(Seeds.AuditHoldoutRow(seed, row));
}
