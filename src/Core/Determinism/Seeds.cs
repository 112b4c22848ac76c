namespace FedSim.Determinism;

/// <summary>What a derived random stream is used for; part of every seed so streams never collide.</summary>
public enum SeedPurpose
{
    Partition = 1,
    CohortSampling = 2,
    LocalTraining = 3,
    ModelInit = 4,
    DeviceProfile = 5,
    SyntheticData = 6,
    Evaluation = 7,
    Noise = 8,
    Attack = 9,
    Network = 10,
    Byzantine = 11,
    Availability = 12,
    Dropout = 13,
    ServerRoot = 14,
    /// <summary>Secure aggregation: a client's key pairs, self-mask seed, share polynomials and rounding; the round's neighbour graph.</summary>
    SecureAggregation = 15,
    /// <summary>Per-device evaluation: the per-record coin of a device's test holdout, and the sample of devices evaluated.</summary>
    DeviceEvaluation = 16,
    /// <summary>Personalized evaluation: a device's fine-tuning minibatches.</summary>
    Personalization = 17,
    /// <summary>Ditto: the minibatches of a sampled device's personal-model training.</summary>
    PersonalTraining = 18,
    // 20+: membership-inference audits (a gap left so other features' new purposes keep their own numbers).
    /// <summary>The per-record coin that holds a record out of its device's training for the audit.</summary>
    AuditHoldout = 20,
    /// <summary>An attacker's reference models: their data halves, initial weights and minibatch order.</summary>
    AttackReference = 21,
    /// <summary>A one-run audit's canaries: their inclusion coins, the devices that hold them and their records (<see cref="Seeds.OneRunCanaryDraws"/>).</summary>
    OneRunAuditCanaries = 25,
}

/// <summary>
/// Every random draw in FedSim comes from a seed derived as seed(experiment, round, device, purpose).
/// Derivation is a SplitMix64 chain: stable across platforms, processes and .NET versions.
/// </summary>
public static class Seeds
{
    /// <summary>Round or device value for streams that do not depend on it.</summary>
    public const long None = -1;

    public static ulong Derive(ulong experimentSeed, long round, long device, SeedPurpose purpose)
    {
        ulong h = Mix(experimentSeed ^ 0x9E3779B97F4A7C15UL);
        h = Mix(h ^ (ulong)round);
        h = Mix(h ^ (ulong)device * 0xBF58476D1CE4E5B9UL);
        h = Mix(h ^ (ulong)purpose * 0x94D049BB133111EBUL);
        return h;
    }

    // Sub-streams: one concern's stream split off a derived seed (a step, an epoch, a record, a second use of the same
    // purpose). Each has its one home here, so every draw still traces back to seed(experiment, round, device, purpose).
    // The constants are pinned: changing one changes published results.

    /// <summary>
    /// A device's DP-SGD noise generator within its local training (<paramref name="trainingSeed"/>: the job's
    /// LocalTraining seed), apart from its minibatch streams. "DPSGNOIS" in ASCII.
    /// </summary>
    public static ulong DpSgdNoise(ulong trainingSeed) => Mix(trainingSeed ^ 0x4450_5347_4E4F_4953UL);

    /// <summary>The shard order of local epoch <paramref name="epoch"/> (shuffled fixed-size minibatches).</summary>
    public static ulong EpochOrder(ulong trainingSeed, int epoch) => Mix(trainingSeed + (ulong)epoch);

    /// <summary>Which records Poisson-sampled local step <paramref name="step"/> takes, apart from the epoch orders. "POISSON\0" in ASCII.</summary>
    public static ulong PoissonBatch(ulong trainingSeed, int step) => Mix(trainingSeed ^ 0x504F_4953_534F_4E00UL ^ (ulong)step * 0x9E3779B97F4A7C15UL);

    /// <summary>Whether a backdoor-poisoning device poisons dataset row <paramref name="row"/>: a per-row hash, the same in every epoch and trainer.</summary>
    public static ulong PoisonedRow(ulong deviceSeed, int row) => Mix(deviceSeed ^ (ulong)row * 0x9E3779B97F4A7C15UL);

    /// <summary>Whether record <paramref name="row"/> is held out of training for the membership audit (<paramref name="holdoutSeed"/>: the AuditHoldout seed).</summary>
    public static ulong AuditHoldoutRow(ulong holdoutSeed, int row) => Mix(holdoutSeed ^ (ulong)row * 0xD1B54A32D192ED03UL);

