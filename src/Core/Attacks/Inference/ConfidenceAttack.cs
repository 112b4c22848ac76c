namespace FedSim.Attacks.Inference;

/// <summary>
/// The confidence attack (Song and Mittal 2021, "Systematic evaluation of privacy risks of machine learning
/// models", USENIX Security 2021; also Salem et al. 2019): score = p_y, the probability the model gives the true label.
/// With cross-entropy training it ranks examples as the loss attack does (p_y = e^(−loss)); it is the attack
/// for an API that returns probabilities only. Probabilities close to 1 round to 1 in double, so on a very
/// confident model the loss attack keeps more resolution at low FPR.
/// </summary>
public static class ConfidenceAttack
{
    public static double[] Scores(ModelOutputs outputs)
    {
        ArgumentNullException.ThrowIfNull(outputs);
        return outputs.TrueLabelProbabilities();
    }
}
