namespace AdaDiff.Evaluation.Metrics;

/// <summary>Peak signal-to-noise ratio of images in [-1, 1] (data range 2), in dB.</summary>
public static class Psnr
{
    /// <summary>Value reported for identical images (an infinite PSNR), so that means stay finite.</summary>
    public const double IdenticalDb = 100;

    /// <summary>10·log₁₀(range² / MSE) with range 2, capped at <see cref="IdenticalDb"/>.</summary>
    public static double Compute(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        if (a.Length != b.Length || a.Length == 0)
        {
            throw new ArgumentException($"images must have the same non-zero size ({a.Length} and {b.Length})");
        }
        double sum = 0;
        for (int i = 0; i < a.Length; i++)
        {
            double d = (double)a[i] - b[i];
            sum += d * d;
        }
        double mse = sum / a.Length;
        return mse == 0 ? IdenticalDb : Math.Min(IdenticalDb, 10 * Math.Log10(4.0 / mse));
    }

    /// <summary>Mean over images of the per-image PSNR of two [count, size] batches.</summary>
    public static double Mean(ReadOnlySpan<float> a, ReadOnlySpan<float> b, int count)
    {
        if (a.Length != b.Length || count <= 0 || a.Length % count != 0)
        {
            throw new ArgumentException($"batches of {a.Length} and {b.Length} values cannot hold {count} images each");
        }
        int size = a.Length / count;
        double total = 0;
        for (int k = 0; k < count; k++)
        {
            total += Compute(a.Slice(k * size, size), b.Slice(k * size, size));
        }
        return total / count;
    }
}
