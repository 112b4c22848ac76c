using FedSim.Attacks.Inference;

namespace FedSim.Tests.Attacks.Inference;

public sealed class RocCurveTests
{
    private static AuditScores Audit(int[] labels, double[] scores) => new(scores, labels.Select(l => l == 1).ToArray());

    [Fact]
    public void Roc_curve_matches_the_sklearn_roc_curve_docstring_example()
    {
        // Prepare: scikit-learn, sklearn/metrics/_ranking.py, roc_curve docstring Examples:
        // y = [1, 1, 2, 2], scores = [0.1, 0.4, 0.35, 0.8], pos_label=2 →
        // fpr [0, 0, 0.5, 0.5, 1], tpr [0, 0.5, 0.5, 1, 1], thresholds [inf, 0.8, 0.4, 0.35, 0.1];
        // and the auc docstring on the same data: 0.75.
        var audit = Audit([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]);

        // Execute
        var roc = RocCurve.From(audit);

        // Assert
        Assert.Equal([0, 0, 0.5, 0.5, 1], roc.Fpr);
        Assert.Equal([0, 0.5, 0.5, 1, 1], roc.Tpr);
        Assert.Equal([double.PositiveInfinity, 0.8, 0.4, 0.35, 0.1], roc.Thresholds);
        Assert.Equal(0.75, roc.Auc(), 15);
    }

    [Theory]
    // scikit-learn, sklearn/metrics/tests/test_ranking.py::test_roc_curve_toydata (binary cases):
    // y_true, y_score → fpr, tpr, roc_auc_score. (That test unpacks roc_curve's (fpr, tpr, thresholds) into
    // variables named "tpr, fpr"; the arrays below are in roc_curve's own order.)
    [InlineData(new[] { 0, 1 }, new[] { 0.0, 1.0 }, new[] { 0.0, 0.0, 1.0 }, new[] { 0.0, 1.0, 1.0 }, 1.0)]
    [InlineData(new[] { 0, 1 }, new[] { 1.0, 0.0 }, new[] { 0.0, 1.0, 1.0 }, new[] { 0.0, 0.0, 1.0 }, 0.0)]
    [InlineData(new[] { 1, 0 }, new[] { 1.0, 1.0 }, new[] { 0.0, 1.0 }, new[] { 0.0, 1.0 }, 0.5)]
    [InlineData(new[] { 1, 0 }, new[] { 1.0, 0.0 }, new[] { 0.0, 0.0, 1.0 }, new[] { 0.0, 1.0, 1.0 }, 1.0)]
    [InlineData(new[] { 1, 0 }, new[] { 0.5, 0.5 }, new[] { 0.0, 1.0 }, new[] { 0.0, 1.0 }, 0.5)]
    public void Roc_curve_matches_the_sklearn_toy_cases(int[] labels, double[] scores, double[] fpr, double[] tpr, double auc)
    {
        var roc = RocCurve.From(Audit(labels, scores));

        Assert.Equal(fpr, roc.Fpr);
        Assert.Equal(tpr, roc.Tpr);
        Assert.Equal(auc, roc.Auc(), 15);
    }

    [Fact]
    public void Thinning_drops_the_collinear_points_sklearn_drops()
    {
        // Prepare: scikit-learn, sklearn/metrics/tests/test_ranking.py::test_roc_curve_drop_intermediate; the
        // expected thresholds after the leading one (inf since sklearn 1.3, max + 1 before).
        var plain = Audit([0, 0, 0, 0, 1, 1], [0.0, 0.2, 0.5, 0.6, 0.7, 1.0]);
        var repeated = Audit([0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1],
                             [0.0, 0.1, 0.6, 0.6, 0.7, 0.8, 0.9, 0.6, 0.7, 0.8, 0.9, 0.9, 1.0]);

        // Execute
        var a = RocCurve.From(plain).WithoutCollinearPoints();
        var b = RocCurve.From(repeated).WithoutCollinearPoints();

        // Assert
        Assert.Equal([double.PositiveInfinity, 1.0, 0.7, 0.0], a.Thresholds);
        Assert.Equal([double.PositiveInfinity, 1.0, 0.9, 0.7, 0.6, 0.0], b.Thresholds);
        Assert.Equal(RocCurve.From(repeated).Auc(), b.Auc(), 15);
    }

