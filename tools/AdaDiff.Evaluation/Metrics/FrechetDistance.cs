namespace AdaDiff.Evaluation.Metrics;

/// <summary>
/// Fréchet distance between two Gaussians fitted to feature sets (the FID formula):
/// ‖μ₁ − μ₂‖² + tr Σ₁ + tr Σ₂ − 2 tr (Σ₁^½ Σ₂ Σ₁^½)^½. The matrix square roots come from symmetric
/// eigendecompositions in float64, so no complex parts or sqrtm iterations are involved:
/// Σ₁^½ Σ₂ Σ₁^½ is symmetric positive semi-definite and has the eigenvalues of Σ₁Σ₂.
/// </summary>
public static class FrechetDistance
{
    /// <summary>The distance between <paramref name="a"/> and <paramref name="b"/> (≥ 0 up to rounding).</summary>
    public static double Compute(FeatureStatistics a, FeatureStatistics b)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        if (a.Dim != b.Dim)
        {
            throw new ArgumentException($"feature widths differ: {a.Dim} and {b.Dim}", nameof(b));
        }
        return Compute(a.Mean, a.Covariance, b.Mean, b.Covariance, a.Dim);
    }

    /// <summary>The distance between N(μ₁, Σ₁) and N(μ₂, Σ₂), covariances row-major [n, n].</summary>
    public static double Compute(ReadOnlySpan<double> mean1, ReadOnlySpan<double> cov1, ReadOnlySpan<double> mean2, ReadOnlySpan<double> cov2, int n)
    {
        if (mean1.Length != n || mean2.Length != n || cov1.Length != n * n || cov2.Length != n * n)
        {
            throw new ArgumentException($"means must have {n} values and covariances {n * n}");
        }
        double meanTerm = 0;
        for (int i = 0; i < n; i++)
        {
            double d = mean1[i] - mean2[i];
            meanTerm += d * d;
        }
        double trace1 = 0, trace2 = 0;
        for (int i = 0; i < n; i++)
        {
            trace1 += cov1[(i * n) + i];
            trace2 += cov2[(i * n) + i];
        }
        double[] root1 = SymmetricEigen.Sqrt(cov1, n);
        double[] inner = Multiply(Multiply(root1, cov2.ToArray(), n), root1, n); // Σ₁^½ Σ₂ Σ₁^½
        (double[] values, _) = SymmetricEigen.Decompose(inner, n);
        double traceRoot = 0;
        foreach (double value in values)
        {
            traceRoot += Math.Sqrt(Math.Max(value, 0));
        }
        return meanTerm + trace1 + trace2 - (2 * traceRoot);
    }

    private static double[] Multiply(double[] x, double[] y, int n)
    {
        double[] result = new double[n * n];
        for (int i = 0; i < n; i++)
        {
            Span<double> row = result.AsSpan(i * n, n);
            for (int k = 0; k < n; k++)
            {
                double xik = x[(i * n) + k];
                if (xik == 0)
                {
                    continue;
                }
                ReadOnlySpan<double> yRow = y.AsSpan(k * n, n);
                for (int j = 0; j < n; j++)
                {
                    row[j] += xik * yRow[j];
                }
            }
        }
        return result;
    }
}
