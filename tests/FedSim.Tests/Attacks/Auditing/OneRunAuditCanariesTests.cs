using FedSim.Attacks.Auditing;
using FedSim.Composition;
using FedSim.Devices;
using FedSim.GrainInterfaces;
using FedSim.Models;
using FedSim.Privacy;
using FedSim.Rounds;
using FedSim.Scenario;
using FedSim.Scenarios.Configuration;
using FedSim.Tests.Scenarios;

namespace FedSim.Tests.Attacks.Auditing;

/// <summary>
/// The one-run audit's canaries in the federation's data (Steinke, Nasr and Jagielski 2023, Algorithm 1): records outside
/// the dataset, each in the training by its own fair coin, as records of a device's shard or as whole devices.
/// </summary>
public sealed class OneRunAuditCanariesTests(ScenarioTestFiles files) : IClassFixture<ScenarioTestFiles>
{
    private static ScenarioSpec Scenario(params AttackerOptions[] attackers) => new()
    {
        Seed = 3,
        Devices = 10,
        Dataset = { Samples = 600 },
        Model = { Kind = ModelKinds.Logistic },
        Attacks = attackers,
    };

    [Fact]
    public void Record_canaries_are_appended_and_each_included_one_joins_its_device_alone()
    {
        // Prepare
        var plain = ExperimentDataCache.Build(Scenario());
        var scenario = Scenario(new OneRunAuditOptions { Canaries = 200 });

        // Execute
        var data = ExperimentDataCache.Build(scenario);
        var again = ExperimentDataCache.Build(scenario);

        // Assert: 200 new rows after the dataset's own; no audit hold-out (the audit needs no non-members of the dataset).
        var canaries = data.Canaries!;
        int first = plain.Split.Train.Count;
        Assert.Equal((OneRunAuditUnits.Record, first, first + 200), (canaries.Unit, canaries.FirstRow, data.Split.Train.Count));
        Assert.All(data.HeldOut, Assert.Empty);
        // Every device keeps its own records and gains exactly its included canaries; left-out canaries are nobody's.
        for (int d = 0; d < 10; d++)
        {
            Assert.Equal(plain.Partition[d], data.Partition[d].Where(r => r < first));
            var gained = data.Partition[d].Where(r => r >= first).Order().ToArray();
            var expected = Enumerable.Range(0, 200).Where(i => canaries.Included[i] && canaries.Holders[i] == d).Select(i => canaries.Rows[i][0]);
            Assert.Equal(expected, gained);
        }
        Assert.InRange(canaries.Included.Count(i => i), 70, 130);
        Assert.True(canaries.Holders.Distinct().Count() > 5, "canaries spread over the devices");
        // A canary is made of values the dataset has, feature by feature, with a label of its classes.
        var train = data.Split.Train;
        for (int i = 0; i < 5; i++)
        {
            int row = canaries.Rows[i][0];
            for (int f = 0; f < train.FeatureCount; f++)
                Assert.Contains(train.Features[row * train.FeatureCount + f], Enumerable.Range(0, first).Select(r => train.Features[r * train.FeatureCount + f]));
            Assert.InRange(train.Labels[row], 0, train.ClassCount - 1);
        }
        // Seeded: the same scenario gives the same canaries; the loaded dataset itself is left as it was.
        Assert.Equal(canaries.Included, again.Canaries!.Included);
        Assert.Equal(train.Features, again.Split.Train.Features);
        Assert.Equal(first, plain.Split.Train.Count);
    }

    [Fact]
    public void Device_canaries_are_whole_devices_and_a_left_out_one_declines_every_round()
    {
        // Prepare: five canary devices of two records each, among 10.
        var scenario = Scenario(new OneRunAuditOptions { Canaries = 5, Unit = OneRunAuditUnits.Device, RecordsPerDevice = 2 });

        // Execute
        var data = ExperimentDataCache.Build(scenario);

        // Assert
        var canaries = data.Canaries!;
        Assert.Equal(5, canaries.Holders.Distinct().Count());
        for (int i = 0; i < 5; i++)
        {
            long device = canaries.Holders[i];
            Assert.Equal(canaries.Included[i] ? canaries.Rows[i] : [], data.Partition[device]);
            Assert.Equal(2, canaries.Rows[i].Length);
            Assert.Equal(!canaries.Included[i], canaries.LeavesOut(device));
        }
        Assert.Contains(true, canaries.Included);
        Assert.Contains(false, canaries.Included);
        long other = Enumerable.Range(0, 10).First(d => !canaries.Holders.Contains(d));
        Assert.False(canaries.LeavesOut(other));
        Assert.NotEmpty(data.Partition[other]);
    }

