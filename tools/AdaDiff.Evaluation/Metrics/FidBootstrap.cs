namespace AdaDiff.Evaluation.Metrics;

/// <summary>
/// Bootstrap intervals of FID-proxies over the generated images (<see cref="Bootstrap"/>): the reference statistics (the
/// test set's) stay fixed, the generated images are resampled. A paired difference resamples the same image indices in
/// both arms, i.e. the same seeds and conditions.
/// </summary>
public static class FidBootstrap
{
    /// <summary>The interval of one arm's FID-proxy.</summary>
    /// <param name="features">The generated images' features, row-major [N, dim].</param>
    /// <param name="dim">Feature width.</param>
    /// <param name="reference">The reference set's statistics.</param>
    /// <param name="resamples">Resamples (≥ 100).</param>
    /// <param name="seed">Seed of the resampling.</param>
    public static ConfidenceInterval Of(double[] features, int dim, FeatureStatistics reference, int resamples = Bootstrap.DefaultResamples, int seed = 0)
    {
        int count = Count(features, dim, reference);
        return Bootstrap.Of(count, indices => Fid(features, dim, indices, reference), resamples, seed);
    }

    /// <summary>The interval of FID(<paramref name="a"/>) − FID(<paramref name="b"/>), image k of one arm paired with image k of the other.</summary>
    public static ConfidenceInterval PairedDifference(double[] a, double[] b, int dim, FeatureStatistics reference, int resamples = Bootstrap.DefaultResamples, int seed = 0)
    {
        int count = Count(a, dim, reference);
        if (Count(b, dim, reference) != count)
        {
            throw new ArgumentException($"the arms hold {count} and {b.Length / dim} images; a paired difference needs the same images in both", nameof(b));
        }
        return Bootstrap.Paired(count, indices => Fid(a, dim, indices, reference), indices => Fid(b, dim, indices, reference), resamples, seed);
    }

    private static double Fid(double[] features, int dim, int[] indices, FeatureStatistics reference) =>
        FrechetDistance.Compute(FeatureStatistics.FromSubset(features, dim, indices), reference);

    private static int Count(double[] features, int dim, FeatureStatistics reference)
    {
        ArgumentNullException.ThrowIfNull(features);
        ArgumentNullException.ThrowIfNull(reference);
        if (dim != reference.Dim || dim <= 0 || features.Length % dim != 0)
        {
            throw new ArgumentException($"{features.Length} values are not rows of the reference's width {reference.Dim}", nameof(features));
        }
        return features.Length / dim;
    }
}
