using FedSim.Privacy.Accounting;
using MathNet.Numerics;

namespace FedSim.Tests.Privacy;

public sealed class LogSpaceTests
{
    [Theory]
    [InlineData(25.0)]
    [InlineData(25.7)]
    [InlineData(26.5)]
    public void Log_erfc_asymptotic_branch_agrees_with_erfc_where_both_are_representable(double x)
    {
        // Above 25 LogErfc uses the asymptotic series; up to about 26.5 erfc itself is still a normal double.
        double direct = Math.Log(SpecialFunctions.Erfc(x));

        Assert.Equal(direct, LogSpace.LogErfc(x), 1e-12 * Math.Abs(direct));
    }

    [Fact]
    public void Log_erfc_stays_finite_where_erfc_underflows()
    {
        Assert.Equal(0, SpecialFunctions.Erfc(40));
        // log erfc(x) = −x² − log(x√π) + log(1 − 1/(2x²) + 3/(4x⁴) − 15/(8x⁶) + …); the next term is below 1e-11.
        double expected = -1600 - Math.Log(40 * Math.Sqrt(Math.PI))
                          + Math.Log(1 - 1 / 3200.0 + 3 / (4 * Math.Pow(40, 4)) - 15 / (8 * Math.Pow(40, 6)));

        Assert.Equal(expected, LogSpace.LogErfc(40), 1e-11);
    }

    [Fact]
    public void Signed_sum_handles_cancellation_and_sign_changes()
    {
        var sum = SignedLogSum.Zero;
        sum.Add(false, Math.Log(5));
        sum.Add(true, Math.Log(2));  // 3
        Assert.False(sum.IsNegative);
        Assert.Equal(Math.Log(3), sum.LogMagnitude, 14);

        sum.Add(true, Math.Log(4));  // −1
        Assert.True(sum.IsNegative);
        Assert.Equal(0, sum.LogMagnitude, 14);

        var cancelled = SignedLogSum.Zero;
        cancelled.Add(false, Math.Log(2));
        cancelled.Add(true, Math.Log(2)); // exactly 0
        Assert.Equal(double.NegativeInfinity, cancelled.LogMagnitude);
    }
}
