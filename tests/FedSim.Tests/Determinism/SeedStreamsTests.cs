using FedSim.Determinism;

namespace FedSim.Tests.Determinism;

public sealed class SeedStreamsTests
{
    private const ulong Seed = 0x0123_4567_89AB_CDEFUL;

    // Recorded from the expressions each stream replaced; a change here silently changes published results.

    [Fact]
    public void Training_streams_are_pinned()
    {
        // Prepare, Execute and Assert
        Assert.Equal(11647177444026106114UL, Seeds.DpSgdNoise(Seed));
        Assert.Equal(12649931108778822306UL, Seeds.EpochOrder(Seed, 2));
        Assert.Equal(2048912598755212180UL, Seeds.PoissonBatch(Seed, 3));
        Assert.Equal(0.9584050800179162, Seeds.ToUnitInterval(Seeds.PoisonedRow(Seed, 5)));
    }

    [Fact]
    public void Audit_and_attack_streams_are_pinned()
    {
        // Prepare, Execute and Assert
        Assert.Equal(0.578034059673919, Seeds.ToUnitInterval(Seeds.AuditHoldoutRow(Seed, 5)));
        Assert.Equal(15071471949691894039UL, Seeds.AttackerAudit(11, attacker: 1, device: 7));
        Assert.Equal(11264616626658060430UL, Seeds.AttackerAudit(11, attacker: 0, device: Seeds.None));
        Assert.Equal(18319235204732260265UL, Seeds.OutsiderRecordPicks(Seed));
        Assert.Equal(4231801630517513611UL, Seeds.ReferenceModelInitialization(Seed, 2));
        Assert.Equal(261464461668571939UL, Seeds.ReferenceModelMinibatches(Seed, 2));
    }

    [Fact]
    public void Round_streams_are_pinned()
    {
        // Prepare, Execute and Assert
        Assert.Equal(12797824737851348637UL, Seeds.SecureAggregationRounding(Seed));
        Assert.Equal(5974208659077130870UL, Seeds.SecureAggregationVanishingStage(11, round: 4, device: 7));
        Assert.Equal(6415749108244760684UL, Seeds.ClippingCountNoise(11, round: 4));
    }
}