    [Fact]
    public async Task A_left_out_canary_device_declines_before_it_touches_the_compute_pool()
    {
        // Prepare
        var scenario = Scenario(new OneRunAuditOptions { Canaries = 4, Unit = OneRunAuditUnits.Device });
        var data = ExperimentDataCache.Build(scenario);
        long leftOut = data.Canaries!.Holders.Where((_, i) => !data.Canaries.Included[i]).First();
        var assignment = new RoundAssignment("exp", 1, TrainingSeed: 7, data.Model, ScenarioComposition.Training(scenario).BasePlan(),
            new GlobalModel(new GlobalModelId("exp", 1), ModelLayout.Initialize(data.Model, 1)), scenario);

        // Execute: no compute pool at all; a device that trained would need one.
        var outcome = await new DeviceRoundPipeline(pool: null!, data, leftOut).RunAsync(assignment, () => throw new InvalidOperationException("no state"));

        // Assert
        Assert.Equal(OneRunCanarySet.LeftOutReason, Assert.IsType<DeviceRoundOutcome.Declined>(outcome).Reason);
    }

    [Fact]
    public void Beside_a_membership_attacker_the_hold_out_stays_and_the_judge_never_draws_a_canary()
    {
        // Prepare
        var scenario = Scenario(new OutsiderAttackerOptions(), new OneRunAuditOptions { Canaries = 100 });

        // Execute
        var data = ExperimentDataCache.Build(scenario);
        var set = data.MembershipJudge().Draw(Enumerable.Range(0, 10).Select(d => (long)d), 1000, auxiliary: true, seed: 4)!;

        // Assert: canaries are in the devices' shards, but neither members nor non-members nor auxiliary data.
        Assert.Contains(data.Partition.SelectMany(p => p), r => r >= data.Canaries!.FirstRow);
        Assert.All(data.HeldOut, h => Assert.NotEmpty(h));
        Assert.All(set.Examples, e => Assert.True(e.Index < data.Canaries!.FirstRow));
        Assert.All(set.AttackerAuxiliary, r => Assert.True(r < data.Canaries!.FirstRow));
    }

    [Fact]
    public void Auto_unit_is_the_device_under_central_dp_alone_and_the_record_otherwise()
    {
        var options = new OneRunAuditOptions();

        Assert.Equal(OneRunAuditUnits.Device, options.UnitFor(centralDp: true, localDp: false));
        Assert.Equal(OneRunAuditUnits.Record, options.UnitFor(centralDp: false, localDp: true));
        Assert.Equal(OneRunAuditUnits.Record, options.UnitFor(centralDp: true, localDp: true));
        Assert.Equal(OneRunAuditUnits.Record, options.UnitFor(centralDp: false, localDp: false));
        Assert.Equal(OneRunAuditUnits.Device, new OneRunAuditOptions { Unit = OneRunAuditUnits.Device }.UnitFor(false, true));
    }

    [Theory]
    [InlineData("    unit: device\n    canaries: 10\n", "attacks.canaries", "give fewer canaries than devices")]
    [InlineData("    canary_holder: 12\n", "attacks.canary_holder", "pick one of them or -1")]
    [InlineData("    canaries: 50\n    positive_guesses: [10, 60]\n", "attacks.positive_guesses", "has 60; guess counts lie in 0..canaries (50)")]
    [InlineData("    unit: everything\n", "unit", "record")]
    public void A_bad_one_run_auditor_is_refused_with_what_to_change(string keys, string key, string fix)
    {
        string yaml = "name: bad\ndevices: 10\nattacks:\n  - kind: one-run\n" + keys;

        var result = ScenarioLoader.Parse(yaml, "one-run.yaml", files.Directory);

        Assert.False(result.Succeeded);
        var error = Assert.Single(result.Errors);
        Assert.Contains(key, error.Message);
        Assert.Contains(fix, error.Message);
        Assert.True(error.Line > 0, error.ToString());
    }

    [Fact]
    public void Two_one_run_auditors_are_refused_and_one_validates()
    {
        const string one = "name: audited\ndevices: 10\nattacks:\n  - kind: one-run\n    canaries: 100\n";

        var good = ScenarioLoader.Parse(one, "one-run.yaml", files.Directory);
        var two = ScenarioLoader.Parse(one + "  - kind: one-run\n", "one-run.yaml", files.Directory);

        Assert.True(good.Succeeded, string.Join("\n", good.Errors));
        Assert.Equal(100, Assert.IsType<OneRunAuditOptions>(Assert.Single(good.Spec!.Attacks)).Canaries);
        Assert.Contains("more than one one-run auditor", Assert.Single(two.Errors).Message);
    }

    [Fact]
    public void A_dp_run_warns_when_its_mechanism_does_not_protect_the_canaries_unit()
    {
        var central = new PrivacyCoverage(Central: true, Local: false, SecureAggregation: false, Delta: 1e-5);

        var records = central.UncoveredAttackers([new OneRunAuditOptions { Unit = OneRunAuditUnits.Record }]).ToList();
        var devices = central.UncoveredAttackers([new OneRunAuditOptions()]).ToList();

        Assert.Contains("central DP protects whole devices", Assert.Single(records));
        Assert.Empty(devices);
    }
}