    /// <summary>
    /// Attacker <paramref name="attacker"/>'s audit-set draws at <paramref name="device"/> (<see cref="None"/>: an
    /// attacker outside the devices), the same every round so audits follow the same records.
    /// </summary>
    public static ulong AttackerAudit(ulong experimentSeed, int attacker, long device)
        => Mix(Derive(experimentSeed, None, device, SeedPurpose.Attack) ^ (ulong)(attacker + 1) * 0xA24BAED4963EE407UL);

    /// <summary>
    /// One kind of a one-run audit's canary draws (<paramref name="canarySeed"/>: its OneRunAuditCanaries seed): 1 the
    /// inclusion coins, 2 the devices that hold the canaries, 3 the canary records, each its own stream so that changing
    /// how one is drawn leaves the others as they were.
    /// </summary>
    public static ulong OneRunCanaryDraws(ulong canarySeed, int kind) => Mix(canarySeed ^ (ulong)kind * 0xC2B2AE3D27D4EB4FUL);

    /// <summary>An outsider attacker's picks of auxiliary records (RMIA population, shadow training records), apart from its reference models.</summary>
    public static ulong OutsiderRecordPicks(ulong attackSeed) => Mix(attackSeed ^ 0x5EED);

    /// <summary>Reference model <paramref name="model"/>'s initial weights (its minibatch order: <see cref="ReferenceModelMinibatches"/>).</summary>
    public static ulong ReferenceModelInitialization(ulong attackSeed, int model) => Mix(attackSeed ^ (ulong)(model + 1) * 0x9E3779B97F4A7C15UL);

    /// <summary>Reference model <paramref name="model"/>'s minibatch order: a stream apart from its initial weights.</summary>
    public static ulong ReferenceModelMinibatches(ulong attackSeed, int model) => Mix(ReferenceModelInitialization(attackSeed, model));

    /// <summary>
    /// A secure-aggregation client's stochastic rounding, apart from its secrets (<paramref name="clientSeed"/>: its
    /// SecureAggregation seed). "ROUNDING" in ASCII.
    /// </summary>
    public static ulong SecureAggregationRounding(ulong clientSeed) => Mix(clientSeed ^ 0x52_4F_55_4E_44_49_4E_47UL);

    /// <summary>The secure-aggregation stage at which a vanishing device drops out, apart from its other dropout draws.</summary>
    public static ulong SecureAggregationVanishingStage(ulong experimentSeed, int round, long device)
        => Mix(Derive(experimentSeed, round, device, SeedPurpose.Dropout) ^ 0x5EC_A66UL);

    /// <summary>The noise on adaptive clipping's count of unclipped updates: a second stream of the round's noise seed.</summary>
    public static ulong ClippingCountNoise(ulong experimentSeed, int round)
        => Mix(Derive(experimentSeed, round, None, SeedPurpose.Noise) ^ 0xC0C0_A7E5UL);

    /// <summary>A uniform draw in [0, 1) from a seed's top 53 bits, for single coins that need no stream.</summary>
    public static double ToUnitInterval(ulong seed) => (seed >> 11) * (1.0 / (1UL << 53));

    /// <summary>A 31-bit seed for libraries that take an int (Bogus, System.Random).</summary>
    public static int ToInt32(ulong seed) => (int)(seed & 0x7FFF_FFFF);

    /// <summary>SplitMix64 finalizer (Steele, Lea and Flood 2014).</summary>
    public static ulong Mix(ulong z)
    {
        z += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}

/// <summary>
/// A small, fast, platform-independent generator (xoshiro256**, Blackman and Vigna 2018) seeded from
/// <see cref="Seeds.Derive"/>. Use it instead of System.Random so results never depend on runtime internals.
/// </summary>
public sealed class DeterministicRandom
{
    private ulong _s0, _s1, _s2, _s3;
    private double? _spareGaussian;

    public DeterministicRandom(ulong seed)
    {
        ulong x = seed;
        _s0 = Seeds.Mix(x); x += 0x9E3779B97F4A7C15UL;
        _s1 = Seeds.Mix(x); x += 0x9E3779B97F4A7C15UL;
        _s2 = Seeds.Mix(x); x += 0x9E3779B97F4A7C15UL;
        _s3 = Seeds.Mix(x);
    }