    [Fact]
    public void Auc_is_the_mann_whitney_u_of_the_scipy_example()
    {
        // Prepare: SciPy, scipy/stats/_mannwhitneyu.py, mannwhitneyu docstring Examples:
        // males = [19, 22, 16, 29, 24], females = [20, 11, 17, 12] → U1 = 17 (for males), so AUC = 17 / (5·4).
        var audit = AuditScores.FromGroups([19, 22, 16, 29, 24], [20, 11, 17, 12]);

        // Execute
        double auc = RocCurve.From(audit).Auc();

        // Assert
        Assert.Equal(17.0 / 20, auc, 15);
    }

    [Fact]
    public void Auc_counts_ties_half_as_in_hanley_and_mcneil_rating_data()
    {
        // Prepare: Hanley and McNeil (1982), Radiology 143:29–36, Table I: CT ratings 1..5 of 58 normal and
        // 51 abnormal cases; the paper's area W = 0.893 and SE(W) = 0.032. Five distinct scores, so almost every
        // pair is a tie or a ranking across tied blocks: a strong check of the tie rule.
        var audit = HanleyMcNeilTableI();

        // Execute
        var roc = RocCurve.From(audit);
        double auc = roc.Auc();

        // Assert
        Assert.Equal(6, roc.Count); // +inf and the five ratings
        Assert.Equal(0.893, Math.Round(auc, 3));
        Assert.Equal(0.032, Math.Round(AucInterval.StandardError(auc, audit.Members, audit.NonMembers), 3));
        Assert.Equal(BruteForceAuc(audit), auc, 14);
    }

    internal static AuditScores HanleyMcNeilTableI()
    {
        int[] normal = [33, 6, 6, 11, 2], abnormal = [3, 2, 2, 11, 33];
        var members = new List<double>();
        var nonMembers = new List<double>();
        for (int rating = 1; rating <= 5; rating++)
        {
            members.AddRange(Enumerable.Repeat((double)rating, abnormal[rating - 1]));
            nonMembers.AddRange(Enumerable.Repeat((double)rating, normal[rating - 1]));
        }
        return AuditScores.FromGroups(members, nonMembers);
    }

    [Fact]
    public void Auc_equals_pair_counting_on_random_scores_with_many_ties()
    {
        // Prepare: scores rounded to one decimal, so ties are common.
        var rng = new FedSim.Determinism.DeterministicRandom(7);
        var scores = Enumerable.Range(0, 301).Select(_ => Math.Round(rng.NextGaussian(), 1)).ToArray();
        var labels = Enumerable.Range(0, 301).Select(i => i % 3 == 0 ? 1 : 0).ToArray();
        for (int i = 0; i < scores.Length; i += 3) scores[i] += 0.3;
        var audit = Audit(labels, scores);

        // Execute
        double auc = RocCurve.From(audit).Auc();

        // Assert
        Assert.Equal(BruteForceAuc(audit), auc, 14);
    }

    /// <summary>P(member score > non-member score) + ½ P(tie), by counting every pair.</summary>
    internal static double BruteForceAuc(AuditScores audit)
    {
        double wins = 0;
        for (int i = 0; i < audit.Count; i++)
        {
            if (!audit.IsMember[i]) continue;
            for (int j = 0; j < audit.Count; j++)
            {
                if (audit.IsMember[j]) continue;
                if (audit.Scores[i] > audit.Scores[j]) wins += 1;
                else if (audit.Scores[i] == audit.Scores[j]) wins += 0.5;
            }
        }
        return wins / ((double)audit.Members * audit.NonMembers);
    }

