namespace FedSim.Tests.Privacy;

/// <summary>Comparison helpers and order grids for the accountant tests against published library vectors.</summary>
internal static class PublishedVectors
{
    /// <summary>The agreement issue 7 asks of the accountant on every published vector with enough digits.</summary>
    public const double RelativeTolerance = 1e-6;

    public static void AssertRelative(double expected, double actual, double relativeTolerance = RelativeTolerance)
    {
        if (double.IsPositiveInfinity(expected))
        {
            Assert.True(double.IsPositiveInfinity(actual), $"expected +inf, got {actual:R}");
            return;
        }
        double error = Math.Abs(actual - expected) / Math.Abs(expected);
        Assert.True(error <= relativeTolerance,
            $"expected {expected:R}, got {actual:R}: relative error {error:E2} > {relativeTolerance:E0}");
    }

    /// <summary>range(lo, hi) as Python writes it, as doubles.</summary>
    public static double[] Range(int lo, int hiExclusive) =>
        Enumerable.Range(lo, hiExclusive - lo).Select(x => (double)x).ToArray();

    /// <summary>
    /// The orders of TF-Privacy's compute_dp_sgd_privacy_lib.compute_dp_sgd_privacy
    /// (tensorflow_privacy/privacy/analysis/compute_dp_sgd_privacy_lib.py):
    /// [1.25, 1.5, 1.75, 2., 2.25, 2.5, 3., 3.5, 4., 4.5] + list(range(5, 64)) + [128, 256, 512].
    /// </summary>
    public static double[] TfPrivacyDpSgdOrders { get; } =
        new[] { 1.25, 1.5, 1.75, 2, 2.25, 2.5, 3, 3.5, 4, 4.5 }.Concat(Range(5, 64)).Concat(new double[] { 128, 256, 512 }).ToArray();

    /// <summary>[0.001 * i for i in range(1000, 100000)], the fine grid of TF-Privacy's and dp_accounting's Gaussian tests.</summary>
    public static double[] FineGrid { get; } = Enumerable.Range(1000, 99_000).Select(i => 0.001 * i).ToArray();
}