    public ulong NextUInt64()
    {
        ulong result = RotateLeft(_s1 * 5, 7) * 9;
        ulong t = _s1 << 17;
        _s2 ^= _s0; _s3 ^= _s1; _s1 ^= _s2; _s0 ^= _s3;
        _s2 ^= t;
        _s3 = RotateLeft(_s3, 45);
        return result;
    }

    /// <summary>Uniform in [0, 1).</summary>
    public double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));

    /// <summary>Uniform integer in [0, maxExclusive), unbiased.</summary>
    public int NextInt(int maxExclusive) => (int)NextInt64(maxExclusive);

    /// <summary>Uniform integer in [0, maxExclusive), unbiased (Lemire's multiply-shift with rejection).</summary>
    public long NextInt64(long maxExclusive)
    {
        if (maxExclusive <= 0) throw new ArgumentOutOfRangeException(nameof(maxExclusive));
        ulong bound = (ulong)maxExclusive;
        ulong threshold = (0UL - bound) % bound;
        while (true)
        {
            ulong r = NextUInt64();
            ulong hi = Math.BigMul(r, bound, out ulong lo);
            if (lo >= threshold) return (long)hi;
        }
    }

    /// <summary>Standard normal draw (Marsaglia polar method).</summary>
    public double NextGaussian()
    {
        if (_spareGaussian is double spare) { _spareGaussian = null; return spare; }
        double u, v, s;
        do
        {
            u = 2 * NextDouble() - 1;
            v = 2 * NextDouble() - 1;
            s = u * u + v * v;
        } while (s >= 1 || s == 0);
        double m = Math.Sqrt(-2 * Math.Log(s) / s);
        _spareGaussian = v * m;
        return u * m;
    }

    /// <summary>Gamma(shape, 1) draw (Marsaglia and Tsang 2000); used for Dirichlet sampling.</summary>
    public double NextGamma(double shape)
    {
        if (shape <= 0) throw new ArgumentOutOfRangeException(nameof(shape));
        if (shape < 1)
        {
            double u = NextDouble();
            return NextGamma(1 + shape) * Math.Pow(u == 0 ? double.Epsilon : u, 1 / shape);
        }
        double d = shape - 1.0 / 3, c = 1 / Math.Sqrt(9 * d);
        while (true)
        {
            double x, v;
            do { x = NextGaussian(); v = 1 + c * x; } while (v <= 0);
            v = v * v * v;
            double u = NextDouble();
            if (u < 1 - 0.0331 * x * x * x * x) return d * v;
            if (Math.Log(u) < 0.5 * x * x + d * (1 - v + Math.Log(v))) return d * v;
        }
    }

    /// <summary>Fisher–Yates shuffle in place.</summary>
    public void Shuffle<T>(Span<T> items)
    {
        for (int i = items.Length - 1; i > 0; i--)
        {
            int j = NextInt(i + 1);
            (items[i], items[j]) = (items[j], items[i]);
        }
    }

    /// <summary>
    /// The positions of 0..count-1 that a Bernoulli(rate) trial selects, each independently (Poisson sampling), in
    /// increasing order. Drawn as geometric gaps, P(gap = g) = (1 − rate)^(g−1)·rate, so the cost is O(rate·count).
    /// </summary>
    public IEnumerable<long> BernoulliPositions(long count, double rate)
    {
        if (!(rate >= 0 && rate <= 1)) throw new ArgumentOutOfRangeException(nameof(rate), rate, "a probability in [0, 1]");
        if (rate == 0) yield break;
        if (rate == 1)
        {
            for (long i = 0; i < count; i++) yield return i;
            yield break;
        }
        double logMiss = Math.Log(1 - rate);
        for (long position = -1; ;)
        {
            double u = 1 - NextDouble(); // (0, 1]
            double gap = Math.Floor(Math.Log(u) / logMiss) + 1;
            if (gap >= count - position) yield break;
            position += (long)gap;
            yield return position;
        }
    }

    /// <summary>A permutation of 0..n-1.</summary>
    public int[] Permutation(int n)
    {
        var p = new int[n];
        for (int i = 0; i < n; i++) p[i] = i;
        Shuffle<int>(p);
        return p;
    }

    private static ulong RotateLeft(ulong x, int k) => (x << k) | (x >> (64 - k));
}
