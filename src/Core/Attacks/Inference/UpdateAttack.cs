using System.Numerics.Tensors;

namespace FedSim.Attacks.Inference;

/// <summary>
/// Membership inference against one device's update, for the honest-but-curious server that sees individual
/// updates (no secure aggregation). The device started from the global model w and sent Δ = w' − w after
/// local training; gradient descent moves against the gradients of the records it trained on. Two signals,
/// each from values the server can compute itself on candidate records (which it must hold, e.g. the
/// attacker's guesses):
/// <list type="bullet">
/// <item><see cref="GradientAlignment"/>: cosine similarity between the descent direction −Δ and the candidate's
/// loss gradient ∇ℓ(x; w) at the global model the device received (Nasr, Shokri and Houmansadr 2019 use
/// gradients as the attack feature; Zhu et al. 2019 show how much a single update reveals). One local step
/// of SGD on a batch B gives −Δ = η·mean_{x∈B} ∇ℓ(x; w), so each member's gradient is a summand of −Δ;</item>
/// <item><see cref="LossReduction"/>: ℓ(x; w) − ℓ(x; w + Δ), how much the update lowered the candidate's loss
/// (the loss attack applied to the difference, which cancels the record's intrinsic difficulty).</item>
/// </list>
/// Both are higher for members. The grain supplying them enforces the threat model: with secure aggregation
/// the server has only the aggregate and must not call this with a single device's update.
/// </summary>
public static class UpdateAttack
{
    /// <param name="update">The device's update Δ = w' − w (as sent to the server).</param>
    /// <param name="candidateGradients">∇ℓ(x; w) for each candidate record, at the global model w the device started from.</param>
    /// <returns>cos(−Δ, ∇ℓ(x; w)) per candidate; 0 for a candidate whose gradient is zero (no evidence either way).</returns>
    public static double[] GradientAlignment(ReadOnlySpan<float> update, IReadOnlyList<float[]> candidateGradients)
    {
        ArgumentNullException.ThrowIfNull(candidateGradients);
        double updateNorm = TensorPrimitives.Norm(update);
        if (!(updateNorm > 0) || !double.IsFinite(updateNorm))
            throw new ArgumentException($"update attack: the update's norm is {updateNorm}; an empty or non-finite update says nothing about any record", nameof(update));
        var scores = new double[candidateGradients.Count];
        for (int i = 0; i < scores.Length; i++)
        {
            var g = candidateGradients[i];
            if (g.Length != update.Length)
                throw new ArgumentException($"update attack: candidate {i} has a gradient of {g.Length} values, the update has {update.Length}", nameof(candidateGradients));
            double gradientNorm = TensorPrimitives.Norm(g);
            if (!double.IsFinite(gradientNorm))
                throw new ArgumentException($"update attack: candidate {i} has a non-finite gradient", nameof(candidateGradients));
            scores[i] = gradientNorm == 0 ? 0 : -TensorPrimitives.Dot(update, g) / (updateNorm * gradientNorm);
        }
        return scores;
    }

    /// <param name="lossBefore">ℓ(x; w) per candidate, at the global model the device received.</param>
    /// <param name="lossAfter">ℓ(x; w + Δ) per candidate, at the device's model after its update.</param>
    /// <returns>lossBefore − lossAfter per candidate.</returns>
    public static double[] LossReduction(IReadOnlyList<double> lossBefore, IReadOnlyList<double> lossAfter)
    {
        ArgumentNullException.ThrowIfNull(lossBefore);
        ArgumentNullException.ThrowIfNull(lossAfter);
        if (lossBefore.Count != lossAfter.Count)
            throw new ArgumentException($"update attack: {lossBefore.Count} losses before the update but {lossAfter.Count} after");
        var scores = new double[lossBefore.Count];
        for (int i = 0; i < scores.Length; i++)
        {
            scores[i] = lossBefore[i] - lossAfter[i];
            if (double.IsNaN(scores[i])) throw new ArgumentException($"update attack: the loss reduction of candidate {i} is NaN ({lossBefore[i]} − {lossAfter[i]})");
        }
        return scores;
    }
}
