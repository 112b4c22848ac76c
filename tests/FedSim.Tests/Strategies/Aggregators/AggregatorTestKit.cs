using FedSim.Strategies;

namespace FedSim.Tests.Strategies.Aggregators;

/// <summary>Small builders and assertions shared by the aggregator tests.</summary>
internal static class AggregatorTestKit
{
    /// <summary>The 3 × 3 matrix every ByzFL docstring example uses (LPD-EPFL/byzfl, byzfl/aggregators/aggregators.py).</summary>
    public static float[][] ByzFLVectors => [[1f, 2f, 3f], [4f, 5f, 6f], [7f, 8f, 9f]];

    /// <summary>Results for devices 0, 1, 2, ... with one example each (robust aggregators ignore the weights).</summary>
    public static AggregationInput Input(params float[][] deltas)
        => Input(deltas.Select((d, i) => new DeviceResult(i, d, 1)).ToArray());

    public static AggregationInput Input(IReadOnlyList<DeviceResult> results, float[]? serverUpdate = null, int assumedByzantine = 0)
        => new(new RoundContext(1, 1, 100, results.Count, 0, new ServerState(), assumedByzantine), results, [], serverUpdate);

    public static void AssertClose(IReadOnlyList<double> expected, double[]? actual, double tolerance = 1e-12)
    {
        Assert.NotNull(actual);
        Assert.Equal(expected.Count, actual.Length);
        for (int i = 0; i < expected.Count; i++)
            Assert.True(Math.Abs(expected[i] - actual[i]) <= tolerance,
                $"coordinate {i}: expected {expected[i]:R}, got {actual[i]:R} (tolerance {tolerance})");
    }
}
