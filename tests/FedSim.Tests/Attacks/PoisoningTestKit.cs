using FedSim.Attacks.Poisoning;

namespace FedSim.Tests.Attacks;

internal static class PoisoningTestKit
{
    /// <summary>The 3 × 3 matrix of ByzFL's attack docstrings (LPD-EPFL/byzfl, byzfl/attacks/attacks.py).</summary>
    public static float[][] ByzFLVectors => [[1f, 2f, 3f], [4f, 5f, 6f], [7f, 8f, 9f]];

    public static PoisoningContext Context(int cohort = 10, int malicious = 2, ulong seed = 42) => new(1, cohort, malicious, seed);

    public static float[][] DeepCopy(IReadOnlyList<float[]> vectors) => vectors.Select(v => (float[])v.Clone()).ToArray();
}
