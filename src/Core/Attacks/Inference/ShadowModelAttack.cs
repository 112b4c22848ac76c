namespace FedSim.Attacks.Inference;

/// <summary>
/// One shadow model's outputs on records whose membership the attacker knows: the records it trained on
/// (<see cref="IsMember"/> true) and records it did not.
/// </summary>
public sealed record ShadowModelOutputs(ModelOutputs Outputs, bool[] IsMember);

/// <summary>Options of the shadow-model attack.</summary>
/// <param name="TopK">How many of the largest probabilities form the features (null: all classes).</param>
/// <param name="PerClass">One attack classifier per true label, as Shokri et al. train them.</param>
/// <param name="L2">Ridge penalty of the logistic regressions.</param>
/// <param name="MinimumPerSide">Members and non-members a class needs for its own classifier; below it the class uses the pooled one.</param>
public sealed record ShadowAttackOptions(int? TopK = null, bool PerClass = true, double L2 = 1e-3, int MinimumPerSide = 10);

/// <summary>
/// Shadow models with an attack classifier (Shokri, Stronati, Song and Shmatikov 2017, "Membership inference
/// attacks against machine learning models"): the attacker trains shadow models that imitate the target on
/// data it owns, labels each shadow's outputs member / non-member, and learns to tell them apart. Here the
/// attack classifier is a logistic regression (<see cref="LogisticRegression"/>) on the output probability
/// vector sorted in decreasing order (so features mean "top-1, top-2, …" whatever the class, as in Salem et
/// al. 2019), one classifier per true label by default, members and non-members weighted to equal total
/// weight. Newton's method from zero: training draws no random numbers, so it is deterministic as it stands.
/// Score = the classifier's log-odds of "member".
/// </summary>
public sealed class ShadowModelAttack
{
    private readonly LogisticRegression _pooled;
    private readonly Dictionary<int, LogisticRegression> _perClass;
    private readonly int _topK;

    private ShadowModelAttack(LogisticRegression pooled, Dictionary<int, LogisticRegression> perClass, int topK, int classes)
    {
        _pooled = pooled;
        _perClass = perClass;
        _topK = topK;
        Classes = classes;
    }

    public int Classes { get; }

    /// <summary>Labels with their own classifier; the others use the pooled one.</summary>
    public IReadOnlyCollection<int> ClassesWithOwnClassifier => _perClass.Keys;

    public static ShadowModelAttack Train(IReadOnlyList<ShadowModelOutputs> shadows, ShadowAttackOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(shadows);
        options ??= new ShadowAttackOptions();
        if (shadows.Count == 0) throw new ArgumentException("shadow-model attack: no shadow model outputs to learn from");
        int classes = shadows[0].Outputs.Classes;
        int topK = options.TopK ?? classes;
        if (topK < 1 || topK > classes) throw new ArgumentOutOfRangeException(nameof(options), $"shadow-model attack: top-k {topK} must lie in 1..{classes}");

        var rows = new List<double[]>();
        var labels = new List<bool>();
        var classOf = new List<int>();
        for (int s = 0; s < shadows.Count; s++)
        {
            var (outputs, isMember) = shadows[s];
            if (outputs.Classes != classes)
                throw new ArgumentException($"shadow-model attack: shadow {s} has {outputs.Classes} classes, shadow 0 has {classes}");
            if (isMember.Length != outputs.Count)
                throw new ArgumentException($"shadow-model attack: shadow {s} has {outputs.Count} outputs but {isMember.Length} membership flags");
            for (int i = 0; i < outputs.Count; i++)
            {
                rows.Add(Features(outputs, i, topK));
                labels.Add(isMember[i]);
                classOf.Add(outputs.Label(i));
            }
        }

        var all = Enumerable.Range(0, rows.Count).ToList();
        var pooled = FitBalanced(rows, labels, all, options.L2, "all classes");
        var perClass = new Dictionary<int, LogisticRegression>();
        if (options.PerClass)
        {
            foreach (var group in all.GroupBy(i => classOf[i]).OrderBy(g => g.Key))
            {
                var idx = group.ToList();
                int members = idx.Count(i => labels[i]);
                if (members >= options.MinimumPerSide && idx.Count - members >= options.MinimumPerSide)
                    perClass[group.Key] = FitBalanced(rows, labels, idx, options.L2, $"class {group.Key}");
            }
        }
        return new ShadowModelAttack(pooled, perClass, topK, classes);
    }

    /// <summary>Log-odds of membership for each of the target model's outputs.</summary>
    public double[] Scores(ModelOutputs target)
    {
        ArgumentNullException.ThrowIfNull(target);
        if (target.Classes != Classes)
            throw new ArgumentException($"shadow-model attack: the target has {target.Classes} classes, the shadows had {Classes}");
        var scores = new double[target.Count];
        for (int i = 0; i < scores.Length; i++)
        {
            var model = _perClass.GetValueOrDefault(target.Label(i), _pooled);
            scores[i] = model.LogOdds(Features(target, i, _topK));
        }
        return scores;
    }

    private static double[] Features(ModelOutputs outputs, int example, int topK)
    {
        var p = outputs.Probabilities(example);
        Array.Sort(p);
        Array.Reverse(p);
        return p[..topK];
    }

    private static LogisticRegression FitBalanced(List<double[]> rows, List<bool> labels, List<int> idx, double l2, string what)
    {
        int members = idx.Count(i => labels[i]);
        int nonMembers = idx.Count - members;
        if (members == 0 || nonMembers == 0)
            throw new ArgumentException($"shadow-model attack ({what}): {members} member and {nonMembers} non-member outputs; the shadows need both");
        // Equal total weight per side, so an unbalanced shadow set does not just learn the base rate.
        var weights = idx.Select(i => labels[i] ? 0.5 / members : 0.5 / nonMembers).ToList();
        return LogisticRegression.Fit(idx.Select(i => rows[i]).ToList(), idx.Select(i => labels[i]).ToList(), weights, l2);
    }
}
