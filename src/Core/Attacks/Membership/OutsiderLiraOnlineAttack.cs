using FedSim.Attacks.Auditing;
using FedSim.Attacks.Inference;

namespace FedSim.Attacks.Membership;

/// <summary>Online LiRA (<see cref="LiraAttack.Online"/>): the likelihood ratio under the record's IN and OUT reference models.</summary>
public sealed class OutsiderLiraOnlineAttack : OutsiderLiraAttack
{
    public override string Name => AttackNames.LiraOnline;
    public override int Order => 50;
    public override string Summary => "the likelihood ratio of the record's confidence under reference models IN and OUT of it (Carlini et al. 2022)";

    protected override double[] Score(double[] targetSignals, ReferenceSignals references, LiraVariance variance)
        => LiraAttack.Online(targetSignals, references, variance);
}
