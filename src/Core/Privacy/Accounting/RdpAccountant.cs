namespace FedSim.Privacy.Accounting;

/// <summary>
/// The privacy spent so far by one Poisson-subsampled Gaussian mechanism run many times, possibly with a
/// different sampling rate or noise multiplier each time (heterogeneous composition: RDP adds order by
/// order, Mironov 2017, Proposition 1). A coordinator calls <see cref="AddSteps"/> once per round and reads
/// ε at its δ; <see cref="ToState"/> and <see cref="FromState"/> carry it through a checkpoint.
/// </summary>
public sealed class RdpAccountant
{
    private readonly double[] _orders;
    private readonly double[] _rdp;
    private (double SamplingRate, double NoiseMultiplier, double[] Rdp)? _lastStep; // rounds usually repeat (q, z)

    public RdpAccountant(IReadOnlyList<double>? orders = null, FractionalOrderSeries series = FractionalOrderSeries.Signed)
    {
        orders ??= RdpOrders.Default;
        if (orders.Count == 0) throw new PrivacyParameterException("at least one Rényi order is required");
        foreach (double order in orders) SampledGaussianRdp.RequireOrder(order);
        _orders = orders.ToArray();
        _rdp = new double[_orders.Length];
        Series = series;
    }

    public IReadOnlyList<double> Orders => _orders;

    /// <summary>Total RDP at each of <see cref="Orders"/>.</summary>
    public IReadOnlyList<double> Rdp => _rdp;

    public FractionalOrderSeries Series { get; }

    /// <summary>How many mechanism steps have been composed.</summary>
    public long Steps { get; private set; }

    /// <summary>Composes <paramref name="steps"/> runs of the mechanism with sampling rate q and noise multiplier z.</summary>
    public void AddSteps(double samplingRate, double noiseMultiplier, long steps = 1)
    {
        if (steps < 1) throw new PrivacyParameterException($"steps must be >= 1, got {steps}");
        double[] perStep = _lastStep is { } last && last.SamplingRate == samplingRate && last.NoiseMultiplier == noiseMultiplier
            ? last.Rdp
            : SampledGaussianRdp.ForSteps(samplingRate, noiseMultiplier, 1, _orders, Series);
        _lastStep = (samplingRate, noiseMultiplier, perStep);
        for (int k = 0; k < _rdp.Length; k++) _rdp[k] += perStep[k] * steps;
        Steps += steps;
    }

    /// <summary>ε spent so far at <paramref name="delta"/>, and the order that gave it.</summary>
    public PrivacyGuarantee GetEpsilon(double delta) => RdpConversion.Epsilon(_orders, _rdp, delta);

    /// <summary>δ spent so far at <paramref name="epsilon"/>, and the order that gave it.</summary>
    public PrivacyGuarantee GetDelta(double epsilon) => RdpConversion.Delta(_orders, _rdp, epsilon);

    /// <summary>
    /// ε after one more run with (q, z), without composing it: lets a coordinator stop before a round would
    /// exceed its budget.
    /// </summary>
    public PrivacyGuarantee PeekEpsilon(double samplingRate, double noiseMultiplier, double delta)
    {
        var copy = FromState(ToState());
        copy._lastStep = _lastStep;
        copy.AddSteps(samplingRate, noiseMultiplier);
        return copy.GetEpsilon(delta);
    }

    public RdpAccountantState ToState() => new(_orders.ToArray(), _rdp.ToArray(), Steps, Series);

    public static RdpAccountant FromState(RdpAccountantState state)
    {
        if (state.Orders.Length != state.Rdp.Length)
            throw new PrivacyParameterException($"accountant state has {state.Orders.Length} orders but {state.Rdp.Length} RDP values");
        var accountant = new RdpAccountant(state.Orders, state.Series) { Steps = state.Steps };
        state.Rdp.CopyTo(accountant._rdp, 0);
        return accountant;
    }
}

/// <summary>What an <see cref="RdpAccountant"/> has accumulated, for checkpoints.</summary>
[GenerateSerializer, Immutable]
public sealed record RdpAccountantState(
    [property: Id(0)] double[] Orders,
    [property: Id(1)] double[] Rdp,
    [property: Id(2)] long Steps,
    [property: Id(3)] FractionalOrderSeries Series);
