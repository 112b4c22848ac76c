using System.Runtime.InteropServices;
using System.Security.Cryptography;
using FedSim.Determinism;

namespace FedSim.Privacy.Mechanisms;

/// <summary>
/// Where a DP mechanism's standard-normal draws come from. <see cref="Seeded"/> (the default) derives them from the
/// experiment seed, so a run replays bit for bit, but anyone who holds the seed can subtract the noise;
/// <see cref="Secure"/> (<c>privacy.secure_noise: true</c>) draws them from the operating system's cryptographic
/// generator, so nobody can, and the run no longer replays.
/// </summary>
public abstract class GaussianSource
{
    /// <summary>One N(0, 1) draw.</summary>
    public abstract double Next();

    /// <summary>Fills <paramref name="destination"/> with independent N(0, 1) draws, in index order.</summary>
    public void Fill(Span<double> destination)
    {
        for (int i = 0; i < destination.Length; i++) destination[i] = Next();
    }

    /// <summary>Fills <paramref name="destination"/> with independent N(0, 1) draws, each drawn in double precision and then rounded.</summary>
    public void Fill(Span<float> destination)
    {
        for (int i = 0; i < destination.Length; i++) destination[i] = (float)Next();
    }

    /// <summary>The seeded stream: <see cref="DeterministicRandom.NextGaussian"/> (Marsaglia's polar method on xoshiro256**).</summary>
    public static GaussianSource Seeded(ulong seed) => new SeededSource(new DeterministicRandom(seed));

    /// <summary>A fresh cryptographically secure source (<see cref="SecureGaussian"/>).</summary>
    public static GaussianSource Secure() => new SecureGaussian();

    /// <summary>The source a mechanism uses: secure when <paramref name="secure"/>, else seeded with <paramref name="seed"/>.</summary>
    public static GaussianSource For(bool secure, ulong seed) => secure ? Secure() : Seeded(seed);

    private sealed class SeededSource(DeterministicRandom random) : GaussianSource
    {
        public override double Next() => random.NextGaussian();
    }
}

/// <summary>
/// N(0, 1) draws that neither the experiment seed nor earlier outputs predict, for <c>privacy.secure_noise</c>, built
/// the way Opacus' <c>secure_mode</c> builds its noise (Holohan and Braghin 2021, "Secure Random Sampling in
/// Differential Privacy", §5.1, with n = 2):
/// <list type="bullet">
/// <item>every random bit comes from <see cref="RandomNumberGenerator"/> (the OS CSPRNG), 53 bits per uniform, so
/// each uniform is one of 2⁵³ equally spaced doubles in [−1, 1) and exactly representable;</item>
/// <item>a Gaussian pair comes from Marsaglia's polar method in double precision;</item>
/// <item>each draw returned is the sum of four such normals, halved (N(0, 4)/2 = N(0, 1); halving is exact). One normal
/// can be inverted back to the uniforms that made it, which is how Mironov (2012) and Holohan and Braghin (2021)
/// attack textbook samplers through the low bits of a float; a sum of 2n normals leaves about 2^(53·(2n − 1)) = 2^159
/// candidate inputs for each output. The four normals of a draw come from four different pairs: the first halves
/// of two fresh pairs and the second halves of the previous draw's two pairs.</item>
/// </list>
/// What this does not do: the noised value is still rounded to a double or float when the noise is added, and the
/// outputs that rounding can reach depend on the input (Mironov's observation); no snapping or discrete Gaussian
/// removes that here (see README, "Secure noise").
/// </summary>
public sealed class SecureGaussian : GaussianSource
{
    /// <summary>The bits of one uniform.</summary>
    private const int UniformBits = 53;

    /// <summary>2^−52: a 53-bit integer k becomes k·2^−52 − 1 ∈ [−1, 1), exactly.</summary>
    private const double UniformScale = 1.0 / (1UL << (UniformBits - 1));

    private readonly ulong[] _bits = new ulong[512];
    private int _used;
    private double _spareA, _spareB;
    private bool _primed;

    public SecureGaussian() => _used = _bits.Length;

    public override double Next()
    {
        if (!_primed)
        {
            (_, _spareA) = NextPair();
            (_, _spareB) = NextPair();
            _primed = true;
        }
        var (a, nextSpareA) = NextPair();
        var (b, nextSpareB) = NextPair();
        double sum = a + b + _spareA + _spareB;
        (_spareA, _spareB) = (nextSpareA, nextSpareB);
        return 0.5 * sum;
    }

    /// <summary>Two independent N(0, 1) draws by Marsaglia's polar method.</summary>
    private (double, double) NextPair()
    {
        double u, v, s;
        do
        {
            u = NextUniform();
            v = NextUniform();
            s = u * u + v * v;
        }
        while (s >= 1 || s == 0);
        double m = Math.Sqrt(-2 * Math.Log(s) / s);
        return (u * m, v * m);
    }

    /// <summary>Uniform on the 2⁵³ doubles k·2^−52 − 1, k = 0 … 2⁵³ − 1.</summary>
    private double NextUniform()
    {
        if (_used == _bits.Length)
        {
            RandomNumberGenerator.Fill(MemoryMarshal.AsBytes(_bits.AsSpan()));
            _used = 0;
        }
        return (_bits[_used++] >> (64 - UniformBits)) * UniformScale - 1;
    }
}
