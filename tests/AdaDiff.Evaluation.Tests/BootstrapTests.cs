using AdaDiff.Evaluation.Metrics;

namespace AdaDiff.Evaluation.Tests;

public sealed class BootstrapTests
{
    [Fact]
    public void MeanInterval_OverManySamples_CoversTheTrueMeanAboutAsOftenAsItsLevel()
    {
        // 200 samples of 50 draws from N(3, 1), each with its 95% interval: the share that covers 3 is near 0.95.
        // The seeds are fixed, so this is one known outcome, not a flaky statistical test.
        int covered = 0;
        for (int s = 0; s < 200; s++)
        {
            double[] sample = Normal(50, mean: 3, sd: 1, seed: s);
            ConfidenceInterval interval = Bootstrap.Of(sample.Length, i => Bootstrap.MeanAt(sample, i), resamples: 400, seed: s);
            Assert.Equal(sample.Average(), interval.Estimate, 12);
            Assert.True(interval.Low < interval.Estimate && interval.Estimate < interval.High);
            covered += interval.Low <= 3 && 3 <= interval.High ? 1 : 0;
        }
        Assert.InRange(covered / 200.0, 0.90, 0.98);
    }

    [Fact]
    public void MeanInterval_HalfWidth_IsAboutTwoStandardErrors()
    {
        double[] sample = Normal(400, mean: 0, sd: 2, seed: 1);
        ConfidenceInterval interval = Bootstrap.Of(sample.Length, i => Bootstrap.MeanAt(sample, i), seed: 1);
        double standardError = 2 / Math.Sqrt(400);
        Assert.InRange(interval.HalfWidth, 1.7 * standardError, 2.3 * standardError);
    }

    [Fact]
    public void Paired_IdenticalArms_HaveADifferenceOfExactlyZero()
    {
        double[] a = Normal(100, 0, 1, seed: 2);
        ConfidenceInterval interval = Bootstrap.Paired(a.Length, i => Bootstrap.MeanAt(a, i), i => Bootstrap.MeanAt(a, i));
        Assert.Equal((0.0, 0.0, 0.0), (interval.Estimate, interval.Low, interval.High));
        Assert.False(interval.ExcludesZero);
    }

    [Fact]
    public void Paired_SmallShiftUnderLargeNoise_IsFoundOnlyBecauseTheArmsArePaired()
    {
        // Each item has a large effect of its own (its seed); arm b is arm a plus 0.05. Paired, the shift is certain;
        // the arms' own intervals overlap almost entirely.
        double[] noise = Normal(200, 0, 1, seed: 3);
        double[] jitter = Normal(200, 0, 0.01, seed: 4);
        double[] a = noise;
        double[] b = [.. noise.Select((v, i) => v + 0.05 + jitter[i])];
        ConfidenceInterval difference = Bootstrap.Paired(200, i => Bootstrap.MeanAt(b, i), i => Bootstrap.MeanAt(a, i));
        Assert.True(difference.ExcludesZero);
        Assert.InRange(difference.Estimate, 0.04, 0.06);
        ConfidenceInterval alone = Bootstrap.Of(200, i => Bootstrap.MeanAt(a, i));
        Assert.True(alone.HalfWidth > 5 * difference.HalfWidth);
    }

    [Fact]
    public void Interval_IsTheSameForTheSameSeed_AndResamplesDiffer()
    {
        double[] sample = Normal(60, 1, 1, seed: 5);
        ConfidenceInterval one = Bootstrap.Of(60, i => Bootstrap.MeanAt(sample, i), seed: 9);
        ConfidenceInterval two = Bootstrap.Of(60, i => Bootstrap.MeanAt(sample, i), seed: 9);
        Assert.Equal(one, two);
        Assert.NotEqual(Bootstrap.Draw(60, 9, 0), Bootstrap.Draw(60, 9, 1));
    }

    [Fact]
    public void BadArguments_AreRefusedWithTheReason()
    {
        double[] sample = [1, 2, 3];
        Assert.Contains("at least 2 items", Assert.Throws<ArgumentOutOfRangeException>(() => Bootstrap.Of(1, i => 0)).Message, StringComparison.Ordinal);
        Assert.Contains("at least 100 resamples", Assert.Throws<ArgumentOutOfRangeException>(() => Bootstrap.Of(3, i => Bootstrap.MeanAt(sample, i), resamples: 10)).Message, StringComparison.Ordinal);
        Assert.Contains("(0, 1)", Assert.Throws<ArgumentOutOfRangeException>(() => Bootstrap.Of(3, i => Bootstrap.MeanAt(sample, i), level: 1)).Message, StringComparison.Ordinal);
        Assert.Contains("not finite", Assert.Throws<ArgumentException>(() => Bootstrap.Of(3, i => double.NaN)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void FidDifference_ShiftedFeatures_ExcludeZero_AndSameFeaturesDoNot()
    {
        const int dim = 4, n = 300;
        FeatureStatistics reference = FeatureStatistics.FromRows(Normal(2000 * dim, 0, 1, seed: 6), 2000, dim);
        double[] close = Normal(n * dim, 0, 1, seed: 7);
        double[] shifted = [.. close.Select(v => v + 0.5)];
        ConfidenceInterval difference = FidBootstrap.PairedDifference(shifted, close, dim, reference, resamples: 200);
        Assert.True(difference.ExcludesZero);
        Assert.True(difference.Low > 0);
        Assert.Equal(0.0, FidBootstrap.PairedDifference(close, close, dim, reference, resamples: 200).HalfWidth);
        ConfidenceInterval one = FidBootstrap.Of(close, dim, reference, resamples: 200);
        Assert.True(one.Low <= one.Estimate && one.Estimate <= one.High);
        Assert.Contains("same images in both", Assert.Throws<ArgumentException>(() => FidBootstrap.PairedDifference(close, close[..(dim * 10)], dim, reference, resamples: 200)).Message, StringComparison.Ordinal);
    }

    private static double[] Normal(int count, double mean, double sd, int seed)
    {
        var random = new Random(seed);
        double[] values = new double[count];
        for (int i = 0; i < count; i++)
        {
            double u1 = 1 - random.NextDouble(), u2 = random.NextDouble();
            values[i] = mean + (sd * Math.Sqrt(-2 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2));
        }
        return values;
    }
}
