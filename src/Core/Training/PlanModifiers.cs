namespace FedSim.Training;

/// <summary>
/// A change to local training carried by the plan. Each kind is plain data here; its effect inside the
/// batched trainer (and its one-device twin in the reference trainer) lives in one hook in FedSim.Compute,
/// so the cohort-versus-alone equivalence tests cover every modifier.
/// </summary>
[GenerateSerializer, Immutable]
public abstract record PlanModifier;

/// <summary>
/// FedProx (Li et al. 2020, "Federated Optimization in Heterogeneous Networks"): the local objective gains
/// μ/2·‖w − w_global‖², i.e. every gradient gains μ·(w − w_global).
/// </summary>
[GenerateSerializer, Immutable]
public sealed record ProximalTerm([property: Id(0)] float Mu) : PlanModifier
{
    public override string ToString() => $"proximal(mu={Mu:R})";
}

/// <summary>
/// Ditto's personal objective (Li, Hu, Beirami and Smith 2021, "Ditto: Fair and Robust Federated Learning Through
/// Personalization", Algorithm 1): F_k(v) + λ/2·‖v − w^t‖², i.e. every gradient gains λ·(v − w^t). The job starts from the
/// device's personal model v, so the anchor w^t, the round's global model, rides on the job as
/// <see cref="GlobalVector"/> (FedProx's <see cref="ProximalTerm"/> anchors at the starting weights instead).
/// </summary>
[GenerateSerializer, Immutable]
public sealed record DittoProximalTerm([property: Id(0)] float Lambda) : PlanModifier
{
    /// <summary>Name of the per-device input vector holding the global model w^t (flat, canonical weight layout).</summary>
    public const string GlobalVector = "ditto.global";

    public override string ToString() => $"ditto(lambda={Lambda:R})";
}

/// <summary>
/// SCAFFOLD (Karimireddy et al. 2020, Algorithm 1 line 10): every local gradient gains the device's
/// correction c − c_i, a per-device vector that rides on the job as <see cref="DeviceVector"/>.
/// </summary>
[GenerateSerializer, Immutable]
public sealed record ControlVariateCorrection : PlanModifier
{
    /// <summary>Name of the per-device input vector (flat, canonical weight layout).</summary>
    public const string DeviceVector = "scaffold.correction";

    public override string ToString() => "control-variate";
}

/// <summary>Byzantine label flipping: every training label y becomes (classes − 1 − y).</summary>
[GenerateSerializer, Immutable]
public sealed record LabelFlip([property: Id(0)] int Classes) : PlanModifier
{
    public int Map(int label) => Classes - 1 - label;

    public override string ToString() => $"label-flip({Classes})";
}

/// <summary>
/// A pixel-pattern backdoor (Gu et al. 2017 "BadNets"; used with model replacement by Bagdasaryan et al. 2020):
/// a square of <see cref="PatchSize"/>×<see cref="PatchSize"/> pixels in the bottom-right corner of every
/// channel set to <see cref="Value"/>, on a seeded fraction of the device's training samples, whose labels
/// become <see cref="TargetLabel"/>. For tabular data the trigger is the last PatchSize² features.
/// </summary>
[GenerateSerializer, Immutable]
public sealed record BackdoorTrigger(
    [property: Id(0)] int PatchSize,
    [property: Id(1)] float Value,
    [property: Id(2)] int TargetLabel,
    [property: Id(3)] double PoisonFraction) : PlanModifier
{
    /// <summary>Feature positions the trigger overwrites, for samples of <paramref name="featureCount"/> features.</summary>
    public int[] FeatureIndices(int featureCount, Data.ImageShape? image)
    {
        if (image is { } img && img.Size == featureCount)
        {
            int size = Math.Min(PatchSize, Math.Min(img.Height, img.Width));
            var indices = new List<int>(img.Channels * size * size);
            for (int c = 0; c < img.Channels; c++)
                for (int r = img.Height - size; r < img.Height; r++)
                    for (int col = img.Width - size; col < img.Width; col++)
                        indices.Add((c * img.Height + r) * img.Width + col);
            return [.. indices];
        }
        int count = Math.Min(PatchSize * PatchSize, featureCount);
        return Enumerable.Range(featureCount - count, count).ToArray();
    }

    /// <summary>
    /// Whether the device poisons dataset row <paramref name="row"/>: a hash of (device seed, row) against the
    /// fraction, so the choice is the same in every epoch, cohort and trainer.
    /// </summary>
    public bool Poisons(ulong deviceSeed, int row)
        => Determinism.Seeds.ToUnitInterval(Determinism.Seeds.PoisonedRow(deviceSeed, row)) < PoisonFraction;

    public override string ToString() => $"backdoor(patch={PatchSize}, target={TargetLabel}, fraction={PoisonFraction:R})";
}

/// <summary>
/// DP-SGD (Abadi et al. 2016, "Deep Learning with Differential Privacy", Algorithm 1), as Opacus runs it: each local
/// batch is Poisson-sampled (every example independently with probability q = B/n, which the accountant assumes),
/// every example's gradient over all parameters is clipped to L2 norm <see cref="ClipNorm"/> (factor
/// min(1, C / (‖g‖ + 10⁻⁶))), the clipped gradients are summed, Gaussian noise N(0, (z·C)²) is added to every
/// coordinate, and the sum is divided by the expected batch size q·n = min(B, n) (B alone would shrink the steps of a
/// device with fewer than B examples, which takes all of them every step). The noise comes from the device's job seed,
/// or with <see cref="SecureNoise"/> (<c>privacy.secure_noise</c>) from the OS's cryptographic generator
/// (<see cref="Privacy.Mechanisms.SecureGaussian"/>).
/// </summary>
[GenerateSerializer, Immutable]
public sealed record DpSgd([property: Id(0)] double ClipNorm, [property: Id(1)] double NoiseMultiplier,
                           [property: Id(2)] bool SecureNoise = false) : PlanModifier
{
    /// <summary>Opacus' guard against dividing by a zero norm (opacus/optimizers/optimizer.py, clip_and_accumulate).</summary>
    public const double NormEpsilon = 1e-6;

    /// <summary>σ of the noise on a step's sum of clipped per-example gradients.</summary>
    public double NoiseStandardDeviation => NoiseMultiplier * ClipNorm;

    public override string ToString() => $"dp-sgd(clip={ClipNorm:R}, z={NoiseMultiplier:R}{(SecureNoise ? ", secure noise" : "")})";
}

/// <summary>
/// Gradient ascent: every gradient is negated, so training raises the loss on the job's records instead of lowering
/// it. A malicious participant's active membership-inference step (Nasr, Shokri and Houmansadr 2019, Section IV-B):
/// it ascends on the records it tests, and a member's owner then pulls that record's loss back down.
/// </summary>
[GenerateSerializer, Immutable]
public sealed record GradientAscent : PlanModifier
{
    public override string ToString() => "gradient-ascent";
}
