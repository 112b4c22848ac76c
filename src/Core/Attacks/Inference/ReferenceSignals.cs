namespace FedSim.Attacks.Inference;

/// <summary>
/// What the reference (shadow) models say about each audited example: for example i, the signal on every
/// reference model that trained on it (<see cref="In"/>) and on every one that did not (<see cref="Out"/>).
/// The signal is whatever the attack reads: LiRA's logit-scaled confidence, RMIA's true-label probability.
/// Reference models are trained by the attacker on its auxiliary data plus (online attacks) a random half of
/// the audited examples, so In and Out have about equal sizes online and In is empty offline.
/// </summary>
public sealed class ReferenceSignals
{
    public ReferenceSignals(IReadOnlyList<double[]> @in, IReadOnlyList<double[]> @out)
    {
        ArgumentNullException.ThrowIfNull(@in);
        ArgumentNullException.ThrowIfNull(@out);
        if (@in.Count != @out.Count)
            throw new ArgumentException($"reference signals: {@in.Count} IN lists but {@out.Count} OUT lists; give one of each per audited example", nameof(@out));
        for (int i = 0; i < @in.Count; i++)
        {
            CheckFinite(@in[i], i, "IN");
            CheckFinite(@out[i], i, "OUT");
        }
        In = @in;
        Out = @out;
    }

    public IReadOnlyList<double[]> In { get; }
    public IReadOnlyList<double[]> Out { get; }
    public int Count => In.Count;

    /// <summary>
    /// From one signal vector per reference model (<paramref name="signalByModel"/>[model][example]) and which
    /// examples each model trained on (<paramref name="trainedOn"/>[model][example]).
    /// </summary>
    public static ReferenceSignals FromModels(IReadOnlyList<double[]> signalByModel, IReadOnlyList<bool[]> trainedOn)
    {
        ArgumentNullException.ThrowIfNull(signalByModel);
        ArgumentNullException.ThrowIfNull(trainedOn);
        if (signalByModel.Count != trainedOn.Count)
            throw new ArgumentException($"reference signals: {signalByModel.Count} models' signals but {trainedOn.Count} membership masks", nameof(trainedOn));
        if (signalByModel.Count == 0) throw new ArgumentException("reference signals: no reference models", nameof(signalByModel));
        int n = signalByModel[0].Length;
        var ins = Enumerable.Range(0, n).Select(_ => new List<double>()).ToArray();
        var outs = Enumerable.Range(0, n).Select(_ => new List<double>()).ToArray();
        for (int m = 0; m < signalByModel.Count; m++)
        {
            if (signalByModel[m].Length != n || trainedOn[m].Length != n)
                throw new ArgumentException($"reference signals: model {m} has {signalByModel[m].Length} signals and {trainedOn[m].Length} membership flags; expected {n} of each", nameof(signalByModel));
            for (int i = 0; i < n; i++) (trainedOn[m][i] ? ins[i] : outs[i]).Add(signalByModel[m][i]);
        }
        return new ReferenceSignals(ins.Select(l => l.ToArray()).ToArray(), outs.Select(l => l.ToArray()).ToArray());
    }

    private static void CheckFinite(double[] values, int example, string side)
    {
        ArgumentNullException.ThrowIfNull(values);
        foreach (double v in values)
            if (!double.IsFinite(v))
                throw new ArgumentException($"reference signals: example {example} has a non-finite {side} signal ({v})");
    }
}
