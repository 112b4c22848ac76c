using System.Text.Json;
using FedSim.Scenario;
using FedSim.GrainInterfaces;
using FedSim.Privacy;
using FedSim.Rounds;
using FedSim.Scenarios.Reports;

namespace FedSim.Tests.Reports;

/// <summary>summary.json says which privacy mechanisms ran, the final (ε, δ), and why a run ended early.</summary>
public sealed class PrivacySummaryTests
{
    [Fact]
    public void Summary_carries_the_mechanism_the_final_epsilon_and_delta_and_the_early_finish()
    {
        // Prepare: a DP-FedAvg scenario whose last round reported ε = 2.5.
        var scenario = new ScenarioSpec
        {
            Training = new TrainingSpec { Sampling = new PoissonSamplingOptions { Rate = 0.1 } },
            Privacy = new PrivacySpec { Delta = 1e-6, EpsilonBudget = 3, Central = new CentralDpSpec { NoiseMultiplier = 1.1 } },
        };
        var reports = ReportFixtures.FourRounds()
            .Select(r => r with { Metrics = new ValueList<RoundMetric>([new("epsilon", 0.5 * r.Round + 0.5)]) }).ToList();
        var input = RunSummaryInput.FromScenario(scenario, ReportFixtures.Input().Dataset, ReportFixtures.Input().Model,
            new Dictionary<string, object?>(), 1) with { FinishReason = "privacy budget spent: ..." };

        // Execute
        var summary = RunSummary.Build(input, reports);
        using var json = JsonDocument.Parse(SummaryJson.Serialize(summary));

        // Assert
        var privacy = json.RootElement.GetProperty("privacy");
        Assert.Equal("DP-FedAvg (user level, fixed clip norm 1, z = 1.1, Poisson q = 0.1)", privacy.GetProperty("mechanism").GetString());
        Assert.Equal(2.5, privacy.GetProperty("epsilon").GetDouble());
        Assert.Equal(1e-6, privacy.GetProperty("delta").GetDouble());
        Assert.Equal(3, privacy.GetProperty("epsilon_budget").GetDouble());
        Assert.Equal("privacy budget spent: ...", json.RootElement.GetProperty("finish_reason").GetString());
    }

    [Fact]
    public void A_run_without_privacy_has_a_null_privacy_entry()
    {
        var summary = RunSummary.Build(RunSummaryInput.FromScenario(new ScenarioSpec(), ReportFixtures.Input().Dataset, ReportFixtures.Input().Model,
            new Dictionary<string, object?>(), 1), ReportFixtures.FourRounds());

        Assert.Null(summary.Privacy);
        Assert.Null(summary.FinishReason);
    }
}
