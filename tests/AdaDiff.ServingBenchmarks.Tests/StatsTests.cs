using AdaDiff.ServingBenchmarks;

namespace AdaDiff.ServingBenchmarks.Tests;

public sealed class StatsTests
{
    [Fact]
    public void Percentile_MedianOfEvenCount_IsMeanOfMiddleTwo()
    {
        Assert.Equal(2.5, Stats.Percentile([1, 2, 3, 4], 50), 12);
    }

    [Fact]
    public void Percentile_P99OfTen_InterpolatesBetweenTheTwoLargest()
    {
        double[] values = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];

        Assert.Equal(9.91, Stats.Percentile(values, 99), 12); // rank 0.99 × 9 = 8.91
        Assert.Equal(1, Stats.Percentile(values, 0));
        Assert.Equal(10, Stats.Percentile(values, 100));
    }

    [Fact]
    public void Percentile_OneValue_IsThatValue_AndNoValues_IsNaN()
    {
        Assert.Equal(0.25, Stats.Percentile([0.25], 99));
        Assert.True(double.IsNaN(Stats.Percentile([], 50)));
    }

    [Fact]
    public void PercentileOf_Unsorted_SortsACopy()
    {
        double[] values = [5, 1, 4, 2, 3];

        Assert.Equal(3, Stats.PercentileOf(values, 50));
        Assert.Equal([5, 1, 4, 2, 3], values);
    }

    [Fact]
    public void Percentile_OutOfRange_Throws()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => Stats.Percentile([1, 2], 101));
    }

    [Fact]
    public void SpreadOf_GivesMedianMinMaxAndCount()
    {
        Spread s = Spread.Of([0.1, 0.02, 0.05]);

        Assert.Equal(0.05, s.Median, 12);
        Assert.Equal(0.02, s.Min, 12);
        Assert.Equal(0.1, s.Max, 12);
        Assert.Equal(3, s.Count);
        Assert.Equal(0, Spread.Of([]).Count);
    }
}
