using FedSim.Attacks.Auditing;

namespace FedSim.Tests.Attacks.Auditing;

public sealed class PrivacyCoverageTests
{
    // This round's ε of each mechanism (when it runs).
    private const double Central = 0.57, Local = 3.2;

    [Theory]
    // mode: central, local, secure aggregation; expected ε of the released models' view and of the server's view
    [InlineData(false, false, false, null, null)]
    [InlineData(true, false, false, Central, null)]
    [InlineData(false, true, false, Local, Local)]
    [InlineData(true, true, false, Central, Local)]
    [InlineData(false, false, true, null, null)]
    [InlineData(true, false, true, Central, null)]
    [InlineData(false, true, true, Local, Local)]
    public void Each_view_carries_the_epsilon_of_the_mechanism_that_protects_it(bool central, bool local, bool secure, double? released, double? updates)
    {
        // Prepare
        var coverage = new PrivacyCoverage(central, local, secure, Delta: 1e-5);

        // Execute
        ViewGuarantee For(string threat) => coverage.For(threat, central ? Central : null, local ? Local : null);

        // Assert: outsiders and clients attack the released models, the server what it receives.
        Assert.Equal(released, For(ThreatModels.Outsider).Epsilon);
        Assert.Equal(released, For(ThreatModels.Client).Epsilon);
        Assert.Equal(updates, For(ThreatModels.Server).Epsilon);
        foreach (var threat in new[] { ThreatModels.Outsider, ThreatModels.Client, ThreatModels.Server })
        {
            var guarantee = For(threat);
            Assert.Equal(guarantee.Epsilon is null ? null : 1e-5, guarantee.Delta);
            Assert.Equal(guarantee.Epsilon is null, coverage.Uncovered(threat) is not null);
        }
    }

    [Fact]
    public void Central_dp_names_why_it_does_not_cover_the_server_and_which_mechanism_would()
    {
        // Execute
        string plain = new PrivacyCoverage(true, false, false, 1e-5).Uncovered(ThreatModels.Server)!;
        string secure = new PrivacyCoverage(true, false, true, 1e-5).Uncovered(ThreatModels.Server)!;

        // Assert
        Assert.Contains("individual updates", plain);
        Assert.Contains("un-noised sum", secure);
        Assert.All(new[] { plain, secure }, reason => Assert.Contains("privacy.local", reason));
    }

    [Fact]
    public void Only_a_dp_run_warns_of_an_attacker_whose_view_it_leaves_uncovered()
    {
        // Prepare
        AttackerOptions[] attackers = [new OutsiderAttackerOptions(), new ServerAttackerOptions()];

        // Execute
        var centralWarnings = new PrivacyCoverage(true, false, false, 1e-5).UncoveredAttackers(attackers).ToList();
        var plainWarnings = new PrivacyCoverage(false, false, false, 1e-5).UncoveredAttackers(attackers).ToList();
        var localWarnings = new PrivacyCoverage(false, true, false, 1e-5).UncoveredAttackers(attackers).ToList();

        // Assert: no DP claims nothing to misread; local DP covers both views.
        Assert.Equal(["attacks[1] (server): its audits are not checked against ε: " + new PrivacyCoverage(true, false, false, 1e-5).Uncovered(ThreatModels.Server)],
            centralWarnings);
        Assert.Empty(plainWarnings);
        Assert.Empty(localWarnings);
    }
}
