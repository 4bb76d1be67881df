using System.Globalization;
using AdaDiff.Captions;

namespace AdaDiff.Captions.Tests;

public class AttributeThresholdsTests
{
    private static readonly AttributeThresholds T = AttributeThresholds.FashionMnist;

    private static ImageAttributes With(double brightness = 0.6, double coverage = 0.45, double aspect = 0.9, double texture = 0.1) =>
        new(brightness, coverage, aspect, texture, InkPixels: 1, BoxWidth: 1, BoxHeight: 1);

    [Theory]
    [InlineData(0.30, Brightness.Dark)]
    [InlineData(0.5599, Brightness.Dark)]
    [InlineData(0.56, Brightness.Grey)]
    [InlineData(0.7199, Brightness.Grey)]
    [InlineData(0.72, Brightness.Bright)]
    [InlineData(0.95, Brightness.Bright)]
    public void Classify_Brightness_LowBelowHighAtOrAbove(double brightness, Brightness expected) =>
        Assert.Equal(expected, T.Classify(With(brightness: brightness)).Brightness);

    [Theory]
    [InlineData(0.10, GarmentSize.Small)]
    [InlineData(0.36, GarmentSize.Medium)]
    [InlineData(0.54, GarmentSize.Large)]
    public void Classify_Coverage_IsSize(double coverage, GarmentSize expected) =>
        Assert.Equal(expected, T.Classify(With(coverage: coverage)).Size);

    [Theory]
    [InlineData(0.25, Aspect.Tall)]
    [InlineData(20.0 / 28, Aspect.Square)] // the most common tercile value itself is square-ish
    [InlineData(1.0, Aspect.Square)]
    [InlineData(28.0 / 26, Aspect.Square)]
    [InlineData(1.08, Aspect.Wide)]
    [InlineData(2.0, Aspect.Wide)]
    public void Classify_Aspect_TallSquareWide(double aspect, Aspect expected) =>
        Assert.Equal(expected, T.Classify(With(aspect: aspect)).Aspect);

    [Theory]
    [InlineData(0.0, Texture.Plain)]
    [InlineData(0.2599, Texture.Plain)]
    [InlineData(0.26, Texture.Textured)]
    [InlineData(1.0, Texture.Textured)]
    public void Classify_Texture_SplitAtMedian(double texture, Texture expected) =>
        Assert.Equal(expected, T.Classify(With(texture: texture)).Texture);

    [Fact]
    public void Classify_RectangleOfKnownMeasures_GetsItsWords()
    {
        // 20×10 at 0.9: coverage 0.255 (small), aspect 2 (wide), brightness 0.9 (bright), constant (plain).
        ImageAttributes a = ImageAttributes.Measure(ImageAttributesTests.Rectangle(4, 9, 20, 10, 0.9f), 28, 28);

        Assert.Equal(new AttributeBuckets(Brightness.Bright, GarmentSize.Small, Aspect.Wide, Texture.Plain), T.Classify(a));
    }

    [Fact]
    public void FromTrainingSet_KnownDistribution_TercilesAndMedianRounded()
    {
        // Brightness 0.001, 0.011, …, 0.991: terciles 0.331 and 0.661, median 0.496, each rounded to two decimals.
        var set = Enumerable.Range(0, 100).Select(i => With(
            brightness: i / 100.0 + 0.001, coverage: i / 200.0 + 0.001, aspect: 0.5 + i / 100.0, texture: i / 100.0 + 0.001)).Reverse().ToList();

        AttributeThresholds t = AttributeThresholds.FromTrainingSet(set);

        Assert.Equal(0.33, t.BrightnessLow, 12);
        Assert.Equal(0.66, t.BrightnessHigh, 12);
        Assert.Equal(0.17, t.CoverageLow, 12); // 0.166
        Assert.Equal(0.33, t.CoverageHigh, 12);
        Assert.Equal(0.83, t.AspectLow, 12);
        Assert.Equal(1.16, t.AspectHigh, 12);
        Assert.Equal(0.50, t.TextureMedian, 12);
    }

    [Fact]
    public void Quantiles_At_InterpolatesLikeNumpy()
    {
        double[] sorted = [1, 2, 4, 8];

        Assert.Equal(1, Quantiles.At(sorted, 0), 12);
        Assert.Equal(8, Quantiles.At(sorted, 1), 12);
        Assert.Equal(3, Quantiles.At(sorted, 0.5), 12); // h = 1.5
        Assert.Equal(2, Quantiles.At(sorted, 1.0 / 3), 12); // h = 1
        Assert.Equal(4, Quantiles.At(sorted, 2.0 / 3), 12); // h = 2
    }

    [FashionMnistFact]
    public void FashionMnist_FrozenThresholds_ReproduceFromTheTrainingSplit()
    {
        TrainingSetReport report = TrainingSet.Report;

        Assert.Equal(60_000, report.Attributes.Length);
        Assert.True(report.Recomputed == AttributeThresholds.FashionMnist,
            "The training split gives other thresholds than the frozen ones: if the attribute definitions changed on purpose, "
            + "freeze these in AttributeThresholds.FashionMnist (and regenerate the tables of docs/text-conditioning.md):\n"
            + Describe(report.Recomputed));
    }

    [FashionMnistFact]
    public void FashionMnist_Buckets_AreRoughlyTerciles()
    {
        TrainingSetReport report = TrainingSet.Report;
        int all = report.ClassNames.Count;
        int n = report.Attributes.Length;

        // Rounding the thresholds to two decimals and ties in the box ratio move the split a little; no bucket is starved.
        for (int k = 0; k < 9; k++)
        {
            Assert.InRange(report.Counts[all, k] / (double)n, 0.25, 0.42);
        }
        Assert.InRange(report.Counts[all, 9] / (double)n, 0.45, 0.55);
    }

    private static string Describe(AttributeThresholds t) => string.Create(CultureInfo.InvariantCulture,
        $"BrightnessLow: {t.BrightnessLow}, BrightnessHigh: {t.BrightnessHigh}, CoverageLow: {t.CoverageLow}, CoverageHigh: {t.CoverageHigh}, "
        + $"AspectLow: {t.AspectLow}, AspectHigh: {t.AspectHigh}, TextureMedian: {t.TextureMedian}");
}
