using FedSim.Privacy;
using FedSim.Privacy.Accounting;

namespace FedSim.Tests.Privacy;

public sealed class NoiseMultiplierSolverTests
{
    [Theory]
    // pytorch/opacus, opacus/tests/accountants_test.py: test_get_noise_multiplier_rdp_steps (q = 0.04, 2000 steps,
    // ε = 8, δ = 1e-5 → 1.3562) and test_get_noise_multiplier_rdp_epochs (90 epochs, i.e. int(90 / 0.04) = 2250 steps
    // → 1.416), both with assertAlmostEqual places=4. Opacus bisects until ε is within epsilon_tolerance = 0.01 below
    // the target (opacus/accountants/utils.py, get_noise_multiplier) and returns the upper end, so its published z
    // is not the exact boundary: what can be checked is that our ε at Opacus' z lies in [target − 0.01, target]
    // (allowing 3e-4 in ε for its z rounded to 4 places) and that our exact smallest z is not above Opacus'.
    [InlineData(2000, 1.3562)]
    [InlineData(2250, 1.416)]
    public void Solution_agrees_with_opacus_published_noise_multiplier(long steps, double opacusNoise)
    {
        var solution = NoiseMultiplierSolver.Solve(0.04, steps, 1e-5, 8);

        var accountant = new RdpAccountant();
        accountant.AddSteps(0.04, opacusNoise, steps);
        double epsilonAtOpacusNoise = accountant.GetEpsilon(1e-5).Epsilon;
        Assert.InRange(epsilonAtOpacusNoise, 8 - 0.01 - 3e-4, 8 + 3e-4);
        Assert.InRange(solution.NoiseMultiplier, opacusNoise - 0.002, opacusNoise + 5e-5);
    }

    [Fact]
    public void Solution_is_the_smallest_noise_meeting_the_target()
    {
        var solution = NoiseMultiplierSolver.Solve(0.01, 1000, 1e-5, 2);

        var at = new RdpAccountant();
        at.AddSteps(0.01, solution.NoiseMultiplier, 1000);
        var justBelow = new RdpAccountant();
        justBelow.AddSteps(0.01, solution.NoiseMultiplier * (1 - 1e-8), 1000);

        Assert.True(solution.Epsilon <= 2);
        Assert.Equal(at.GetEpsilon(1e-5).Epsilon, solution.Epsilon);
        Assert.True(justBelow.GetEpsilon(1e-5).Epsilon > 2, "a slightly smaller noise multiplier should miss the target");
    }

    [Fact]
    public void Without_sampling_the_solution_inverts_the_published_gaussian_calibration()
    {
        // tensorflow/privacy rdp_accountant_test.py / dp_accounting rdp_privacy_accountant_test.py: z = 4.530877117
        // gives exactly (1, 1e-6)-DP for q = 1 on the fine order grid; solving for ε = 1 must return that z.
        var solution = NoiseMultiplierSolver.Solve(1, 1, 1e-6, 1, PublishedVectors.FineGrid);

        PublishedVectors.AssertRelative(4.530877117, solution.NoiseMultiplier);
    }

    [Fact]
    public void Unreachable_target_is_refused_with_a_reason()
    {
        // With the default orders (up to 63), ε < 0.1 at δ = 1e-5 needs RDP below δ² (the KL bound), which for
        // q = 0.5 over 10,000 steps needs z of about q·√T/δ = 5e6, past the solver's cap of 1e6.
        var error = Assert.Throws<PrivacyParameterException>(() => NoiseMultiplierSolver.Solve(0.5, 10_000, 1e-5, 0.05));

        Assert.Contains("cannot be met", error.Message);
    }

    [Theory]
    [InlineData(0.0, 10L, 1e-5, 1.0)]
    [InlineData(1.5, 10L, 1e-5, 1.0)]
    [InlineData(0.1, 0L, 1e-5, 1.0)]
    [InlineData(0.1, 10L, 0.0, 1.0)]
    [InlineData(0.1, 10L, 1e-5, 0.0)]
    public void Bad_parameters_are_refused(double q, long steps, double delta, double target)
    {
        Assert.Throws<PrivacyParameterException>(() => NoiseMultiplierSolver.Solve(q, steps, delta, target));
    }
}
