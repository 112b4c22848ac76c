using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using FedSim.Components;
using FedSim.Strategies.ServerOptimizers;

namespace FedSim.Strategies.Algorithms;

// Reddi et al. 2021 ("Adaptive Federated Optimization"): FedAvg's clients with an adaptive server optimizer.
// Defaults follow the paper's recommendations (β₁ = 0.9, β₂ = 0.99, τ = 1e-3); η must be tuned per task.

/// <summary>Shared options of the three adaptive strategies.</summary>
[GenerateSerializer]
public abstract class AdaptiveStrategyOptions : StrategyOptions
{
    [Id(0), Description("Server learning rate η (Reddi et al. tune it on a log grid; 0.01 suits MNIST-sized models).")]
    [Range(0, double.MaxValue, MinimumIsExclusive = true)]
    public double ServerLearningRate { get; set; } = 0.01;

    [Id(1), Description("First-moment decay β₁.")]
    [Range(0, 1, MaximumIsExclusive = true)]
    public double Beta1 { get; set; } = 0.9;

    [Id(2), Description("Adaptivity τ: the constant added to √v (larger is less adaptive).")]
    [Range(0, double.MaxValue, MinimumIsExclusive = true)]
    public double Tau { get; set; } = 1e-3;
}

[ComponentKind("fedadagrad", Order = 3), GenerateSerializer]
[Description("FedAdagrad (Reddi et al. 2021): v ← v + Δ².")]
public sealed class FedAdagradOptions : AdaptiveStrategyOptions
{
    public override IServerOptimizer CreateServerOptimizer() => new ServerAdagrad(ServerLearningRate, Beta1, Tau);
}

[ComponentKind("fedadam", Order = 4), GenerateSerializer]
[Description("FedAdam (Reddi et al. 2021): v ← β₂·v + (1 − β₂)·Δ².")]
public sealed class FedAdamOptions : AdaptiveStrategyOptions
{
    [Id(0), Description("Second-moment decay β₂.")]
    [Range(0, 1, MaximumIsExclusive = true)]
    public double Beta2 { get; set; } = 0.99;

    public override IServerOptimizer CreateServerOptimizer() => new ServerAdam(ServerLearningRate, Beta1, Beta2, Tau);
}

[ComponentKind("fedyogi", Order = 5), GenerateSerializer]
[Description("FedYogi (Reddi et al. 2021): v ← v − (1 − β₂)·Δ²·sign(v − Δ²).")]
public sealed class FedYogiOptions : AdaptiveStrategyOptions
{
    [Id(0), Description("Second-moment decay β₂.")]
    [Range(0, 1, MaximumIsExclusive = true)]
    public double Beta2 { get; set; } = 0.99;

    public override IServerOptimizer CreateServerOptimizer() => new ServerYogi(ServerLearningRate, Beta1, Beta2, Tau);
}
