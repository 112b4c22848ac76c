namespace FedSim.Attacks.Inference;

/// <summary>
/// The loss-threshold attack (Yeom, Giacomelli, Fredrikson and Jha 2018, "Privacy risk in machine learning:
/// analyzing the connection to overfitting"): a model fits its training records better, so a low loss says
/// "member". Score = −loss, so that higher means member. Needs only the per-example loss (any loss: the
/// caller may pass squared error for a regression model).
/// </summary>
public static class LossAttack
{
    public static double[] Scores(IReadOnlyList<double> losses)
    {
        ArgumentNullException.ThrowIfNull(losses);
        var scores = new double[losses.Count];
        for (int i = 0; i < scores.Length; i++)
        {
            if (double.IsNaN(losses[i])) throw new ArgumentException($"loss attack: the loss of example {i} is NaN", nameof(losses));
            scores[i] = -losses[i];
        }
        return scores;
    }

    /// <summary>Scores from the cross-entropy loss of a classifier's outputs.</summary>
    public static double[] Scores(ModelOutputs outputs) => Scores(outputs.Losses());
}
