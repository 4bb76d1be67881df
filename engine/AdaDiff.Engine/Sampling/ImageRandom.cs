namespace AdaDiff.Engine.Sampling;

/// <summary>
/// The random number generator of one image, fully specified so that any implementation (C#, Python, a
/// client checking a result) can reproduce an image's noise from its seed:
/// <list type="number">
/// <item>State: the four 64-bit words of xoshiro256** (Blackman and Vigna 2018), filled by four successive
/// outputs of SplitMix64 started at the image's seed (state += 0x9E3779B97F4A7C15;
/// z = (z ^ (z &gt;&gt; 30))·0xBF58476D1CE4E5B9; z = (z ^ (z &gt;&gt; 27))·0x94D049BB133111EB; z ^ (z &gt;&gt; 31)).</item>
/// <item><see cref="NextUInt64"/>: xoshiro256** (result = rotl(s1·5, 7)·9, then the usual state update).</item>
/// <item>Uniforms: the top 53 bits, u = (x &gt;&gt; 11)·2⁻⁵³ in [0, 1).</item>
/// <item>Gaussians: Box–Muller on a pair u1 = 1 − u(first draw) in (0, 1], u2 = u(second draw):
/// r = √(−2·ln u1), z0 = r·cos(2π·u2), z1 = r·sin(2π·u2), computed in double, returned as float, z0 first,
/// then z1 on the next call.</item>
/// </list>
/// Image k of a request is seeded with Seed + k. The engine draws an image's initial noise x_T first
/// (C×H×W Gaussians in row-major order), then, for samplers that add noise, C×H×W Gaussians per such step
/// in step order; so an image's noise never depends on what else shares its batch.
/// </summary>
public sealed class ImageRandom
{
    private ulong s0;
    private ulong s1;
    private ulong s2;
    private ulong s3;
    private float spare;
    private bool hasSpare;

    /// <summary>Seeds the generator with SplitMix64(<paramref name="seed"/>).</summary>
    public ImageRandom(ulong seed)
    {
        ulong state = seed;
        s0 = SplitMix64(ref state);
        s1 = SplitMix64(ref state);
        s2 = SplitMix64(ref state);
        s3 = SplitMix64(ref state);
    }

    /// <summary>The next 64 random bits (xoshiro256**).</summary>
    public ulong NextUInt64()
    {
        ulong result = ulong.RotateLeft(s1 * 5, 7) * 9;
        ulong t = s1 << 17;
        s2 ^= s0;
        s3 ^= s1;
        s1 ^= s2;
        s0 ^= s3;
        s2 ^= t;
        s3 = ulong.RotateLeft(s3, 45);
        return result;
    }

    /// <summary>A uniform double in [0, 1) from the top 53 bits.</summary>
    public double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));

    /// <summary>A standard normal draw (Box–Muller; pairs are used in order).</summary>
    public float NextGaussian()
    {
        if (hasSpare)
        {
            hasSpare = false;
            return spare;
        }
        double u1 = 1.0 - NextDouble();
        double u2 = NextDouble();
        double r = Math.Sqrt(-2.0 * Math.Log(u1));
        double angle = 2.0 * Math.PI * u2;
        spare = (float)(r * Math.Sin(angle));
        hasSpare = true;
        return (float)(r * Math.Cos(angle));
    }

    /// <summary>Fills <paramref name="destination"/> with standard normal draws, in order.</summary>
    public void FillGaussian(Span<float> destination)
    {
        for (int i = 0; i < destination.Length; i++)
        {
            destination[i] = NextGaussian();
        }
    }

    private static ulong SplitMix64(ref ulong state)
    {
        state += 0x9E3779B97F4A7C15UL;
        ulong z = state;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
