using AdaDiff.Engine.Sampling;

namespace AdaDiff.Engine.Tests;

public class ImageRandomTests
{
    [Fact]
    public void NextUInt64_Seed42_MatchesReferenceImplementation()
    {
        // Computed with an independent Python implementation of SplitMix64-seeded xoshiro256**.
        var random = new ImageRandom(42);
        Assert.Equal(0x15780b2e0c2ec716UL, random.NextUInt64());
        Assert.Equal(0x6104d9866d113a7eUL, random.NextUInt64());
        Assert.Equal(0xae17533239e499a1UL, random.NextUInt64());
    }

    [Fact]
    public void NextGaussian_Seed42_MatchesDocumentedBoxMuller()
    {
        var random = new ImageRandom(42);
        Assert.Equal(-0.3032630681991577f, random.NextGaussian());
        Assert.Equal(0.28846174478530884f, random.NextGaussian());
    }

    [Fact]
    public void FillGaussian_SameSeed_SameSequence_DifferentSeed_Different()
    {
        float[] a = new float[1000];
        float[] b = new float[1000];
        float[] c = new float[1000];
        new ImageRandom(7).FillGaussian(a);
        new ImageRandom(7).FillGaussian(b);
        new ImageRandom(8).FillGaussian(c);
        Assert.Equal(a, b);
        int equal = 0;
        for (int i = 0; i < a.Length; i++)
        {
            equal += a[i] == c[i] ? 1 : 0;
        }
        Assert.True(equal < 5);
    }

    [Fact]
    public void FillGaussian_ManyDraws_StandardNormalMoments()
    {
        const int n = 400_000;
        var values = new float[n];
        new ImageRandom(123).FillGaussian(values);
        double sum = 0, sum2 = 0, sum4 = 0;
        int beyond2 = 0;
        foreach (float v in values)
        {
            Assert.True(float.IsFinite(v));
            sum += v;
            sum2 += (double)v * v;
            sum4 += (double)v * v * v * v;
            beyond2 += Math.Abs(v) > 2 ? 1 : 0;
        }
        double mean = sum / n;
        double variance = sum2 / n - mean * mean;
        Assert.InRange(mean, -0.01, 0.01);
        Assert.InRange(variance, 0.99, 1.01);
        Assert.InRange(sum4 / n, 2.95, 3.05);
        Assert.InRange(beyond2 / (double)n, 0.0435, 0.0475); // P(|z| > 2) = 0.0455
    }

    [Fact]
    public void NextDouble_InUnitInterval()
    {
        var random = new ImageRandom(0);
        for (int i = 0; i < 10_000; i++)
        {
            double u = random.NextDouble();
            Assert.InRange(u, 0.0, 1.0 - 1e-17);
        }
    }
}
