namespace FedSim.Privacy.Accounting;

/// <summary>The noise multiplier a solver found, with the ε it gives (never above the target) and its order.</summary>
public readonly record struct NoiseCalibration(double NoiseMultiplier, double Epsilon, double Order);

/// <summary>
/// The smallest noise multiplier z for which T steps of the Poisson-subsampled Gaussian mechanism with rate q
/// are (ε_target, δ)-DP under <see cref="RdpConversion"/>. ε falls monotonically as z grows (RDP at every order
/// does), so bisection on z finds the boundary; the answer is the upper end of the final bracket, so its ε
/// never exceeds the target, and it is within <see cref="RelativeTolerance"/> of the exact boundary.
/// </summary>
public static class NoiseMultiplierSolver
{
    /// <summary>The returned z exceeds the exact smallest z by at most this fraction of itself.</summary>
    public const double RelativeTolerance = 1e-9;

    /// <summary>Noise multipliers searched: below the lower end a run is essentially noiseless, above the upper end
    /// (Opacus' own cap, MAX_SIGMA in opacus/accountants/utils.py) the model learns nothing.</summary>
    public const double MinimumNoiseMultiplier = 1e-6, MaximumNoiseMultiplier = 1e6;

    public static NoiseCalibration Solve(double samplingRate, long steps, double delta, double targetEpsilon,
                                         IReadOnlyList<double>? orders = null,
                                         FractionalOrderSeries series = FractionalOrderSeries.Signed)
    {
        orders ??= RdpOrders.Default;
        if (!(samplingRate > 0 && samplingRate <= 1)) throw new PrivacyParameterException($"sampling rate must be in (0, 1], got {samplingRate}");
        if (steps < 1) throw new PrivacyParameterException($"steps must be >= 1, got {steps}");
        if (!(delta > 0 && delta < 1)) throw new PrivacyParameterException($"delta must be in (0, 1), got {delta}");
        if (!(targetEpsilon > 0) || !double.IsFinite(targetEpsilon))
            throw new PrivacyParameterException($"target epsilon must be a finite number > 0, got {targetEpsilon}");

        PrivacyGuarantee At(double z) =>
            RdpConversion.Epsilon(orders, SampledGaussianRdp.ForSteps(samplingRate, z, steps, orders, series), delta);

        // Bracket: ε(low) > target >= ε(high), starting at z = 1 and doubling or halving.
        double low = 1, high = 1;
        var atHigh = At(high);
        if (atHigh.Epsilon <= targetEpsilon)
        {
            while (true)
            {
                low = high / 2;
                if (low < MinimumNoiseMultiplier)
                    throw new PrivacyParameterException(
                        $"target epsilon {targetEpsilon} is met even with noise multiplier {MinimumNoiseMultiplier} (epsilon {atHigh.Epsilon:G6} there): the target is too loose to calibrate noise");
                var atLow = At(low);
                if (atLow.Epsilon > targetEpsilon) break;
                high = low;
                atHigh = atLow;
            }
        }
        else
        {
            while (atHigh.Epsilon > targetEpsilon)
            {
                low = high;
                high *= 2;
                if (high > MaximumNoiseMultiplier)
                {
                    var atCap = At(MaximumNoiseMultiplier);
                    throw new PrivacyParameterException(
                        $"target epsilon {targetEpsilon} cannot be met at delta {delta} with {steps} steps at sampling rate {samplingRate}: " +
                        $"even noise multiplier {MaximumNoiseMultiplier:G} gives epsilon {atCap.Epsilon:G6}; raise the target or delta, or lower the steps or sampling rate");
                }
                atHigh = At(high);
            }
        }

        while (high - low > RelativeTolerance * high)
        {
            double middle = 0.5 * (low + high);
            var atMiddle = At(middle);
            if (atMiddle.Epsilon <= targetEpsilon) { high = middle; atHigh = atMiddle; }
            else low = middle;
        }
        return new NoiseCalibration(high, atHigh.Epsilon, atHigh.Order);
    }
}
