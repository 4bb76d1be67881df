namespace AdaDiff.ServingBenchmarks;

/// <summary>A figure over rounds: the median with the smallest and largest value, and how many rounds gave one.</summary>
public sealed record Spread(double Median, double Min, double Max, int Count)
{
    public static Spread Of(IReadOnlyList<double> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        if (values.Count == 0)
        {
            return new Spread(double.NaN, double.NaN, double.NaN, 0);
        }
        double[] sorted = [.. values];
        Array.Sort(sorted);
        return new Spread(Stats.Percentile(sorted, 50), sorted[0], sorted[^1], sorted.Length);
    }
}

/// <summary>Percentiles of samples.</summary>
public static class Stats
{
    /// <summary>
    /// The <paramref name="p"/>-th percentile (0..100) of <paramref name="sorted"/> (ascending) by linear interpolation
    /// between the closest ranks (numpy's default, Excel's PERCENTILE.INC): p50 of an even count is the mean of the
    /// middle two, p99 of fewer than 101 values lies between the two largest. NaN for no values.
    /// </summary>
    public static double Percentile(ReadOnlySpan<double> sorted, double p)
    {
        if (sorted.IsEmpty)
        {
            return double.NaN;
        }
        ArgumentOutOfRangeException.ThrowIfLessThan(p, 0);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(p, 100);
        double rank = p / 100 * (sorted.Length - 1);
        int below = (int)Math.Floor(rank);
        int above = Math.Min(below + 1, sorted.Length - 1);
        double fraction = rank - below;
        return sorted[below] + (sorted[above] - sorted[below]) * fraction;
    }

    /// <summary>The percentile of unsorted values (sorted on a copy).</summary>
    public static double PercentileOf(IEnumerable<double> values, double p)
    {
        double[] sorted = [.. values];
        Array.Sort(sorted);
        return Percentile(sorted, p);
    }
}
