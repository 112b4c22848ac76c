namespace FedSim.Attacks.Inference;

/// <summary>
/// One attack's verdicts on an audit set: a score per audited example, where a HIGHER score means
/// "more likely a member", and the ground truth, where <c>true</c> means member. The member class is
/// the positive class everywhere in FedSim (ROC, AUC, TPR, the DP bound check); an attack whose natural
/// statistic points the other way (a loss) negates it before it gets here, so an AUC below 0.5 always
/// means the attack is worse than chance, never that someone mixed up the classes.
/// </summary>
public sealed record AuditScores
{
    public AuditScores(double[] scores, bool[] isMember)
    {
        ArgumentNullException.ThrowIfNull(scores);
        ArgumentNullException.ThrowIfNull(isMember);
        if (scores.Length != isMember.Length)
            throw new ArgumentException(
                $"audit scores: {scores.Length} scores but {isMember.Length} membership labels; give one label per score", nameof(isMember));
        for (int i = 0; i < scores.Length; i++)
            if (double.IsNaN(scores[i]))
                throw new ArgumentException(
                    $"audit scores: score {i} is NaN; an attack must give every audited example a number (±∞ is allowed)", nameof(scores));
        int members = isMember.Count(m => m);
        if (members == 0 || members == isMember.Length)
            throw new ArgumentException(
                $"audit scores: {members} members and {isMember.Length - members} non-members; an audit needs at least one of each", nameof(isMember));
        Scores = scores;
        IsMember = isMember;
        Members = members;
        NonMembers = isMember.Length - members;
    }

    /// <summary>Higher = more likely a member.</summary>
    public double[] Scores { get; }

    /// <summary>Ground truth: true for a member (the positive class).</summary>
    public bool[] IsMember { get; }

    public int Count => Scores.Length;
    public int Members { get; }
    public int NonMembers { get; }

    /// <summary>Builds the audit from the members' and the non-members' scores.</summary>
    public static AuditScores FromGroups(IReadOnlyList<double> memberScores, IReadOnlyList<double> nonMemberScores)
    {
        var scores = new double[memberScores.Count + nonMemberScores.Count];
        var labels = new bool[scores.Length];
        for (int i = 0; i < memberScores.Count; i++) { scores[i] = memberScores[i]; labels[i] = true; }
        for (int i = 0; i < nonMemberScores.Count; i++) scores[memberScores.Count + i] = nonMemberScores[i];
        return new AuditScores(scores, labels);
    }
}
