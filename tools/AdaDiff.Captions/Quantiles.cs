namespace AdaDiff.Captions;

/// <summary>Order statistics of one attribute: minimum, terciles, median, maximum.</summary>
/// <param name="Min">Smallest value.</param>
/// <param name="Tercile1">The 1/3 quantile.</param>
/// <param name="Median">The 1/2 quantile.</param>
/// <param name="Tercile2">The 2/3 quantile.</param>
/// <param name="Max">Largest value.</param>
public sealed record Quantiles(double Min, double Tercile1, double Median, double Tercile2, double Max)
{
    /// <summary>The quantiles of <paramref name="values"/> (at least one; the array is sorted in place).</summary>
    public static Quantiles Of(double[] values)
    {
        ArgumentNullException.ThrowIfNull(values);
        if (values.Length == 0)
        {
            throw new ArgumentException("no values", nameof(values));
        }
        Array.Sort(values);
        return new(values[0], At(values, 1.0 / 3), At(values, 0.5), At(values, 2.0 / 3), values[^1]);
    }

    /// <summary>The <paramref name="p"/> quantile of sorted values, interpolated linearly between order statistics (numpy's default).</summary>
    public static double At(ReadOnlySpan<double> sorted, double p)
    {
        if (sorted.IsEmpty)
        {
            throw new ArgumentException("no values", nameof(sorted));
        }
        ArgumentOutOfRangeException.ThrowIfLessThan(p, 0.0);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(p, 1.0);
        double h = (sorted.Length - 1) * p;
        int lo = (int)Math.Floor(h);
        int hi = Math.Min(lo + 1, sorted.Length - 1);
        return sorted[lo] + (h - lo) * (sorted[hi] - sorted[lo]);
    }
}
