namespace AdaDiff.Evaluation.Metrics;

/// <summary>Mean and covariance (unbiased, N − 1, as numpy's <c>cov</c>) of feature vectors, in float64.</summary>
/// <param name="Mean">[D].</param>
/// <param name="Covariance">Row-major [D, D].</param>
/// <param name="Count">Number of vectors.</param>
public sealed record FeatureStatistics(double[] Mean, double[] Covariance, int Count)
{
    /// <summary>Feature width.</summary>
    public int Dim => Mean.Length;

    /// <summary>Statistics of <paramref name="count"/> row-major vectors of width <paramref name="dim"/>.</summary>
    public static FeatureStatistics FromRows(ReadOnlySpan<double> rows, int count, int dim)
    {
        if (rows.Length != count * dim)
        {
            throw new ArgumentException($"{rows.Length} values for {count} vectors of {dim}", nameof(rows));
        }
        if (count < 2)
        {
            throw new ArgumentException("a covariance needs at least 2 vectors", nameof(count));
        }
        double[] mean = new double[dim];
        for (int r = 0; r < count; r++)
        {
            ReadOnlySpan<double> row = rows.Slice(r * dim, dim);
            for (int i = 0; i < dim; i++)
            {
                mean[i] += row[i];
            }
        }
        for (int i = 0; i < dim; i++)
        {
            mean[i] /= count;
        }
        double[] cov = new double[dim * dim];
        double[] centred = new double[dim];
        for (int r = 0; r < count; r++)
        {
            ReadOnlySpan<double> row = rows.Slice(r * dim, dim);
            for (int i = 0; i < dim; i++)
            {
                centred[i] = row[i] - mean[i];
            }
            for (int i = 0; i < dim; i++)
            {
                double ci = centred[i];
                if (ci == 0)
                {
                    continue;
                }
                Span<double> covRow = cov.AsSpan(i * dim, dim);
                for (int j = i; j < dim; j++)
                {
                    covRow[j] += ci * centred[j];
                }
            }
        }
        for (int i = 0; i < dim; i++)
        {
            for (int j = i; j < dim; j++)
            {
                double value = cov[(i * dim) + j] / (count - 1);
                cov[(i * dim) + j] = value;
                cov[(j * dim) + i] = value;
            }
        }
        return new FeatureStatistics(mean, cov, count);
    }

    /// <summary>Statistics of a subset of rows (by index) of a row-major matrix.</summary>
    public static FeatureStatistics FromSubset(ReadOnlySpan<double> rows, int dim, ReadOnlySpan<int> indices)
    {
        double[] picked = new double[indices.Length * dim];
        for (int k = 0; k < indices.Length; k++)
        {
            rows.Slice(indices[k] * dim, dim).CopyTo(picked.AsSpan(k * dim, dim));
        }
        return FromRows(picked, indices.Length, dim);
    }
}