    [Fact]
    public void Tpr_at_fpr_takes_the_best_measured_point_strictly_below_the_limit()
    {
        // Prepare: 4 members, 1000 non-members (scores 0..999). Members at 1000.5 (above all), 998.5 (one
        // non-member above it), 997.5 (two above it) and −1 (below all). Hand-computed points (TP, FP):
        //   (1, 0), (1, 1), (2, 1), (2, 2), (3, 2), …, (3, 1000), (4, 1000).
        var members = new double[] { 1000.5, 998.5, 997.5, -1 };
        var nonMembers = Enumerable.Range(0, 1000).Select(i => (double)i).ToArray();
        var roc = RocCurve.From(AuditScores.FromGroups(members, nonMembers));

        // Execute / Assert: FPR < limit, strictly (Carlini et al.'s tpr[fpr < 0.001]): with exactly 1,000 non-members the
        // 0.1 % figure admits no false positive, so it is the TPR at FPR 0.
        Assert.Equal(0.25, roc.TprAtFpr(0.0)); // a limit of 0: the TPR at no false positive
        Assert.Equal(0.25, roc.TprAtFpr(0.0009));
        Assert.Equal(0.25, roc.TprAtFpr(0.001));
        Assert.Equal(0.5, roc.TprAtFpr(0.0019));
        Assert.Equal(0.5, roc.TprAtFpr(0.002));
        Assert.Equal(0.75, roc.TprAtFpr(0.0021));
        Assert.Equal(0.75, roc.TprAtFpr(0.01));
        Assert.Equal(0.75, roc.TprAtFpr(1.0));
    }

    [Fact]
    public void Tpr_at_fpr_does_not_count_a_tie_block_that_crosses_the_limit()
    {
        // Prepare: the top score 5 is shared by 2 members and 2 of 100 non-members, so that threshold is at FPR 2 %;
        // the third member (score 1) is above the other 98 non-members, so it joins at the same FPR.
        var members = new double[] { 5, 5, 1 };
        var nonMembers = new double[] { 5, 5 }.Concat(Enumerable.Repeat(0.0, 98)).ToArray();
        var roc = RocCurve.From(AuditScores.FromGroups(members, nonMembers));

        // Execute / Assert: below 2 % FPR only the empty rule qualifies; the block counts once the limit passes 2 %.
        Assert.Equal(0.0, roc.TprAtFpr(0.01));
        Assert.Equal(0.0, roc.TprAtFpr(0.02));
        Assert.Equal(1.0, roc.TprAtFpr(0.0201));
    }

    [Fact]
    public void Advantage_and_balanced_accuracy_come_from_the_best_threshold()
    {
        // Prepare: the sklearn docstring audit: points (0,0),(0,.5),(.5,.5),(.5,1),(1,1).
        var roc = RocCurve.From(Audit([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]));

        // Execute / Assert: max TPR − FPR = 0.5 at (0, 0.5) and (0.5, 1); balanced accuracy (1 + 0.5) / 2.
        Assert.Equal(0.5, roc.Advantage());
        Assert.Equal(0.75, roc.BestBalancedAccuracy());
    }

    [Fact]
    public void Inverted_scores_give_an_auc_below_one_half_not_a_silent_flip()
    {
        // Prepare: members have the HIGHER loss here; passing the loss itself (not −loss) is the classic mistake.
        var loss = new double[] { 3, 4, 5, 0.1, 0.2, 0.3 };
        var isMember = new[] { false, false, false, true, true, true };

        // Execute
        double wrong = RocCurve.From(new AuditScores(loss, isMember)).Auc();
        double right = RocCurve.From(new AuditScores(loss.Select(l => -l).ToArray(), isMember)).Auc();

        // Assert
        Assert.Equal(0.0, wrong);
        Assert.Equal(1.0, right);
    }

    [Fact]
    public void Audit_scores_reject_nan_mismatched_lengths_and_one_class_audits()
    {
        var nan = Assert.Throws<ArgumentException>(() => new AuditScores([1, double.NaN], [true, false]));
        Assert.Contains("score 1 is NaN", nan.Message);
        Assert.Throws<ArgumentException>(() => new AuditScores([1, 2, 3], [true, false]));
        var oneClass = Assert.Throws<ArgumentException>(() => new AuditScores([1, 2], [true, true]));
        Assert.Contains("at least one of each", oneClass.Message);
    }

    [Fact]
    public void Infinite_scores_are_ranked_like_any_other()
    {
        var roc = RocCurve.From(new AuditScores([double.PositiveInfinity, double.NegativeInfinity, 0], [true, false, false]));

        Assert.Equal(1.0, roc.Auc());
        Assert.Equal(1.0, roc.TprAtFpr(0));
    }
}
