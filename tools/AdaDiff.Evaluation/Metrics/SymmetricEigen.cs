namespace AdaDiff.Evaluation.Metrics;

/// <summary>
/// Eigendecomposition of a real symmetric matrix by cyclic Jacobi rotations, in float64. Accurate to a
/// few ulps for the 128×128 covariances here (≈10 sweeps of n³ work: milliseconds).
/// </summary>
public static class SymmetricEigen
{
    private const int MaxSweeps = 100;

    /// <summary>
    /// Decomposes the symmetric n×n row-major <paramref name="matrix"/> (only read) into eigenvalues and
    /// eigenvectors: A = V diag(λ) Vᵀ, with V's columns the eigenvectors (row-major [n, n]).
    /// </summary>
    public static (double[] Values, double[] Vectors) Decompose(ReadOnlySpan<double> matrix, int n)
    {
        if (matrix.Length != n * n)
        {
            throw new ArgumentException($"{matrix.Length} values for a {n}×{n} matrix", nameof(matrix));
        }
        double[] a = matrix.ToArray();
        // Symmetrise: callers pass products that are symmetric only up to rounding.
        for (int i = 0; i < n; i++)
        {
            for (int j = i + 1; j < n; j++)
            {
                double mean = 0.5 * (a[(i * n) + j] + a[(j * n) + i]);
                a[(i * n) + j] = mean;
                a[(j * n) + i] = mean;
            }
        }
        double[] v = new double[n * n];
        for (int i = 0; i < n; i++)
        {
            v[(i * n) + i] = 1;
        }
        for (int sweep = 0; sweep < MaxSweeps; sweep++)
        {
            double off = 0, diag = 0;
            for (int i = 0; i < n; i++)
            {
                diag += a[(i * n) + i] * a[(i * n) + i];
                for (int j = i + 1; j < n; j++)
                {
                    off += a[(i * n) + j] * a[(i * n) + j];
                }
            }
            if (off <= 1e-30 * Math.Max(diag, 1e-300) || off == 0)
            {
                break;
            }
            for (int p = 0; p < n - 1; p++)
            {
                for (int q = p + 1; q < n; q++)
                {
                    double apq = a[(p * n) + q];
                    if (apq == 0)
                    {
                        continue;
                    }
                    double app = a[(p * n) + p], aqq = a[(q * n) + q];
                    // Rotation angle that zeroes a[p, q] (Golub & Van Loan, the stable form).
                    double theta = (aqq - app) / (2 * apq);
                    double t = Math.Sign(theta == 0 ? 1 : theta) / (Math.Abs(theta) + Math.Sqrt((theta * theta) + 1));
                    double c = 1 / Math.Sqrt((t * t) + 1), s = t * c;
                    for (int k = 0; k < n; k++)
                    {
                        double akp = a[(k * n) + p], akq = a[(k * n) + q];
                        a[(k * n) + p] = (c * akp) - (s * akq);
                        a[(k * n) + q] = (s * akp) + (c * akq);
                    }
                    for (int k = 0; k < n; k++)
                    {
                        double apk = a[(p * n) + k], aqk = a[(q * n) + k];
                        a[(p * n) + k] = (c * apk) - (s * aqk);
                        a[(q * n) + k] = (s * apk) + (c * aqk);
                    }
                    a[(p * n) + q] = 0;
                    a[(q * n) + p] = 0;
                    for (int k = 0; k < n; k++)
                    {
                        double vkp = v[(k * n) + p], vkq = v[(k * n) + q];
                        v[(k * n) + p] = (c * vkp) - (s * vkq);
                        v[(k * n) + q] = (s * vkp) + (c * vkq);
                    }
                }
            }
        }
        double[] values = new double[n];
        for (int i = 0; i < n; i++)
        {
            values[i] = a[(i * n) + i];
        }
        return (values, v);
    }

    /// <summary>
    /// The symmetric positive semi-definite square root V diag(√max(λ, 0)) Vᵀ of a symmetric n×n matrix
    /// (negative eigenvalues from rounding are clamped to 0).
    /// </summary>
    public static double[] Sqrt(ReadOnlySpan<double> matrix, int n)
    {
        (double[] values, double[] vectors) = Decompose(matrix, n);
        double[] root = new double[n * n];
        for (int k = 0; k < n; k++)
        {
            double s = Math.Sqrt(Math.Max(values[k], 0));
            if (s == 0)
            {
                continue;
            }
            for (int i = 0; i < n; i++)
            {
                double vik = vectors[(i * n) + k] * s;
                for (int j = 0; j < n; j++)
                {
                    root[(i * n) + j] += vik * vectors[(j * n) + k];
                }
            }
        }
        return root;
    }
}
