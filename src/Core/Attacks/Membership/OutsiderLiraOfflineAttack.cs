using FedSim.Attacks.Auditing;
using FedSim.Attacks.Inference;

namespace FedSim.Attacks.Membership;

/// <summary>Offline LiRA (<see cref="LiraAttack.Offline"/>): the one-sided test against the record's OUT reference models only.</summary>
public sealed class OutsiderLiraOfflineAttack : OutsiderLiraAttack
{
    public override string Name => AttackNames.LiraOffline;
    public override int Order => 60;
    public override string Summary => "the record's confidence against reference models OUT of it only (Carlini et al. 2022)";

    protected override double[] Score(double[] targetSignals, ReferenceSignals references, LiraVariance variance)
        => LiraAttack.Offline(targetSignals, references, variance);
}
