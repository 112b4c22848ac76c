using FedSim.Attacks.Inference;

namespace FedSim.Attacks.Auditing;

/// <summary>
/// The audit's referee: it knows which records each device trained on and which it held out, draws balanced,
/// seeded audit sets from them, and turns an attack's scores into an <see cref="AuditRecord"/>. Attacks never see
/// it: they get the drawn records without their membership (<see cref="AuditSet.Examples"/>' indices) and the
/// auxiliary records, and return one score per record, higher meaning member.
/// </summary>
public sealed class AuditJudge
{
    private readonly int[][] _training;
    private readonly int[][] _heldOut;

    /// <param name="training">Rows each device trains on.</param>
    /// <param name="heldOut">Rows each device holds out (AuditHoldout): the non-members.</param>
    public AuditJudge(int[][] training, int[][] heldOut)
    {
        ArgumentNullException.ThrowIfNull(training);
        ArgumentNullException.ThrowIfNull(heldOut);
        if (training.Length != heldOut.Length)
            throw new ArgumentException($"audit: {training.Length} devices' training records but {heldOut.Length} devices' held-out records");
        _training = training;
        _heldOut = heldOut;
    }

    public int Devices => _training.Length;

    /// <summary>
    /// A balanced audit set over <paramref name="devices"/>: members from their training records, as many non-members
    /// from their held-out records (so both groups have the same device and label mix), up to
    /// <paramref name="perSide"/> each. With <paramref name="auxiliary"/>, every other held-out record of every device
    /// becomes the attacker's auxiliary data; <paramref name="excludeDevice"/>'s records are left out altogether (a
    /// malicious client knows its own). Null when the devices hold no record on one side.
    /// </summary>
    public AuditSet? Draw(IEnumerable<long> devices, int perSide, bool auxiliary, ulong seed, long excludeDevice = -1)
    {
        var chosen = devices.Where(d => d != excludeDevice).Distinct().Order().ToArray();
        var members = chosen.SelectMany(d => _training[d].Select(r => new AuditCandidate(r, (int)d))).ToList();
        var nonMembers = chosen.SelectMany(d => _heldOut[d].Select(r => new AuditCandidate(r, (int)d))).ToList();
        int side = Math.Min(perSide, Math.Min(members.Count, nonMembers.Count));
        if (side == 0) return null;
        var pool = auxiliary
            ? Enumerable.Range(0, Devices).Where(d => d != excludeDevice).SelectMany(d => _heldOut[d]).Select(r => (long)r).ToList()
            : [];
        int auxiliaryCount = auxiliary ? pool.Count - side : 0; // the audited non-members come out of the pool
        return AuditSet.Draw(members, nonMembers, pool, side, auxiliaryCount, seed);
    }

    /// <summary>Scores the attack's verdicts against the truth: metrics, AUC interval, ε lower bound and the DP bound check.</summary>
    /// <param name="guarantee">The DP guarantee covering this threat model's view at this round; when it has an ε, the bound
    /// TPR ≤ e^ε·FPR + δ is checked at its δ.</param>
    /// <param name="auditDelta">The δ of the empirical ε lower bound where no guarantee applies (<c>audit.delta</c>).</param>
    public static AuditRecord Judge(string attack, string threatModel, int attacker, int round, IReadOnlyList<AuditExample> examples,
        double[] scores, ViewGuarantee guarantee, double auditDelta, long? device = null, string? note = null)
    {
        ArgumentNullException.ThrowIfNull(guarantee);
        double delta = guarantee.Delta ?? auditDelta;
        double? epsilon = guarantee.Epsilon;
        ArgumentNullException.ThrowIfNull(examples);
        ArgumentNullException.ThrowIfNull(scores);
        var isMember = examples.Select(e => e.IsMember).ToArray();
        var roc = RocCurve.From(new AuditScores(scores, isMember));
        var metrics = MembershipMetrics.Of(roc);
        var (lower, upper) = AucInterval.Around(metrics.Auc, metrics.Members, metrics.NonMembers, AuditRecord.AucConfidence);
        DpCheck? dp = null;
        if (epsilon is { } eps && double.IsFinite(eps) && eps >= 0)
        {
            var report = DpBoundAudit.Check(roc, eps, delta);
            dp = new DpCheck(eps, delta, report.Holds, report.PointsChecked, report.Violations.Count, report.PointEstimateExceedances.Count);
        }
        return new AuditRecord(attack, threatModel, attacker, round, metrics, lower, upper, DpBoundAudit.EmpiricalEpsilon(roc, delta), delta, dp,
            device, note, examples.Select(e => (int)e.Index).ToArray(), isMember, examples.Select(e => e.Device).ToArray(), scores, guarantee);
    }
}
