using FedSim.Attacks.Auditing;
using FedSim.Attacks.Inference;
using FedSim.Attacks.Membership;
using FedSim.Scenarios.Configuration;
using FedSim.Tests.Scenarios;

namespace FedSim.Tests.Attacks.Membership;

/// <summary>The calibrated loss attack (Watson et al. 2022): its scores by hand, its place in the registry and in scenarios.</summary>
public sealed class OutsiderCalibratedLossAttackTests(ScenarioTestFiles files) : IClassFixture<ScenarioTestFiles>
{
    private const string Name = "calibrated-loss";

    // Four records: an easy and a hard member, an easy and a hard non-member. The target fits each member better than
    // the reference models that never saw it, but the hard member's loss is still above the easy non-member's.
    private static readonly double[] TargetLosses = [0.1, 0.05, 1.0, 2.0];
    private static readonly bool[] IsMember = [true, false, true, false];
    private static readonly ReferenceSignals ReferenceLosses = new(
        @in: [[0.01], [0.02], [0.5], [0.9]],
        @out: [[0.2, 0.4], [0.04, 0.06], [2.0, 3.0], [1.5, 2.5]]);

    [Fact]
    public void The_score_is_the_mean_out_loss_minus_the_target_loss()
    {
        // Execute
        var scores = OutsiderCalibratedLossAttack.Scores(TargetLosses, ReferenceLosses);

        // Assert: by hand, mean OUT loss − target loss; the IN losses are not read.
        Assert.Equal(0.3 - 0.1, scores[0], 12);
        Assert.Equal(0.05 - 0.05, scores[1], 12);
        Assert.Equal(2.5 - 1.0, scores[2], 12);
        Assert.Equal(2.0 - 2.0, scores[3], 12);
    }

    [Fact]
    public void Calibration_ranks_the_hard_member_above_the_easy_non_member_where_the_loss_attack_does_not()
    {
        // Prepare
        var loss = LossAttack.Scores(TargetLosses);

        // Execute
        var calibrated = OutsiderCalibratedLossAttack.Scores(TargetLosses, ReferenceLosses);

        // Assert: the loss attack orders easy before hard (AUC ½ here); calibration separates members (AUC 1).
        Assert.Equal(0.5, MembershipMetrics.Of(new AuditScores(loss, IsMember)).Auc, 12);
        Assert.Equal(1.0, MembershipMetrics.Of(new AuditScores(calibrated, IsMember)).Auc, 12);
    }

    [Fact]
    public void A_record_without_an_out_reference_model_is_an_error()
    {
        // Prepare
        var onlyIn = new ReferenceSignals([[0.3]], [[]]);

        // Execute / Assert
        var error = Assert.Throws<ArgumentException>(() => OutsiderCalibratedLossAttack.Scores([0.1], onlyIn));
        Assert.Contains("no reference model that did not train on it", error.Message);
    }

    [Fact]
    public void The_registry_lists_it_as_an_opt_in_outsider_attack_on_reference_models()
    {
        // Execute
        var attack = Assert.IsType<OutsiderCalibratedLossAttack>(MembershipAttacks.Find(ThreatModels.Outsider, Name));
        var everyDefault = new OutsiderAttackerOptions();
        var chosen = new OutsiderAttackerOptions { Attacks = [Name, AttackNames.Loss] };

        // Assert: listed right after the loss attack it calibrates, run only when named.
        Assert.True(attack.Uses(AttackNeeds.ReferenceModels));
        Assert.Equal(AttackNames.Loss, everyDefault.Available[0]);
        Assert.Equal(Name, everyDefault.Available[1]);
        Assert.DoesNotContain(Name, everyDefault.Selected);
        Assert.Equal([AttackNames.Loss, Name], chosen.Selected);
        Assert.Null(MembershipAttacks.Find(ThreatModels.Server, Name));
    }

    [Fact]
    public void A_scenario_naming_it_for_an_outsider_validates_and_a_misspelling_is_corrected()
    {
        // Prepare
        const string yaml = "name: calibrated\nattacks:\n  - kind: outsider\n    attacks: [calibrated-loss]\n";
        const string misspelt = "name: calibrated\nattacks:\n  - kind: outsider\n    attacks: [calibrated-los]\n";

        // Execute
        var result = ScenarioLoader.Parse(yaml, "calibrated.yaml", files.Directory);
        var wrong = ScenarioLoader.Parse(misspelt, "calibrated.yaml", files.Directory);

        // Assert
        Assert.True(result.Succeeded, string.Join("\n", result.Errors));
        Assert.Equal([Name], Assert.IsType<OutsiderAttackerOptions>(Assert.Single(result.Spec!.Attacks)).Selected);
        Assert.Contains("did you mean 'calibrated-loss'?", Assert.Single(wrong.Errors).Message);
        Assert.Contains("calibrated-loss: the loss minus the record's mean loss", ScenarioSchema.MarkdownFieldTable());
    }
}
