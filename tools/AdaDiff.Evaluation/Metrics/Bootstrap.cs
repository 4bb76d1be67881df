namespace AdaDiff.Evaluation.Metrics;

/// <summary>
/// A bootstrap confidence interval: <see cref="Estimate"/> is the statistic on the data as measured,
/// [<see cref="Low"/>, <see cref="High"/>] the central <see cref="Level"/> of its resampled distribution, recentred on
/// the estimate (see <see cref="Bootstrap"/>).
/// </summary>
/// <param name="Estimate">The statistic of the measured sample.</param>
/// <param name="Low">Lower end.</param>
/// <param name="High">Upper end.</param>
/// <param name="Level">Coverage, e.g. 0.95.</param>
/// <param name="Resamples">Bootstrap resamples drawn.</param>
public sealed record ConfidenceInterval(double Estimate, double Low, double High, double Level, int Resamples)
{
    /// <summary>True when 0 lies outside the interval: the only case in which a difference is called one.</summary>
    public bool ExcludesZero => Low > 0 || High < 0;

    /// <summary>Half the interval's width.</summary>
    public double HalfWidth => (High - Low) / 2;
}

/// <summary>
/// Bootstrap over the items of a sample (images, seeds): each resample draws <c>count</c> indices with replacement and
/// the statistic is recomputed on them. <see cref="Paired"/> draws the same indices for two arms, so that an item's
/// seed and condition stay matched (the evaluation generates image k of every configuration from the same seed),
/// which is what makes a difference between policies measurable at a few hundred images.
/// </summary>
/// <remarks>
/// The interval is the percentile interval shifted so that the resamples' mean sits on the estimate
/// (θ̂ + q − θ̄*): FID-like statistics are biased upwards on a resample with repeated items, and the shift removes that
/// offset while keeping the spread. Resample r draws from a generator seeded by (seed, r), so the interval is the same
/// for every thread count and machine.
/// </remarks>
public static class Bootstrap
{
    /// <summary>Resamples the evaluation draws by default.</summary>
    public const int DefaultResamples = 1000;

    /// <summary>The interval of <paramref name="statistic"/> over <paramref name="count"/> items.</summary>
    /// <param name="count">Items in the sample (≥ 2).</param>
    /// <param name="statistic">The statistic of the items whose indices it is given (indices repeat in a resample).</param>
    /// <param name="resamples">Resamples to draw (≥ 100).</param>
    /// <param name="seed">Seed of the resampling.</param>
    /// <param name="level">Coverage in (0, 1).</param>
    public static ConfidenceInterval Of(int count, Func<int[], double> statistic, int resamples = DefaultResamples, int seed = 0, double level = 0.95)
    {
        ArgumentNullException.ThrowIfNull(statistic);
        Validate(count, resamples, level);
        double estimate = statistic(Identity(count));
        double[] values = new double[resamples];
        Parallel.For(0, resamples, r => values[r] = statistic(Draw(count, seed, r)));
        return Interval(estimate, values, level);
    }

    /// <summary>
    /// The interval of <c>a − b</c>, both arms recomputed on the same resampled indices (items paired by index).
    /// </summary>
    public static ConfidenceInterval Paired(int count, Func<int[], double> a, Func<int[], double> b, int resamples = DefaultResamples, int seed = 0, double level = 0.95)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        return Of(count, indices => a(indices) - b(indices), resamples, seed, level);
    }

    /// <summary>The mean of <paramref name="values"/> at <paramref name="indices"/> (a statistic for <see cref="Of"/>).</summary>
    public static double MeanAt(ReadOnlySpan<double> values, ReadOnlySpan<int> indices)
    {
        if (indices.IsEmpty)
        {
            throw new ArgumentException("no indices", nameof(indices));
        }
        double sum = 0;
        foreach (int i in indices)
        {
            sum += values[i];
        }
        return sum / indices.Length;
    }

    /// <summary>The indices of resample <paramref name="resample"/>: <paramref name="count"/> draws with replacement.</summary>
    public static int[] Draw(int count, int seed, int resample)
    {
        var random = new Random(HashCode.Combine(seed, resample, 0x5eed));
        int[] indices = new int[count];
        for (int i = 0; i < count; i++)
        {
            indices[i] = random.Next(count);
        }
        return indices;
    }

    private static int[] Identity(int count) => Enumerable.Range(0, count).ToArray();

    private static ConfidenceInterval Interval(double estimate, double[] values, double level)
    {
        if (values.Any(v => !double.IsFinite(v)))
        {
            throw new ArgumentException("the statistic was not finite on a resample");
        }
        Array.Sort(values);
        double shift = estimate - values.Average();
        double tail = (1 - level) / 2;
        return new ConfidenceInterval(estimate, Quantile(values, tail) + shift, Quantile(values, 1 - tail) + shift, level, values.Length);
    }

    /// <summary>Linear interpolation between order statistics (numpy's default), of sorted values.</summary>
    private static double Quantile(double[] sorted, double q)
    {
        double position = q * (sorted.Length - 1);
        int below = (int)Math.Floor(position);
        int above = Math.Min(below + 1, sorted.Length - 1);
        return sorted[below] + ((position - below) * (sorted[above] - sorted[below]));
    }

    private static void Validate(int count, int resamples, double level)
    {
        if (count < 2)
        {
            throw new ArgumentOutOfRangeException(nameof(count), count, "a bootstrap needs at least 2 items");
        }
        if (resamples < 100)
        {
            throw new ArgumentOutOfRangeException(nameof(resamples), resamples, "at least 100 resamples, or the interval's ends are noise");
        }
        if (!(level > 0 && level < 1))
        {
            throw new ArgumentOutOfRangeException(nameof(level), level, "the coverage must be in (0, 1)");
        }
    }
}
